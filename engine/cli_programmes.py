"""`partnership group …`, `partnership action …`, `partnership consult …`: the working level of ¶7,
the joint actions of ¶9–27 with their costs (¶28) and ¶32's wind-down, and consultations (¶29)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from engine.cli_support import (
    AsOption,
    JsonFlag,
    Refused,
    ask,
    client,
    emit,
    file_on,
    parse_date,
    partnership,
    query_or_explain,
    run,
    signed_as,
    usage,
)
from models.catalogue import find_area
from models.consultation import (
    ConsultationRequest,
    ConsultationRound,
    ConsultationSummary,
    ConsultationView,
    ResolutionAcceptance,
    ResolutionProposal,
)
from models.joint_action import (
    ActionAgreement,
    ActionClosure,
    ActionState,
    ActionSummary,
    ActionView,
    CostArrangement,
    JointActionProposal,
    Progress,
    ProgressReport,
    WindDown,
    rollup,
)
from models.working_group import GroupLeads, GroupReport
from workflows.consultation import ConsultationWorkflow
from workflows.joint_action import JointActionWorkflow
from workflows.partnership import PartnershipWorkflow

group_app = typer.Typer(help="¶7: working groups, one per policy area, with a lead from each side.")
action_app = typer.Typer(help="¶9–28, ¶32: joint actions, their progress and costs.")
consult_app = typer.Typer(help="¶29: consultations to resolve differences amicably.")

ActionId = Annotated[str, typer.Argument(help="Joint action id, e.g. action-9b-open-ran-testbed.")]
ConsultationId = Annotated[str, typer.Argument(help="Consultation id, or just its number.")]


def progress_line(r) -> str:
    mean = "—" if r.mean_percent is None else f"{r.mean_percent:.0f} %"
    return (
        f"{r.actions} actions: {r.active} active ({mean}), {r.proposed} proposed, {r.completed} completed, "
        f"{r.discontinued} discontinued; {r.at_risk} at risk, {r.off_track} off track"
    )


# Working groups -----------------------------------------------------------------------------------


@group_app.command("list")
@run
async def list_groups(json_out: JsonFlag = False) -> None:
    """Every working group: leads, cadence and its joint actions' progress."""
    reports: list[GroupReport] = await ask(PartnershipWorkflow.groups)
    if json_out:
        emit(reports)
        return
    for r in reports:
        g = r.group
        leads = f"{g.lead_uk or '—'} / {g.lead_rok or '—'}"
        typer.echo(f"{g.area:<20} {leads:<32} every {g.cadence_months} mo  {progress_line(r.progress)}")


@group_app.command("show")
@run
async def show_group(area: str, json_out: JsonFlag = False) -> None:
    """One working group and its report for the Forum (its joint actions' latest progress)."""
    found = find_area(area)
    slug = found.slug if found else area
    reports: list[GroupReport] = await ask(PartnershipWorkflow.groups)
    report = next((r for r in reports if r.group.area == slug), None)
    if report is None:
        usage(f"no policy area {area!r}; areas: {', '.join(r.group.area for r in reports)}")
    if json_out:
        emit(report)
        return
    g = report.group
    typer.echo(f"{g.name} [{g.area}], pillar {g.pillar}: leads {g.lead_uk or '—'} (UK), {g.lead_rok or '—'} (ROK)")
    typer.echo(f"  reports every {g.cadence_months} months; {progress_line(report.progress)}")
    for a in report.actions:
        show_action_line(ActionSummary.model_validate(a))


@group_app.command("set-leads")
@run
async def set_leads(
    area: str,
    filer: AsOption,
    lead_uk: Annotated[str, typer.Option(help="The UK lead.")],
    lead_rok: Annotated[str, typer.Option(help="The ROK lead.")],
    cadence_months: Annotated[int, typer.Option(help="Months between progress reports.", min=1, max=12)] = 3,
) -> None:
    """File your side of a joint decision on a group's leads; it applies when both file the same."""
    found = find_area(area)
    filing = GroupLeads(
        filed_by=filer,
        area=found.slug if found else area,
        lead_uk=lead_uk,
        lead_rok=lead_rok,
        cadence_months=cadence_months,
    )
    group = await (await partnership()).execute_update(PartnershipWorkflow.set_group_leads, signed_as(filing))
    if group.pending:
        typer.echo(f"filed; awaiting the same filing from the other Participant ({group.area})")
    else:
        typer.echo(
            f"{group.area}: leads {group.lead_uk} (UK) and {group.lead_rok} (ROK), every {group.cadence_months} months"
        )


# Joint actions -------------------------------------------------------------------------------------


