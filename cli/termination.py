"""`partnership termination …`: written notice of termination, six months in advance (¶31–32)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from cli.common import JsonFlag, ask, day, day_option, file_on_partnership, run
from cli.options import ParticipantAs
from cli.output import echo, emit
from models.partnership import TerminationNotice, TerminationWithdrawal
from workflows.partnership import PartnershipWorkflow

termination_app = typer.Typer(help="¶31–32: written notice of termination, six months in advance.")


# Termination --------------------------------------------------------------------------------------


@termination_app.command("notify")
@run
async def notify(
    filer: ParticipantAs,
    effective_on: Annotated[datetime | None, day_option("Default the earliest permissible date.")] = None,
) -> None:
    """Give written notice of termination to the other Participant (¶31)."""
    notice = TerminationNotice(filed_by=filer, effective_on=day(effective_on))
    receipt = await file_on_partnership(PartnershipWorkflow.give_termination_notice, notice)
    echo(
        f"notice received {receipt.received_at:%Y-%m-%d %H:%MZ}; the Partnership terminates on "
        f"{receipt.effective_on} ({receipt.effective_at:%Y-%m-%d %H:%MZ}) unless withdrawn"
    )


@termination_app.command("withdraw")
@run
async def withdraw_notice(filer: ParticipantAs) -> None:
    """Withdraw the notice you gave, before it takes effect."""
    status = await ask(PartnershipWorkflow.status)
    notice = next((n for n in status.termination_notices if n.given_by is filer), None)
    if notice is None:  # the workflow's rule says why in its own words
        notice_id = "none"
    else:
        notice_id = notice.filing_id
    status = await file_on_partnership(
        PartnershipWorkflow.withdraw_termination_notice, TerminationWithdrawal(filed_by=filer, notice=notice_id)
    )
    echo(f"notice withdrawn; the Partnership is {status.state}")


@termination_app.command("show")
@run
async def show_termination(json_out: JsonFlag = False) -> None:
    """The pending (or effective) termination notice, if any."""
    status = await ask(PartnershipWorkflow.status)
    notices = status.termination_notices or [t for t in [status.termination] if t]
    if json_out:  # the one that takes effect, and every pending one as the text lists them (walkthrough 3, F11)
        shown = status.termination.model_dump(mode="json") if status.termination else None
        emit(shown and shown | {"notices": [t.model_dump(mode="json") for t in notices]})  # type: ignore[arg-type]
        return
    if not notices:
        echo(f"no termination notice; the Partnership is {status.state}")
    for t in notices:  # the earliest first: it is the one that takes effect
        echo(
            f"{status.state}: notice given by {t.given_by} to {t.recipient}, received "
            f"{t.received_at:%Y-%m-%d %H:%MZ}; effective {t.effective_on} ({t.effective_at:%Y-%m-%d %H:%MZ})"
        )
