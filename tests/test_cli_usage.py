"""Usage errors are typer's, whatever caught them (an option's type or a name looked up at run
time): one style, exit 2, before anything reaches a server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_runner import run_cli


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["termination", "notify", "--as", "UK", "--effective-on", "soon"], "'soon' does not match"),
        (["forum", "decide", "--as", "SECRETARIAT", "--text", "x", "--kind", "bogus"], "'bogus' is not one of"),
        (["catalogue", "--area", "nowhere"], "no policy area 'nowhere'"),
        (["amendment", "propose", "--as", "MARS", "--text-file", "x"], "'MARS' is not one of"),
        (["audit", "replay"], "give history files or folders, -w WORKFLOW, or --all"),
        (["audit", "export", "--all"], "--all writes one file per run: give a folder with -o DIR"),
        (["audit", "export"], "name a workflow (e.g. `audit export partnership`) or use --all -o DIR"),
        (["forum", "schedule", "set", "--as", "SECRETARIAT", "--month", "11", "--day", "31"], "November has no day 31"),
        (["forum", "schedule", "set", "--as", "SECRETARIAT", "--month", "2", "--day", "30"], "choose 1–29"),
        (["forum", "schedule", "set", "--month", "10", "--day", "1"], "Missing option '--as'"),
    ],
)
def test_usage_errors_exit_2_in_typers_words(args: list[str], says: str, tmp_path: Path):
    env = {"PARTNERSHIP_DATA_DIR": str(tmp_path), "TEMPORAL_ADDRESS": "127.0.0.1:1", "PATH": "/usr/bin:/bin"}
    result = run_cli(*args, env=env, timeout=60)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert says in " ".join(result.stderr.replace("│", " ").split())
