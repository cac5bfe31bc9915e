"""`partnership …` for the end-to-end tests, each run in a process of its own, without paying for
a fresh interpreter's imports each time.

A CLI run is mostly the import of the CLI (Temporal's SDK, its protobufs, pydantic, SQLAlchemy…):
about 1.5 s of CPU, and the end-to-end tests make well over a hundred runs. So each test process
keeps one interpreter that has imported every sub-command and all a command may import, every model
built (tests/preload.py; `partnership` itself imports only what the command it runs needs; here all
is imported once, before any fork), and nothing else (one thread, no client, no Temporal runtime),
and each run is a fork of it: a new process that takes the run's arguments, environment and working
directory, writes to its own stdout and stderr, and ends through `starter.main()` as the installed
script does. The settings are read when used (engine/config), so a fork sees the run's environment;
the interpreter itself is started with an environment that points nowhere (a closed port, a missing
data dir), so a module that read a setting at import would fail these tests rather than hide behind
a fork. Commands that keep running (`up`, `console`, a worker) are forked likewise, by
multiprocessing's fork server (`spawn` below). The installed `partnership` script itself runs in one
`partnership up` (the first test of tests/test_cli_embedded.py), in `partnership worker`, in the
checkpoint watcher, in tests/test_cli_usage.py, the audit tests and tests/test_install.py.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import multiprocessing
import multiprocessing.forkserver
import os
import signal
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
# tests/preload.py by its path: the checkout is not put on sys.path, so what it imports resolves as
# for the installed script (a module the installation lacks fails here, and every CLI test with it).
import importlib.util
spec = importlib.util.spec_from_file_location("preload", sys.argv[1])
preload = importlib.util.module_from_spec(spec)
spec.loader.exec_module(preload)
preload.import_everything()  # every sub-command and all it may import, and every model built, once here
import starter
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


def pointing_nowhere(environ: dict[str, str]) -> dict[str, str]:
    """`environ` without our settings, the server address a closed port and the data dir missing:
    what a forking interpreter imports under, so that a module reading a setting at import fails."""
    nowhere = Path(tempfile.gettempdir()) / "partnership-cli-runner-has-no-data-dir"
    env = {k: v for k, v in environ.items() if not k.startswith(("TEMPORAL_", "PARTNERSHIP_", "DATABASE_"))}
    return env | {"TEMPORAL_ADDRESS": "127.0.0.1:1", "PARTNERSHIP_DATA_DIR": str(nowhere)}


class _Zygote:
    def __init__(self) -> None:
        env = pointing_nowhere(dict(os.environ))
        self.process = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE, str(ROOT / "tests" / "preload.py")],
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


# Long-running commands (`partnership up`, `partnership console`, `python worker.py`) are forked the
# same way, but the test keeps them running and stops them with a signal: each is a child of
# multiprocessing's fork server, which has imported all a command may import once and built every
# model (tests/spawn_preload.py: about two seconds of CPU that each stack, console and restarted
# worker paid again), under an environment that points nowhere. Its children are handled like
# `subprocess.Popen` (see Spawned).
_SERVER = multiprocessing.get_context("forkserver")
_starting = threading.Lock()
_server_started = False
# A process has one fork server, and whoever starts it first names its preload: a test's command
# here, or `audit replay`'s pool run in-process by a test (which names its own modules; ours
# imports those too). Either way it starts with ours, found through PYTHONPATH from whatever
# directory the tests run in (it takes no sys.path from us), which is set only while it starts.
_FORK_SERVER = multiprocessing.forkserver._forkserver
_start_fork_server = _FORK_SERVER.ensure_running


def _started_with_our_preload() -> None:
    global _server_started
    with _starting:
        if not _server_started:
            _SERVER.set_forkserver_preload(["tests.spawn_preload"])
            before = os.environ.get("PYTHONPATH")
            os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), before]))
            try:
                _start_fork_server()
            finally:
                if before is None:
                    del os.environ["PYTHONPATH"]
                else:
                    os.environ["PYTHONPATH"] = before
            _server_started = True
    _start_fork_server()  # started again if it died


_FORK_SERVER.ensure_running = _started_with_our_preload
_spawned: list[Spawned] = []


def _serve(main: str, script_dir: str, argv: list[str], env: dict[str, str], cwd: str, log: str) -> None:
    """In the fork server's child: become `argv` as its script would run it, and run `main`."""
    import importlib

    output = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(output, 1)
    os.dup2(output, 2)
    # multiprocessing skips a preload it cannot import without a word; and a process has one fork
    # server, whose preload is whoever started it first: `audit replay`'s pool, run in-process by a
    # test before this worker's first command, starts it with its own. Either way the preload is
    # imported here, where an error in it fails the command instead of passing unseen (this run
    # then pays the imports itself).
    if "tests.spawn_preload" not in sys.modules:
        import tests.spawn_preload  # noqa: F401
    # The script's own directory first, as for the installed script (not the checkout's root).
    sys.path[:] = [script_dir, *(p for p in sys.path if p not in ("", str(ROOT)))]
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    sys.argv = argv
    module, function = main.split(":")
    getattr(importlib.import_module(module), function)()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # as starter.main(), which never returns: no interpreter finalization here either


class Spawned:
    """What the tests use of `subprocess.Popen`, for a child of the fork server."""

    def __init__(self, args: list[str], process: multiprocessing.process.BaseProcess) -> None:
        self.args, self.process, self.pid = args, process, process.pid

    @property
    def returncode(self) -> int | None:
        return self.process.exitcode

    def poll(self) -> int | None:
        return self.process.exitcode

    def wait(self, timeout: float | None = None) -> int:
        self.process.join(timeout)
        if self.process.exitcode is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        return self.process.exitcode

    def send_signal(self, sig: int) -> None:
        if self.process.exitcode is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


@atexit.register
def _kill_left_running() -> None:
    """A command a test failed to stop dies with the test process, at once (multiprocessing's own
    exit would ask it to stop and wait for it without limit); its dev server follows it."""
    for spawned in _spawned:
        with contextlib.suppress(ProcessLookupError):
            spawned.kill()


def spawn(args: list[str], env: dict[str, str], log: Path, cwd: Path | None = None) -> Spawned:
    """`partnership *args` (or `python worker.py` for args == ["worker.py"]) running in the
    background with this environment, its output appended to `log`."""
    if args == ["worker.py"]:
        main, script_dir, argv = "worker:main", str(ROOT), [str(ROOT / "worker.py")]
    else:
        main, script_dir, argv = "starter:main", os.path.dirname(sys.executable), [CLI, *args]
    log.touch(mode=0o600)  # there at once, as with Popen's stdout=open(log, "a")
    arguments = (main, script_dir, argv, env, str(cwd or os.getcwd()), str(log))
    process = _SERVER.Process(target=_serve, args=arguments, daemon=True)
    process.start()
    _spawned.append(Spawned(argv, process))
    return _spawned[-1]