@action_app.command("propose")
@run
async def propose(
    filer: AsOption,
    ref: Annotated[str, typer.Option(help="The commitment, e.g. 9b (`partnership catalogue`).")],
    title: Annotated[str, typer.Option(help="What the action is.")],
    description_file: Annotated[Path | None, typer.Option(exists=True, help="Longer description.")] = None,
    lead_uk: Annotated[str | None, typer.Option(help="UK lead.")] = None,
    lead_rok: Annotated[str | None, typer.Option(help="ROK lead.")] = None,
    starts: Annotated[str | None, typer.Option(help="YYYY-MM-DD.")] = None,
    ends: Annotated[str | None, typer.Option(help="YYYY-MM-DD.")] = None,
) -> None:
    """Propose a joint action under a commitment; prints its id."""
    proposal = JointActionProposal(
        filed_by=filer,
        ref=ref,
        title=title,
        description=description_file.read_text() if description_file else "",
        lead_uk=lead_uk,
        lead_rok=lead_rok,
        starts=parse_date(starts, "--starts"),
        ends=parse_date(ends, "--ends"),
    )
    receipt = await (await partnership()).execute_update(PartnershipWorkflow.propose_joint_action, signed_as(proposal))
    typer.echo(receipt.action_id)
    typer.echo("awaiting the other Participant's agreement (`partnership action agree`)", err=True)


def on_action(ident: str, update: Any, filing: Any) -> Any:
    return file_on(ident, update, filing, JointActionWorkflow.show, "action")


@action_app.command("agree")
@run
async def agree(ident: ActionId, filer: AsOption) -> None:
    """Agree the other Participant's proposed action: it becomes ACTIVE."""
    view = await on_action(ident, JointActionWorkflow.agree, ActionAgreement(filed_by=filer, action_id=ident))
    typer.echo(f"{ident} {view.summary.state}")


@action_app.command("report")
@run
async def report(
    ident: ActionId,
    filer: AsOption,
    status: Annotated[Progress, typer.Option(help="on-track, at-risk or off-track.")],
    percent: Annotated[int, typer.Option(min=0, max=100, help="Per cent complete.")],
    note: Annotated[str, typer.Option(help="What happened.")] = "",
) -> None:
    """Report progress on an ACTIVE action."""
    filing = ProgressReport(filed_by=filer, action_id=ident, status=status, percent=percent, note=note)
    view = await on_action(ident, JointActionWorkflow.report, filing)
    typer.echo(f"{ident} {view.summary.state} at {view.summary.percent} % ({view.summary.progress})")


@action_app.command("cost-share")
@run
async def cost_share(
    ident: ActionId,
    filer: AsOption,
    arrangement_file: Annotated[Path, typer.Option(exists=True, help="The arrangement, in words.")],
) -> None:
    """¶28: propose another cost arrangement; it applies when the other side files the same."""
    filing = CostArrangement(filed_by=filer, action_id=ident, arrangement=arrangement_file.read_text())
    view = await on_action(ident, JointActionWorkflow.cost_share, filing)
    if view.cost_filings:
        typer.echo(f"filed; until the other side files the same: {view.summary.cost_arrangement}")
    else:
        typer.echo(f"{ident}: {view.summary.cost_arrangement}")


def closing(outcome: str):
    async def close(ident: ActionId, filer: AsOption, reason: Annotated[str, typer.Option(help="Why.")] = "") -> None:
        filing = ActionClosure(filed_by=filer, action_id=ident, outcome=outcome, reason=reason)  # type: ignore[arg-type]
        view = await on_action(ident, JointActionWorkflow.close, filing)
        if view.summary.state.is_open:
            typer.echo(f"filed; {ident} will {outcome} when the other Participant files the same")
        else:
            typer.echo(f"{ident} {view.summary.state}")

    close.__doc__ = f"File your side of the joint decision to {outcome} an action; the second filing does it."
    return run(close)


action_app.command("complete")(closing("complete"))
action_app.command("discontinue")(closing("discontinue"))


@action_app.command("wind-down")
@run
async def wind_down(filer: AsOption, reason: Annotated[str, typer.Option(help="Why.")] = "") -> None:
    """¶32: file your side of a joint wind-down of every ongoing joint action."""
    still_open = await (await partnership()).execute_update(
        PartnershipWorkflow.wind_down, signed_as(WindDown(filed_by=filer, reason=reason))
    )
    typer.echo(f"filed; {len(still_open)} action(s) ongoing until both Participants have filed")


def show_action_line(a: ActionSummary) -> None:
    percent = "—" if a.percent is None else f"{a.percent} %"
    after = "  (continues after termination)" if a.continues_after_termination else ""
    typer.echo(f"  {a.action_id:<44} {a.ref:<4} {a.state:<12} {percent:>5} {a.progress or ''}{after}")


@action_app.command("list")
@run
async def list_actions(
    json_out: JsonFlag = False,
    ref: Annotated[str | None, typer.Option(help="Only under this commitment.")] = None,
    area: Annotated[str | None, typer.Option(help="Only in this policy area.")] = None,
    pillar: Annotated[int | None, typer.Option(min=1, max=4, help="Only under this pillar.")] = None,
    state: Annotated[ActionState | None, typer.Option(help="Only in this state.")] = None,
) -> None:
    """Joint actions, filtered, with their progress rolled up."""
    found = find_area(area) if area else None
    actions: list[ActionSummary] = [
        a
        for a in await ask(PartnershipWorkflow.actions)
        if (ref is None or a.ref == ref)
        and (area is None or a.area == (found.slug if found else area))
        and (pillar is None or a.pillar == pillar)
        and (state is None or a.state is state)
    ]
    if json_out:
        emit(actions)
        return
    typer.echo(progress_line(rollup(actions)))
    for a in actions:
        show_action_line(a)


