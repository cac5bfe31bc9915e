"""`partnership` imports only the command it runs (issue 15: a read pays for its own imports, not
for every command's). Checked by what a run has imported when it ends, never by timing it: each
run here is `starter.main()` in an interpreter of its own, which then reports its `sys.modules`.
Nothing here reaches a server (the address points at a closed port)."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import starter

ROOT = Path(__file__).resolve().parent.parent

#: `partnership *argv` as the installed script runs it, then the modules it imported, into a file.
RUN = """
import json, os, sys
import starter
sys.argv[0] = "partnership"  # the name completion and usage lines go by
def report():
    with open(os.environ["MODULES_TO"], "w") as f:
        json.dump(sorted(sys.modules), f)
os._exit = lambda code, _exit=os._exit: (report(), _exit(code))
starter.main()
"""


def imported(args: list[str], tmp_path: Path, extra_env: dict[str, str] | None = None) -> set[str]:
    """The modules `partnership *args` imports; the run must succeed (a help, a version, a list)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "PARTNERSHIP_", "DATABASE_"))}
    report = tmp_path / "modules.json"
    env |= {"TEMPORAL_ADDRESS": "127.0.0.1:1", "PARTNERSHIP_DATA_DIR": str(tmp_path), "MODULES_TO": str(report)}
    done = subprocess.run(
        [sys.executable, "-c", RUN, *args],
        env=env | (extra_env or {}),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return set(json.loads(report.read_text()))


def test_version_and_the_command_list_import_no_command(tmp_path: Path):
    for args in (["--version"], ["--help"]):
        modules = imported(args, tmp_path)
        assert not {m for m in modules if m.split(".")[0] in ("cli", "console", "workflows", "models")}, args
        assert not modules & {"temporalio", "pydantic", "sqlalchemy", "sqlmodel"}, args


def test_completing_a_command_name_imports_no_command(tmp_path: Path):
    completing = {"_PARTNERSHIP_COMPLETE": "complete_bash", "COMP_WORDS": "partnership fo", "COMP_CWORD": "1"}
    modules = imported([], tmp_path, completing)
    assert not {m for m in modules if m.split(".")[0] in ("cli", "console", "workflows")}


def test_the_listed_short_help_is_each_commands_own():
    """COMMANDS carries each command's short help so that listing imports nothing; it must say
    what the command's own help says first."""
    starter.load_all()
    for name, entry in starter.COMMANDS.items():
        own = inspect.cleandoc(starter.loaded(name).help or "").split("\n\n")[0]
        assert entry.help == " ".join(own.split()), name
