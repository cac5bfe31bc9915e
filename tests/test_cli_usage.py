"""Usage errors are typer's, whatever caught them (an option's type or a name looked up at run
time): one style, exit 2, before anything reaches a server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CLI = str(Path(sys.executable).parent / "partnership")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["termination", "notify", "--as", "UK", "--effective-on", "soon"], "'soon' does not match"),
        (["forum", "decide", "--as", "SECRETARIAT", "--text", "x", "--kind", "bogus"], "'bogus' is not one of"),
        (["catalogue", "--area", "nowhere"], "no policy area 'nowhere'"),
        (["amendment", "propose", "--as", "MARS", "--text-file", "x"], "'MARS' is not one of"),
    ],
)
def test_usage_errors_exit_2_in_typers_words(args: list[str], says: str, tmp_path: Path):
    env = {"PARTNERSHIP_DATA_DIR": str(tmp_path), "TEMPORAL_ADDRESS": "127.0.0.1:1", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert says in " ".join(result.stderr.replace("│", " ").split())
