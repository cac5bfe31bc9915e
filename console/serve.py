"""`partnership console`, and the console `partnership up` runs beside its worker. The web stack is
imported when a console starts, not by every CLI command."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import typer

from cli.common import keep_connection, run
from cli.stack import port_option
from console.office import AccessRefused, required_token

DEFAULT_PORT = 8080
DEFAULT_UI = "http://localhost:8233"


def stack_web_ui() -> str:
    """The Web UI of the stack running on this data dir (`partnership up --ui-port` writes it there),
    else Temporal's default: a console beside a stack on other ports links to that stack's UI."""
    from engine.client import embedded_ui_file

    written = embedded_ui_file()
    return written.read_text().strip() if written.is_file() else DEFAULT_UI


def console_server(host: str, port: int, temporal_ui: str) -> Any:
    import uvicorn

    from console.app import Settings, create_app

    class ConsoleServer(uvicorn.Server):
        """uvicorn without its own signal handling: whoever runs the console (`up`, `console`) stops it."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    token = required_token(host)  # refuses before anything listens
    settings = Settings(temporal_ui=temporal_ui, namespace=os.environ.get("TEMPORAL_NAMESPACE", "default"))
    app = create_app(settings, token, host=host, port=port)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")
    return ConsoleServer(config)


@contextlib.asynccontextmanager
async def serving(host: str, port: int, temporal_ui: str, option: str = "--console-port") -> AsyncIterator[str]:
    """The console in this event loop until the block ends; yields its address. A port that cannot
    be bound is StackError's kind of failure: said in one line, naming the `option` that chose it
    (`up --console-port`, `console --port`)."""
    from engine.client import StackError

    keep_connection()
    server = console_server(host, port, temporal_ui)
    # Bound here, not by uvicorn: uvicorn answers a port in use with sys.exit inside its task, which
    # asyncio lets through the whole event loop, and `up` then hung stopping its worker.
    listening = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((host, port))
    except OSError as err:
        listening.close()
        raise StackError(
            f"the console could not listen on {host}:{port} ({err.strerror}); is the port in use? ({option})"
        ) from None
    task = asyncio.create_task(server.serve(sockets=[listening]))
    try:
        while not server.started:
            if task.done():
                raise StackError(f"the console could not start on {host}:{port}")
            await asyncio.sleep(0.05)
    except BaseException:  # refused, or called off while starting: nothing keeps listening
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        listening.close()
        raise
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        await task


@run
async def console_command(
    port: Annotated[int, port_option("Port of the web console.")] = DEFAULT_PORT,
    host: Annotated[
        str, typer.Option(help="Address to bind; beyond 127.0.0.1 it needs PARTNERSHIP_CONSOLE_TOKEN.")
    ] = "127.0.0.1",
    temporal_ui: Annotated[
        str | None,
        typer.Option(
            help="The Temporal Web UI, for links to workflows [default: the Web UI of the stack running on "
            f"this data dir, else {DEFAULT_UI}]",
            show_default=False,
        ),
    ] = None,
) -> None:
    """This office's web console (identities: the private keys in this data dir). Ctrl-C stops it."""
    from cli.output import echo
    from engine.client import StackError
    from engine.logs import configure as configure_logs

    if temporal_ui is None:
        temporal_ui = stack_web_ui()
    configure_logs()
    keep_connection()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with serving(host, port, temporal_ui, option="--port") as address:
            echo(f"Console: {address} . Ctrl-C stops.", err=True)
            await stop.wait()
    except AccessRefused as err:
        raise StackError(str(err)) from None
