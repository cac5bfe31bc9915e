"""`partnership consult …`: consultations to resolve differences amicably (¶29)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.common import (
    JsonFlag,
    Refused,
    client,
    day,
    day_option,
    file_on,
    file_on_partnership,
    query_or_explain,
    read_text,
    run,
    with_closed,
)
from cli.options import AsOption, ParticipantAs
from cli.output import echo, emit, table
from models.calendar import filers_date
from models.consultation import (
    ConsultationRequest,
    ConsultationRound,
    ConsultationSummary,
    ConsultationView,
    ConsultationWithdrawal,
    ResolutionAcceptance,
    ResolutionProposal,
)
from workflows.consultation import ConsultationWorkflow
from workflows.partnership import PartnershipWorkflow

consult_app = typer.Typer(help="¶29: consultations to resolve differences amicably.")

ConsultationId = Annotated[str, typer.Argument(help="Consultation id, or just its number.", metavar="CONSULTATION")]


# Consultations -------------------------------------------------------------------------------------


def consultation_id(value: str) -> str:
    return f"consultation-{value}" if value.isdecimal() else value


def on_consultation(ident: str, update: Any, filing: Any) -> Any:
    return file_on(ident, update, filing, ConsultationWorkflow.show, "consult")


@consult_app.command("open")
@run
async def open_consultation(
    filer: ParticipantAs,
    about: Annotated[str, typer.Option(help="A ¶ (e.g. 28), a commitment ref (9b) or an action/amendment id.")],
    summary: Annotated[str, typer.Option(help="The difference, in a sentence.")],
) -> None:
    """Raise a difference (¶29); prints the consultation's id."""
    receipt = await file_on_partnership(
        PartnershipWorkflow.open_consultation, ConsultationRequest(filed_by=filer, about=about, summary=summary)
    )
    echo(receipt.consultation_id)


@consult_app.command("note")
@run
async def note(
    ident: ConsultationId,
    filer: AsOption,
    note: Annotated[str, typer.Option(help="What was discussed.")],
    held_on: Annotated[datetime | None, day_option("Default today.")] = None,
    attendees: Annotated[str, typer.Option(help="Comma-separated names.")] = "",
) -> None:
    """Record a round of consultation."""
    ident = consultation_id(ident)
    filing = ConsultationRound(
        filed_by=filer,
        consultation_id=ident,
        held_on=day(held_on) or filers_date(datetime.now(UTC), filer),  # as the rule counts the filer's today
        attendees=[a.strip() for a in attendees.split(",") if a.strip()],
        note=note,
    )
    view = await on_consultation(ident, ConsultationWorkflow.note, filing)
    echo(f"{ident}: round {view.summary.rounds} noted")


@consult_app.command("propose")
@run
async def propose_outcome(
    ident: ConsultationId,
    filer: ParticipantAs,
    resolution_file: Annotated[Path, typer.Option(exists=True, help="The proposed outcome.")],
) -> None:
    """Propose an outcome; it counts only when the other Participant accepts it."""
    ident = consultation_id(ident)
    filing = ResolutionProposal(filed_by=filer, consultation_id=ident, resolution=read_text(resolution_file))
    view = await on_consultation(ident, ConsultationWorkflow.propose, filing)
    echo(f"{ident}: proposal {view.proposals[-1].number} awaits the other Participant's acceptance")


@consult_app.command("accept")
@run
async def accept(
    ident: ConsultationId,
    filer: ParticipantAs,
    proposal: Annotated[int | None, typer.Option(help="Which proposal; default the latest.")] = None,
) -> None:
    """Accept the other Participant's proposed outcome: the difference is resolved."""
    ident = consultation_id(ident)
    if proposal is None:
        handle = (await client()).get_workflow_handle(ident)
        view: ConsultationView = await query_or_explain(handle, ConsultationWorkflow.show, f"no consultation {ident}")
        if not view.proposals:
            raise Refused(f"{ident} has no proposed outcome to accept yet")
        proposal = view.proposals[-1].number
    filing = ResolutionAcceptance(filed_by=filer, consultation_id=ident, proposal=proposal)
    view = await on_consultation(ident, ConsultationWorkflow.accept, filing)
    echo(f"{ident} {view.summary.state}")


@consult_app.command("list")
@run
async def list_consultations(json_out: JsonFlag = False) -> None:
    """Every consultation and its state."""
    found = await with_closed(PartnershipWorkflow.consultations, "consultation", ConsultationSummary, "consultation_id")
    if json_out:
        emit(found)
        return
    if not found:
        echo("no consultations")
        return
    table(
        ["consultation", "state", "opened by", "about", "summary"],
        [[c.consultation_id, c.state, c.opened_by, c.about, c.summary] for c in found],
    )


@consult_app.command("show")
@run
async def show_consultation(ident: ConsultationId, json_out: JsonFlag = False) -> None:
    """One consultation: rounds, proposals, resolution."""
    ident = consultation_id(ident)
    handle = (await client()).get_workflow_handle(ident)
    view: ConsultationView = await query_or_explain(handle, ConsultationWorkflow.show, f"no consultation {ident}")
    if json_out:
        emit(view)
        return
    s = view.summary
    echo(f"{s.consultation_id}: {s.state} — opened by {s.opened_by} about {s.about}: {s.summary}")
    for r in view.rounds:
        echo(f"  round {r.held_on} ({', '.join(r.attendees) or 'attendees not noted'}): {r.note}")
    for p in view.proposals:
        echo(f"  proposal {p.number} by {p.by}: {p.resolution.strip()}")
    if view.resolution:
        echo(f"  resolved: proposal {view.resolution.number}, accepted by {view.accepted_by}")


@consult_app.command("withdraw")
@run
async def withdraw(ident: ConsultationId, filer: ParticipantAs) -> None:
    """Withdraw a consultation you opened, while it is open."""
    filing = ConsultationWithdrawal(filed_by=filer, consultation_id=consultation_id(ident))
    view = await on_consultation(filing.consultation_id, ConsultationWorkflow.withdraw, filing)
    echo(f"{filing.consultation_id} {view.summary.state}; a difference that remains may be raised again")
