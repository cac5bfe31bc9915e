"""`partnership amendment …`: amendments by mutual written consent (¶33), each a signed
instrument filed as an Update."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import TypeAdapter, ValidationError

from cli.common import (
    JsonFlag,
    ask,
    client,
    day,
    day_option,
    file_on,
    file_on_partnership,
    query_or_explain,
    read_text,
    run,
    usage,
    with_closed,
)
from cli.options import ParticipantAs
from cli.output import echo, emit, table
from models.amendment import (
    AmendmentConsent,
    AmendmentDecline,
    AmendmentProposal,
    AmendmentSummary,
    AmendmentView,
    AmendmentWithdrawal,
    CatalogueChange,
)
from models.partnership import PartnershipStatus
from workflows.amendment import AmendmentWorkflow
from workflows.partnership import PARTNERSHIP_ID, PartnershipWorkflow

amendment_app = typer.Typer(help="¶33: amendments by the mutual written consent of UK and ROK.")

IdArgument = Annotated[str, typer.Argument(help="Amendment id, or just its number (1, 2, …).", metavar="AMENDMENT")]


def no_such(ident: str) -> str:
    return f"no amendment {ident}; `partnership amendment list` shows them"


def amendment_id(value: str) -> str:
    return f"{PARTNERSHIP_ID}-amendment-{value}" if value.isdecimal() else value


async def status_now() -> PartnershipStatus:
    return await ask(PartnershipWorkflow.status)


# Amendments ---------------------------------------------------------------------------------------


@amendment_app.command("propose")
@run
async def propose(
    filer: ParticipantAs,
    paragraph: Annotated[list[int], typer.Option("--paragraph", help="A ¶ the amendment changes.")],
    text_file: Annotated[Path, typer.Option(help="File with the amended wording.", exists=True)],
    summary: Annotated[str, typer.Option(help="One line saying what changes.")] = "",
    respond_by: Annotated[datetime | None, day_option("Default 90 days from receipt.")] = None,
    effective_on: Annotated[datetime | None, day_option("Default on consent.")] = None,
    catalogue_file: Annotated[Path | None, typer.Option(help="JSON list of catalogue changes.", exists=True)] = None,
) -> None:
    """Propose an amendment; the proposal is your written consent. Prints its id."""
    changes: list[CatalogueChange] = []
    if catalogue_file is not None:
        try:
            changes = TypeAdapter(list[CatalogueChange]).validate_json(read_text(catalogue_file))
        except ValidationError as err:
            usage(f"{catalogue_file} is not a list of catalogue changes: {err.errors()[0]['msg']}")
    proposal = AmendmentProposal(
        filed_by=filer,
        paragraphs=paragraph,
        text=read_text(text_file),
        summary=summary,
        respond_by=day(respond_by),
        effective_on=day(effective_on),
        catalogue_changes=changes,
    )
    receipt = await file_on_partnership(PartnershipWorkflow.propose_amendment, proposal)
    echo(receipt.amendment_id)
    echo(f"awaiting the other Participant's written consent by {receipt.respond_by}", err=True)


def file_on_amendment(ident: str, update: Any, filing: Any) -> Any:
    return file_on(ident, update, filing, AmendmentWorkflow.show, "amendment")


@amendment_app.command("consent")
@run
async def consent(ident: IdArgument, filer: ParticipantAs) -> None:
    """Give your written consent to the other Participant's proposal."""
    ident = amendment_id(ident)
    view = await file_on_amendment(
        ident, AmendmentWorkflow.consent, AmendmentConsent(filed_by=filer, amendment_id=ident)
    )
    echo(f"{ident} {view.status}: in effect on {view.effective_on}")


@amendment_app.command("decline")
@run
async def decline(ident: IdArgument, filer: ParticipantAs, reason: Annotated[str, typer.Option(help="Why.")]) -> None:
    """Decline the other Participant's proposal."""
    ident = amendment_id(ident)
    view = await file_on_amendment(
        ident,
        AmendmentWorkflow.decline,
        AmendmentDecline(filed_by=filer, amendment_id=ident, reason=reason),
    )
    echo(f"{ident} {view.status}")


@amendment_app.command("withdraw")
@run
async def withdraw(ident: IdArgument, filer: ParticipantAs) -> None:
    """Withdraw your own proposal (until the other Participant consents)."""
    ident = amendment_id(ident)
    view = await file_on_amendment(
        ident, AmendmentWorkflow.withdraw, AmendmentWithdrawal(filed_by=filer, amendment_id=ident)
    )
    echo(f"{ident} {view.status}")


@amendment_app.command("list")
@run
async def list_amendments(json_out: JsonFlag = False) -> None:
    """Every amendment proposed, with its status."""
    summaries = await with_closed(PartnershipWorkflow.amendments, "amendment", AmendmentSummary, "amendment_id")
    if json_out:
        emit(summaries)
        return
    if not summaries:
        echo("no amendments proposed")
        return
    rows = []
    for a in summaries:
        paragraphs = ",".join(f"¶{p}" for p in a.paragraphs)
        rows.append([a.amendment_id, a.status, a.proposed_by, paragraphs, a.when(), a.summary])
    table(["amendment", "status", "by", "paragraphs", "when", "summary"], rows)


@amendment_app.command("show")
@run
async def show_amendment(ident: IdArgument, json_out: JsonFlag = False) -> None:
    """One amendment in full."""
    ident = amendment_id(ident)
    handle = (await client()).get_workflow_handle(ident)
    view: AmendmentView = await query_or_explain(
        handle, AmendmentWorkflow.show, f"no amendment {ident}; `partnership amendment list` shows them"
    )
    if json_out:
        emit(view)
        return
    proposed = f"{view.proposed_at:%Y-%m-%d %H:%MZ}"
    echo(f"{view.amendment_id}: {view.status} — proposed by {view.proposed_by} at {proposed}")
    respond = f"; respond by {view.respond_by}" if view.consent_needed_from else ""
    echo(f"  paragraphs: {', '.join(f'¶{p}' for p in view.paragraphs)}{respond}")
    if view.consent_needed_from:
        echo(f"  awaiting the written consent of {view.consent_needed_from}")
    if view.effective_on:
        echo(f"  effective on {view.effective_on}")
    elif view.requested_effective_on:  # what the other side consents to (console walkthrough 3, F7)
        echo(f"  to take effect on {view.requested_effective_on} at the earliest, once consented")
    if view.reason:
        echo(f"  reason: {view.reason}")
    if view.summary:
        echo(f"  summary: {view.summary}")
    echo("")
    echo(view.text.rstrip())