@action_app.command("show")
@run
async def show_action(ident: ActionId, json_out: JsonFlag = False) -> None:
    """One joint action in full: reports, costs, pending joint filings."""
    handle = (await client()).get_workflow_handle(ident)
    view: ActionView = await query_or_explain(handle, JointActionWorkflow.show, f"no joint action {ident}")
    if json_out:
        emit(view)
        return
    s = view.summary
    typer.echo(f"{s.action_id}: {s.state} under {s.ref} ({s.area}, pillar {s.pillar}) — {s.title}")
    typer.echo(
        f"  leads {view.lead_uk or '—'} (UK), {view.lead_rok or '—'} (ROK); reports every {view.cadence_months} months"
    )
    typer.echo(f"  costs: {s.cost_arrangement}")
    for who, outcome in view.closure_filings.items():
        typer.echo(f"  {who} has filed to {outcome}; awaiting the other Participant")
    for r in view.reports:
        typer.echo(f"  {r.received_at:%Y-%m-%d} {r.by:<3} {r.status:<9} {r.percent:>3} %  {r.note}")
    if view.partnership_terminated_on:
        typer.echo(f"  the Partnership terminated on {view.partnership_terminated_on}; this action continues (¶32)")
    if view.reason:
        typer.echo(f"  {view.reason}")


# Consultations -------------------------------------------------------------------------------------


def consultation_id(value: str) -> str:
    return f"consultation-{value}" if value.isdigit() else value


def on_consultation(ident: str, update: Any, filing: Any) -> Any:
    return file_on(ident, update, filing, ConsultationWorkflow.show, "consult")


@consult_app.command("open")
@run
async def open_consultation(
    filer: AsOption,
    about: Annotated[str, typer.Option(help="A ¶ (e.g. 28), a commitment ref (9b) or an action/amendment id.")],
    summary: Annotated[str, typer.Option(help="The difference, in a sentence.")],
) -> None:
    """Raise a difference (¶29); prints the consultation's id."""
    receipt = await (await partnership()).execute_update(
        PartnershipWorkflow.open_consultation,
        signed_as(ConsultationRequest(filed_by=filer, about=about, summary=summary)),
    )
    typer.echo(receipt.consultation_id)


@consult_app.command("note")
@run
async def note(
    ident: ConsultationId,
    filer: AsOption,
    note: Annotated[str, typer.Option(help="What was discussed.")],
    held_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD; default today.")] = None,
    attendees: Annotated[str, typer.Option(help="Comma-separated names.")] = "",
) -> None:
    """Record a round of consultation."""
    ident = consultation_id(ident)
    filing = ConsultationRound(
        filed_by=filer,
        consultation_id=ident,
        held_on=parse_date(held_on, "--held-on") or date.today(),
        attendees=[a.strip() for a in attendees.split(",") if a.strip()],
        note=note,
    )
    view = await on_consultation(ident, ConsultationWorkflow.note, filing)
    typer.echo(f"{ident}: round {view.summary.rounds} noted")


@consult_app.command("propose")
@run
async def propose_outcome(
    ident: ConsultationId,
    filer: AsOption,
    resolution_file: Annotated[Path, typer.Option(exists=True, help="The proposed outcome.")],
) -> None:
    """Propose an outcome; it counts only when the other Participant accepts it."""
    ident = consultation_id(ident)
    filing = ResolutionProposal(filed_by=filer, consultation_id=ident, resolution=resolution_file.read_text())
    view = await on_consultation(ident, ConsultationWorkflow.propose, filing)
    typer.echo(f"{ident}: proposal {view.proposals[-1].number} awaits the other Participant's acceptance")


@consult_app.command("accept")
@run
async def accept(
    ident: ConsultationId,
    filer: AsOption,
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
    typer.echo(f"{ident} {view.summary.state}")


@consult_app.command("list")
@run
async def list_consultations(json_out: JsonFlag = False) -> None:
    """Every consultation and its state."""
    found: list[ConsultationSummary] = await ask(PartnershipWorkflow.consultations)
    if json_out:
        emit(found)
        return
    if not found:
        typer.echo("no consultations")
    for c in found:
        typer.echo(f"{c.consultation_id:<18} {c.state:<9} {c.opened_by:<3} about {c.about:<10} {c.summary}")


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
    typer.echo(f"{s.consultation_id}: {s.state} — opened by {s.opened_by} about {s.about}: {s.summary}")
    for r in view.rounds:
        typer.echo(f"  round {r.held_on} ({', '.join(r.attendees) or 'attendees not noted'}): {r.note}")
    for p in view.proposals:
        typer.echo(f"  proposal {p.number} by {p.by}: {p.resolution.strip()}")
    if view.resolution:
        typer.echo(f"  resolved: proposal {view.resolution.number}, accepted by {view.accepted_by}")
