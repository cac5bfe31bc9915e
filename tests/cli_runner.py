"""`partnership …` for the end-to-end tests, each run in a process of its own, without paying for
a fresh interpreter's imports each time.

A CLI run is mostly the import of the CLI (Temporal's SDK, its protobufs, pydantic, SQLAlchemy…):
about 1.5 s of CPU, and the end-to-end tests make well over a hundred runs. So each test process
keeps one interpreter that has imported `starter` and every sub-command's module (`partnership`
itself imports only the command it runs; here all are imported once, before any fork) and nothing
else (one thread, no client, no Temporal runtime), and each run is a fork of it: a new process that
takes the run's arguments, environment and working directory, writes to its own stdout and stderr,
and ends through `starter.main()` as the installed script does. The settings are read when used
(engine/config), so a fork sees the run's environment; the interpreter itself is started with an
environment that points nowhere (a closed port, a missing data dir), so a module that read a
setting at import would fail these tests rather than hide behind a fork. The installed
`partnership` script itself runs in `partnership up`, in tests/test_cli_usage.py, the audit tests
and tests/test_install.py.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

CLI = str(Path(sys.executable).parent / "partnership")
ROOT = Path(__file__).resolve().parent.parent

# The forking interpreter: it reads one request a line on stdin and answers one line on its
# private copy of stdout, {"pid": …} once forked and {"status": …} when the run has ended.
ZYGOTE = r"""
import json, os, signal, sys
sys.path[0] = os.path.dirname(sys.executable)  # as for the installed script, not the directory of the moment
replies = os.fdopen(os.dup(1), "w", buffering=1)
devnull = os.open(os.devnull, os.O_RDWR)
os.dup2(devnull, 1)
import starter
starter.load_all()  # every sub-command imported once here, not again in each run
from models.base import build_all
build_all()  # and every model built once (a command builds those it uses on first use)
for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        replies.close()
        os.dup2(devnull, 0)
        os.dup2(os.open(request["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 1)
        os.dup2(os.open(request["err"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = [request["argv0"], *request["args"]]
        signal.alarm(request["timeout"])  # a run that hangs dies of SIGALRM
        break
    replies.write(json.dumps({"pid": pid}) + "\n")
    _, status = os.waitpid(pid, 0)
    replies.write(json.dumps({"status": os.waitstatus_to_exitcode(status)}) + "\n")
else:
    sys.exit(0)
sys.exit(starter.main())
"""


class _Zygote:
    def __init__(self) -> None:
        nowhere = Path(tempfile.gettempdir()) / "partnership-cli-runner-has-no-data-dir"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "PARTNERSHIP_", "DATABASE_"))}
        env |= {"TEMPORAL_ADDRESS": "127.0.0.1:1", "PARTNERSHIP_DATA_DIR": str(nowhere)}
        self.process = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=ROOT,
            text=True,
        )
        self.lock = threading.Lock()
        atexit.register(self.close)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()  # it ends at the end of its input
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def run(self, args: tuple[str, ...], env: dict[str, str], timeout: int) -> subprocess.CompletedProcess[str]:
        with self.lock, tempfile.TemporaryDirectory(prefix="partnership-cli-") as tmp:
            out, err = Path(tmp) / "out", Path(tmp) / "err"
            request = {
                "args": list(args),
                "env": env,
                "cwd": os.getcwd(),
                "argv0": CLI,
                "out": str(out),
                "err": str(err),
                "timeout": timeout,
            }
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            forked, reply = self.process.stdout.readline(), self.process.stdout.readline()
            assert forked and reply, "the CLI runner went away"
            code = json.loads(reply)["status"]
            if code == -14:  # SIGALRM: the run outlived its timeout
                raise subprocess.TimeoutExpired([CLI, *args], timeout)
            return subprocess.CompletedProcess([CLI, *args], code, out.read_text(), err.read_text())


_zygote: _Zygote | None = None
_started = threading.Lock()


def run_cli(*args: str, env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess[str]:
    """`partnership *args` with this environment, as `subprocess.run(…, capture_output=True,
    text=True, timeout=…)` would give it."""
    global _zygote
    with _started:
        if _zygote is None or _zygote.process.poll() is not None:
            _zygote = _Zygote()
    return _zygote.run(args, env, timeout)
