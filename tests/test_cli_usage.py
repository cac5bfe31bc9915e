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
        (["audit", "replay", "/nonexistent/history.json"], "no such file or folder: /nonexistent/history.json"),
        (["audit", "export", "--all"], "--all writes one file per run: give a folder with -o DIR"),
        (["audit", "export"], "name a workflow (e.g. `audit export partnership`) or use --all -o DIR"),
        (["audit", "export", "partnership", "--all", "-o", "out"], "name one workflow (partnership) or use --all"),
        (["forum", "schedule", "set", "--as", "SECRETARIAT", "--month", "11", "--day", "31"], "November has no day 31"),
        (["forum", "schedule", "set", "--as", "SECRETARIAT", "--month", "2", "--day", "30"], "choose 1–29"),
        (["forum", "schedule", "set", "--month", "10", "--day", "1"], "Missing option '--as'"),
        (["inbox"], "name the office: --as UK, ROK, SECRETARIAT or AUDITOR"),  # one machine: every office
    ],
)
def test_usage_errors_exit_2_in_typers_words(args: list[str], says: str, tmp_path: Path):
    env = {"PARTNERSHIP_DATA_DIR": str(tmp_path), "TEMPORAL_ADDRESS": "127.0.0.1:1", "PATH": "/usr/bin:/bin"}
    result = run_cli(*args, env=env, timeout=60)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert says in " ".join(result.stderr.replace("│", " ").split())


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["up", "--port", "99999", "--console-port", "0"], "--port"),
        (["up", "--port", "-1", "--console-port", "0"], "--port"),
        (["up", "--port", "0", "--console-port", "0"], "--port"),  # not "no server": refused, not documented
        (["up", "--ui-port", "70000", "--console-port", "0"], "--ui-port"),
        (["up", "--console-port", "70000"], "--console-port"),
        (["console", "--port", "99999"], "--port"),
        (["console", "--port", "0"], "--port"),
    ],
)
def test_a_port_out_of_range_is_a_usage_error_before_anything_starts(args: list[str], option: str, tmp_path: Path):
    """F12: bind()'s OverflowError used to reach the user as a traceback, after the stack's lock."""
    env = {"PARTNERSHIP_DATA_DIR": str(tmp_path / "data"), "TEMPORAL_ADDRESS": "127.0.0.1:1", "PATH": "/usr/bin:/bin"}
    result = run_cli(*args, env=env, timeout=60)
    said = " ".join(result.stderr.replace("│", " ").split())
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"Invalid value for '{option}'" in said and ("65535" in said or "greater than or equal to 1" in said)
    assert not (tmp_path / "data").exists()


def test_console_on_a_busy_port_names_its_own_option(tmp_path: Path):
    """`partnership console` chooses its port with --port (`up` with --console-port)."""
    import socket

    env = {"PARTNERSHIP_DATA_DIR": str(tmp_path), "TEMPORAL_ADDRESS": "127.0.0.1:1", "PATH": "/usr/bin:/bin"}
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        taken = other.getsockname()[1]
        result = run_cli("console", "--port", str(taken), env=env, timeout=60)
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip() == (
        f"the console could not listen on 127.0.0.1:{taken} (Address already in use); is the port in use? (--port)"
    )


def test_every_argument_is_named_for_the_user_in_usage_lines():
    """A usage line shows each positional argument by its metavar: `{ident}` (a Python parameter's
    name) told a new user nothing; `ACTION` does."""
    from starter import COMMANDS, loaded

    def commands(command, path):
        subs = getattr(command, "commands", None)
        if not subs:
            yield path, command
        for name, sub in (subs or {}).items():
            yield from commands(sub, f"{path} {name}")

    unnamed = [
        f"{path} {p.name}"
        for name in COMMANDS
        for path, command in commands(loaded(name), name)
        for p in command.params
        if p.param_type_name == "argument" and not (p.metavar or "").isupper()
    ]
    assert not unnamed, unnamed


@pytest.mark.parametrize(
    ("args", "settings", "says"),
    [
        (["status"], {"TEMPORAL_PROFILE": "nope"}, "the Temporal client settings cannot be used"),
        (["worker"], {"TEMPORAL_PROFILE": "nope"}, "Profile 'nope' not found"),
        (["worker"], {"TEMPORAL_ADDRESS": "127.0.0.1:1"}, "Temporal did not answer at 127.0.0.1:1"),
        # An auditor with no server is told of the archive (audit walkthrough 4, F13).
        (["audit", "timeline", "partnership"], {"TEMPORAL_ADDRESS": "127.0.0.1:1"}, "add --from-archive"),
    ],
)
def test_settings_that_reach_no_server_are_one_line(args: list[str], settings: dict, says: str, tmp_path: Path):
    """Walkthrough 2: an unknown Temporal profile, or a worker started where no server answers,
    printed the SDK's traceback."""
    env = {"PARTNERSHIP_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", **settings}
    result = run_cli(*args, env=env, timeout=60)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and says in result.stderr and len(result.stderr.splitlines()) == 1


def test_restore_names_the_data_dir_it_fills(tmp_path: Path):
    """Walkthrough 2, B2: without PARTNERSHIP_DATA_DIR, `restore` made a `.data` wherever it was typed."""
    env = {"TEMPORAL_ADDRESS": "127.0.0.1:1", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = run_cli("restore", str(tmp_path / "backup"), env=env, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "set PARTNERSHIP_DATA_DIR to the new data dir to restore into" in " ".join(
        result.stderr.replace("│", " ").split()
    )


@pytest.mark.parametrize(
    ("command", "says", "who"),
    [
        (["action", "propose"], "<UK|ROK> Which Participant files: UK or ROK", "UK ROK"),
        (["termination", "notify"], "<UK|ROK> Which Participant files: UK or ROK", "UK ROK"),
        (["forum", "decide"], "SECRETARIAT The SECRETARIAT files it", "SECRETARIAT"),
        (["forum", "agenda", "add"], "<UK|ROK|SECRETARIAT> Who files: UK, ROK or SECRETARIAT", "UK ROK SECRETARIAT"),
    ],
)
def test_the_as_option_says_who_files(command: list[str], says: str, who: str, tmp_path: Path):
    """Walkthrough 3, F9: every filing's help said "UK, ROK or SECRETARIAT", also where one role
    files; its choices, in the help and in shell completion, listed the AUDITOR too."""
    env = {"PARTNERSHIP_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "COLUMNS": "200"}
    shown = run_cli(*command, "--help", env=env, timeout=60)
    assert shown.returncode == 0 and says in " ".join(shown.stdout.replace("│", " ").split())
    words = " ".join(["partnership", *command, "--as", ""])
    completing = {"_PARTNERSHIP_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(command) + 2)}
    completed = run_cli(env=env | completing, timeout=60)
    assert completed.stdout.split() == who.split()


def test_a_groups_list_gives_each_command_one_wrapped_line(tmp_path: Path):
    """Audit walkthrough 4, F13: the list kept each docstring's own line ends, so a description
    broke mid-sentence whatever the terminal's width."""
    env = {"PARTNERSHIP_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "COLUMNS": "250"}
    shown = run_cli("audit", "--help", env=env, timeout=60)
    [timeline] = [line for line in shown.stdout.splitlines() if "│ timeline" in line]
    assert "notifications. Of a workflow id: its latest run" in timeline
