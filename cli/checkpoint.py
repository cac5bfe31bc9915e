"""`partnership checkpoint sign|watch|show`: the anchored register (issue 14). Each Participant's
office signs the register as it reads it (row count, head hash); once both have signed the same,
that checkpoint is kept in the Partnership's history and `audit verify` holds the register to it.
After each Forum the Partnership calls for one; `watch` answers each call from the office itself
(the embedded stack runs one watcher per Participant key it holds), since only the office holds
its key."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from cli import pending
from cli.common import (
    EXPECTED,
    JsonFlag,
    Refused,
    ask,
    explain,
    file_on_partnership,
    forget_registry_check,
    no_answer,
    run,
    usage,
)
from cli.options import ParticipantAs
from cli.output import echo, emit
from models.identities import Identity

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from models.checkpoint import CheckpointStatus, RegisterCheckpoint

checkpoint_app = typer.Typer(help="Checkpoints of the decision register, co-signed by UK and ROK.")


def row_hash(engine: Engine, rows: int) -> str | None:
    """The hash of the register's `rows`-th row, as this office's register holds it."""
    from activities.register import decisions

    found = decisions(engine)
    return found[rows - 1].hash if 0 < rows <= len(found) else None


async def checkpoint_to_sign(filer: Identity) -> RegisterCheckpoint:
    """The one place an office reads what it signs of the register: if the other side has signed a
    checkpoint this office's register agrees with, that one (co-signing it), else the register as
    it stands. `sign`, `watch` and the console's form all sign what this reads."""
    from sqlalchemy.exc import DBAPIError

    from activities.register import decisions, read_only_engine
    from models.checkpoint import RegisterCheckpoint
    from workflows.partnership import PartnershipWorkflow

    engine = read_only_engine()
    try:
        rows = decisions(engine)
    except DBAPIError:
        raise Refused("no register here to checkpoint (PARTNERSHIP_DATA_DIR, DATABASE_URL)") from None
    if not rows:
        raise Refused("the register is empty: nothing to checkpoint")
    current = await ask(PartnershipWorkflow.checkpoint)
    pending_one = current.pending
    if pending_one and filer not in pending_one.filings and row_hash(engine, pending_one.rows) == pending_one.head_hash:
        return RegisterCheckpoint(filed_by=filer, rows=pending_one.rows, head_hash=pending_one.head_hash)
    return RegisterCheckpoint(filed_by=filer, rows=len(rows), head_hash=rows[-1].hash)


async def sign_register(filer: Identity) -> tuple[RegisterCheckpoint, CheckpointStatus]:
    """Sign and file what `checkpoint_to_sign` read."""
    from workflows.partnership import PartnershipWorkflow

    filing = await checkpoint_to_sign(filer)
    status = await file_on_partnership(PartnershipWorkflow.sign_checkpoint, filing)
    return filing, status


def signed_line(filing: RegisterCheckpoint, status: CheckpointStatus) -> str:
    if status.latest and status.latest.rows == filing.rows and status.pending is None:
        return f"checkpoint at {filing.rows} rows co-signed by UK and ROK"
    return f"signed the register at {filing.rows} rows; it awaits the other Participant's signature"


@checkpoint_app.command("sign")
@run
async def sign(filer: ParticipantAs, json_out: JsonFlag = False) -> None:
    """Sign the register as it stands; if the other side has signed a checkpoint that this
    office's register agrees with, co-sign that one."""
    filing, status = await sign_register(filer)
    if json_out:
        emit(status)
    else:
        typer.echo(signed_line(filing, status))


async def sign_if_due(filer: Identity) -> str | None:
    """Answer the Partnership's call for a checkpoint if it awaits `filer`: the line to print, or
    None when nothing is due from this office."""
    from workflows.partnership import PartnershipWorkflow

    due = (await ask(PartnershipWorkflow.checkpoint)).due
    if due is None or filer not in due.awaiting:
        return None
    filing, status = await sign_register(filer)
    return f"{signed_line(filing, status)} (due after the Forum {due.year})"


async def watch_checkpoints(
    filer: Identity, every: float, stop: asyncio.Event, say: Callable[[str], None], say_error: Callable[[str], None]
) -> None:
    """Until `stop`: every `every` seconds, sign what is due from `filer`. A failure is said once
    (not again each round while it lasts) and the watch goes on; an unanswered filing is resent
    unchanged next round (cli/pending.py), so it is accepted once."""
    last_error = None
    while not stop.is_set():
        # Each round checks the Partnership's key registry again (issue 13): a watch runs for
        # months, and a Partnership restarted under a swapped registry must not get its signature.
        forget_registry_check()
        try:
            line = await sign_if_due(filer)
            pending.answered()
            last_error = None
            if line:
                say(line)
        except EXPECTED as err:
            if not no_answer(err):
                pending.answered()  # a rejection is an answer: nothing to resend
            message = f"{filer}: {explain(err)}"
            if message != last_error:
                say_error(message)
            last_error = message
        try:
            await asyncio.wait_for(stop.wait(), timeout=every)
        except TimeoutError:
            pass


@checkpoint_app.command("watch")
@run
async def watch(
    filer: ParticipantAs,
    every: Annotated[
        float | None, typer.Option(min=1, help="Seconds between looks (default PARTNERSHIP_CHECKPOINT_EVERY, 60).")
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="Look once, sign if due, and exit (for cron).")] = False,
) -> None:
    """Sign every checkpoint due from this office, as it falls due (after each Forum). One line
    per signature; Ctrl-C stops."""
    from cli.register_reads import no_register_here
    from engine.config import checkpoint_every

    if not filer.is_participant:
        usage(f"only a Participant (UK or ROK) signs a register checkpoint, not {filer}")
    # A cron run that could never sign says so each time; a long watch (perhaps started before the
    # stack made the register) waits, and says so when a checkpoint falls due.
    if once and (missing := no_register_here()):
        raise Refused(f"no register at {missing} to checkpoint; DATABASE_URL reaches the secretariat's")
    if once:
        line = await sign_if_due(filer)
        if line:
            echo(line)
        return
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    echo(f"watching for checkpoints due from {filer}. Ctrl-C stops.", err=True)
    await watch_checkpoints(filer, every or checkpoint_every(), stop, echo, lambda m: echo(m, err=True))


@checkpoint_app.command("show")
@run
async def show(json_out: JsonFlag = False) -> None:
    """The latest checkpoint co-signed by both, one awaiting a signature, and one due after a Forum."""
    from workflows.partnership import PartnershipWorkflow

    status = await ask(PartnershipWorkflow.checkpoint)
    if json_out:
        emit(status)
        return
    if status.latest:
        typer.echo(f"co-signed: {status.latest.rows} rows on {status.latest.cosigned_at:%Y-%m-%d %H:%M}Z")
    if status.pending:
        by = ", ".join(status.pending.filings)
        typer.echo(f"awaiting: {status.pending.rows} rows, signed by {by}")
    if status.due:
        due = status.due
        typer.echo(
            f"due after the Forum {due.year} (since {due.since:%Y-%m-%d %H:%M}Z) from {', '.join(due.awaiting)}: "
            f"`partnership checkpoint sign --as {due.awaiting[0]}`"
        )
    if not (status.latest or status.pending or status.due):
        typer.echo("no checkpoint yet: `partnership checkpoint sign --as UK`, then --as ROK")
