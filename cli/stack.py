"""`partnership up`, `partnership worker`, `partnership bootstrap`: the embedded stack, a worker for any
Temporal, and the idempotent set-up of the Partnership (DESIGN §3)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import JsonFlag, run, usage
from cli.output import echo
from cli.status import show_status

if TYPE_CHECKING:
    from models.identities import Identity

#: The web console `up` serves beside the worker: (host, port, Temporal UI address) -> an async
#: context manager yielding its address. starter.py sets it: the console builds on the CLI, so the
#: CLI does not import it (tests/test_layout.py).
console: Callable[[str, int, str], AbstractAsyncContextManager[str]] | None = None


def port_option(help: str, none: bool = False) -> Any:
    """A TCP port, 1–65535, checked by typer before anything starts (out of range: its usage error,
    exit 2, not a traceback from bind). `none`: 0 is allowed too and means "do not serve it"."""
    return typer.Option(help=help, min=0 if none else 1, max=65535)


@run
async def up(
    port: Annotated[int, port_option("gRPC port of the dev server.")] = 7233,
    ui_port: Annotated[int, port_option("Port of the Temporal Web UI.")] = 8233,
    console_port: Annotated[int, port_option("Port of the web console (127.0.0.1); 0: none.", none=True)] = 8080,
) -> None:
    """Run the embedded stack in the foreground: dev server, worker, bootstrap, web console. Ctrl-C stops it."""
    from engine import config
    from engine.bootstrap import bootstrap
    from engine.client import embedded_address_file, embedded_ui_file
    from engine.keys import office
    from engine.logs import configure as configure_logs
    from engine.stack import dev_server, one_stack_per_data_dir, refuse_taken_ports
    from worker import SHUTDOWN_GRACE, build_worker

    if console is not None and console_port and console_port in (port, ui_port):
        usage(f"--console-port {console_port} is also the {'--port' if console_port == port else '--ui-port'}")
    configure_logs()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    with one_stack_per_data_dir():
        # Before the server and the bootstrap, not after; all at once, so each busy one is named.
        with_console = {"--console-port": console_port} if console is not None and console_port else {}
        refuse_taken_ports({"--port": port, "--ui-port": ui_port, **with_console})
        async with dev_server(port, ui_port) as client:
            address_file, ui_file = embedded_address_file(), embedded_ui_file()
            address_file.write_text(f"127.0.0.1:{port}\n")
            ui = f"http://localhost:{ui_port}"
            ui_file.write_text(ui + "\n")
            try:
                serving = build_worker(client, graceful_shutdown_timeout=SHUTDOWN_GRACE)
                async with serving, contextlib.AsyncExitStack() as beside:
                    if office() is None:  # one machine, every key: set up and signed here
                        status = await bootstrap(client)
                        state = f"Partnership {status.state} since {status.in_effect_since} (version {status.version})"
                    else:  # an office's stack: the Partnership is started from public keys, signed by each office
                        state = "No bootstrap in an office: `partnership start --key …`, then `partnership sign`"
                    signers = await beside.enter_async_context(checkpoint_watchers(stop))
                    if signers:
                        state += f"; checkpoints due are signed here for {', '.join(signers)}"
                    where = ""
                    if console is not None and console_port:
                        where = f", console: {await beside.enter_async_context(console('127.0.0.1', console_port, ui))}"
                    echo(
                        f"{state}. Temporal at 127.0.0.1:{port}, Web UI: {ui}{where} . Ctrl-C stops.",
                        err=True,
                    )
                    await stop.wait()
            finally:
                address_file.unlink(missing_ok=True)
                ui_file.unlink(missing_ok=True)
        # Said once the server is down too, so the last line a user sees is that it all stopped.
        echo(f"stopped: worker and Temporal server; the data dir {config.data_dir()} keeps everything", err=True)


@contextlib.asynccontextmanager
async def checkpoint_watchers(stop: asyncio.Event) -> AsyncIterator[list[Identity]]:
    """Issue 14: the stack holds these Participants' keys, so it answers their offices' calls for a
    checkpoint itself, as `partnership checkpoint watch --as …` would from each office (the worker
    never signs; this is the office's own watcher, run beside it). Yields whom it signs for."""
    from cli.checkpoint import watch_checkpoints
    from cli.common import keep_connection
    from engine.config import checkpoint_every
    from engine.keys import office_identities
    from models.identities import PARTICIPANTS

    signers = [p for p in PARTICIPANTS if p in office_identities()]
    if signers:
        keep_connection()  # the watchers' reads and filings share the stack's one connection

    def say(line: str) -> None:
        echo(line, err=True)

    tasks = [asyncio.create_task(watch_checkpoints(p, checkpoint_every(), stop, say, say)) for p in signers]
    try:
        yield signers
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)


def worker() -> None:
    """Run a worker against any Temporal (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY…)."""
    import worker as worker_module

    worker_module.main()


@run
async def bootstrap_command(json_out: JsonFlag = False) -> None:
    """Keys if absent, the Partnership workflow, and both signatures of 2023-11-22 (idempotent)."""
    from engine.bootstrap import bootstrap
    from engine.client import connect
    from engine.logs import configure as configure_logs

    configure_logs()
    status = await bootstrap(await connect())
    show_status(status, json_out)
