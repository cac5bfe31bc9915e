"""`partnership checkpoint sign|show`: the anchored register (issue 14). Each Participant's office
signs the register as it reads it (row count, head hash); once both have signed the same, that
checkpoint is kept in the Partnership's history and `audit verify` holds the register to it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from cli.common import AsOption, JsonFlag, Refused, ask, emit, file_on_partnership, run

if TYPE_CHECKING:
    from sqlalchemy import Engine

checkpoint_app = typer.Typer(help="Checkpoints of the decision register, co-signed by UK and ROK.")


def row_hash(engine: Engine, rows: int) -> str | None:
    """The hash of the register's `rows`-th row, as this office's register holds it."""
    from activities.register import decisions

    found = decisions(engine)
    return found[rows - 1].hash if 0 < rows <= len(found) else None


@checkpoint_app.command("sign")
@run
async def sign(filer: AsOption, json_out: JsonFlag = False) -> None:
    """Sign the register as it stands; if the other side has signed a checkpoint that this
    office's register agrees with, co-sign that one."""
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
    pending = current.pending
    if pending and filer not in pending.filings and row_hash(engine, pending.rows) == pending.head_hash:
        filing = RegisterCheckpoint(filed_by=filer, rows=pending.rows, head_hash=pending.head_hash)
    else:
        filing = RegisterCheckpoint(filed_by=filer, rows=len(rows), head_hash=rows[-1].hash)
    status = await file_on_partnership(PartnershipWorkflow.sign_checkpoint, filing)
    if json_out:
        emit(status)
    elif status.latest and status.latest.rows == filing.rows and status.pending is None:
        typer.echo(f"checkpoint at {filing.rows} rows co-signed by UK and ROK")
    else:
        typer.echo(f"signed the register at {filing.rows} rows; it awaits the other Participant's signature")


@checkpoint_app.command("show")
@run
async def show(json_out: JsonFlag = False) -> None:
    """The latest checkpoint co-signed by both, and one awaiting a signature."""
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
    if not (status.latest or status.pending):
        typer.echo("no checkpoint yet: `partnership checkpoint sign --as UK`, then --as ROK")
