"""`partnership action …`: the joint actions of ¶9–27, their progress, their costs (¶28) and
¶32's wind-down."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.calls import JointAction, Partnership
from cli.common import (
    JsonFlag,
    ask,
    client,
    day,
    day_option,
    fail,
    file_on,
    file_on_partnership,
    query_or_explain,
    read_text,
    run,
    together,
    with_closed,
)
from cli.joint_filings import awaiting, pending_lines, withdrawn
from cli.options import ParticipantAs
from cli.output import echo, emit, table
from cli.withdrawals import ON_ACTION, shown_for, waiting_in, withdrawal_of
from models.catalogue import find_area
from models.joint import JointDecision, JointFilings
from models.joint_action import (
    NOTHING_TO_WIND_DOWN,
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
    wound_down_line,
)
from models.limits import LIST_MAX

action_app = typer.Typer(help="¶9–28, ¶32: joint actions, their progress and costs.")

ActionId = Annotated[str, typer.Argument(help="Joint action id, e.g. action-9b-open-ran-testbed.", metavar="ACTION")]
ConsultationId = Annotated[str, typer.Argument(help="Consultation id, or just its number.", metavar="CONSULTATION")]


def progress_line(r) -> str:
    mean = "—" if r.mean_percent is None else f"{r.mean_percent:.0f} %"
    return (
        f"{r.actions} action{'s' * (r.actions != 1)}: {r.active} active ({mean}), {r.proposed} proposed, "
        f"{r.completed} completed, {r.discontinued} discontinued; {r.at_risk} at risk, {r.off_track} off track"
    )


# Joint actions -------------------------------------------------------------------------------------


@action_app.command("propose")
@run
async def propose(
    filer: ParticipantAs,
    ref: Annotated[str, typer.Option(help="The commitment, e.g. 9b (`partnership catalogue`).")],
    title: Annotated[str, typer.Option(help="What the action is.")],
    description_file: Annotated[Path | None, typer.Option(exists=True, help="Longer description.")] = None,
    lead_uk: Annotated[str | None, typer.Option(help="UK lead.")] = None,
    lead_rok: Annotated[str | None, typer.Option(help="ROK lead.")] = None,
    starts: Annotated[datetime | None, day_option("A date (optional).")] = None,
    ends: Annotated[datetime | None, day_option("A date (optional).")] = None,
) -> None:
    """Propose a joint action under a commitment; prints its id."""
    proposal = JointActionProposal(
        filed_by=filer,
        ref=ref,
        title=title,
        description=read_text(description_file) if description_file else "",
        lead_uk=lead_uk,
        lead_rok=lead_rok,
        starts=day(starts),
        ends=day(ends),
    )
    receipt = await file_on_partnership(Partnership.propose_joint_action, proposal)
    echo(receipt.action_id)
    echo("awaiting the other Participant's agreement (`partnership action agree`)", err=True)


def on_action(ident: str, update: Any, filing: Any) -> Any:
    return file_on(ident, update, filing, JointAction.show, "action")


@action_app.command("agree")
@run
async def agree(ident: ActionId, filer: ParticipantAs) -> None:
    """Agree the other Participant's proposed action: it becomes ACTIVE."""
    view = await on_action(ident, JointAction.agree, ActionAgreement(filed_by=filer, action_id=ident))
    echo(f"{ident} {view.summary.state}")


@action_app.command("report")
@run
async def report(
    ident: ActionId,
    filer: ParticipantAs,
    status: Annotated[Progress, typer.Option(help="on-track, at-risk or off-track.")],
    percent: Annotated[int, typer.Option(min=0, max=100, help="Per cent complete.")],
    note: Annotated[str, typer.Option(help="What happened.")] = "",
) -> None:
    """Report progress on an ACTIVE action."""
    filing = ProgressReport(filed_by=filer, action_id=ident, status=status, percent=percent, note=note)
    view = await on_action(ident, JointAction.report, filing)
    echo(f"{ident} {view.summary.state} at {view.summary.percent} % ({view.summary.progress})")


@action_app.command("cost-share")
@run
async def cost_share(
    ident: ActionId,
    filer: ParticipantAs,
    arrangement_file: Annotated[Path, typer.Option(exists=True, help="The arrangement, in words.")],
) -> None:
    """¶28: propose another cost arrangement; it applies when the other side files the same."""
    filing = CostArrangement(filed_by=filer, action_id=ident, arrangement=read_text(arrangement_file))
    view = await on_action(ident, JointAction.cost_share, filing)
    if view.cost_filings:
        echo(f"{awaiting(view.cost_filings, filer)}; until then: {view.summary.cost_arrangement}")
    else:
        echo(f"{ident}: {view.summary.cost_arrangement}")


def closing(outcome: str):
    async def close(
        ident: ActionId, filer: ParticipantAs, reason: Annotated[str, typer.Option(help="Why.")] = ""
    ) -> None:
        filing = ActionClosure(filed_by=filer, action_id=ident, outcome=outcome, reason=reason)  # type: ignore[arg-type]
        view = await on_action(ident, JointAction.close, filing)
        if view.summary.state.is_open:
            echo(f"{awaiting(view.closure_filings, filer)}; {ident} will then {outcome}")
        else:
            echo(f"{ident} {view.summary.state}")

    close.__doc__ = f"File your side of the joint decision to {outcome} an action; the second filing does it."
    return run(close)


action_app.command("complete")(closing("complete"))
action_app.command("discontinue")(closing("discontinue"))


@action_app.command("wind-down")
@run
async def wind_down(
    filer: ParticipantAs,
    reason: Annotated[str, typer.Option(help="Why.")] = "",
    actions: Annotated[
        list[str] | None, typer.Option("--action", help="An action to wind down (repeat); default: every ongoing one.")
    ] = None,
) -> None:
    """¶32: file your side of a joint wind-down of ongoing joint actions (the other side files the same)."""
    if not actions:
        actions = sorted(a.action_id for a in await ask(Partnership.actions) if a.state.is_open)
    if not actions:
        fail(NOTHING_TO_WIND_DOWN)
    if len(actions) > LIST_MAX:
        fail(f"{len(actions)} actions are ongoing; a wind-down names at most {LIST_MAX}: file several, with --action")
    filing = WindDown(filed_by=filer, reason=reason, actions=actions)
    if (taken := wound_down_line(filing, await file_on_partnership(Partnership.wind_down, filing))) is None:
        pending: JointFilings = await ask(Partnership.wind_down_filings)
        echo(f"{awaiting(pending, filer)}; {len(actions)} action(s) wound down once it does")
    else:
        echo(taken)


ACTION_COLUMNS = ["action", "ref", "state", "done", "progress", "title"]


def action_row(a: ActionSummary) -> list[str]:
    percent = "—" if a.percent is None else f"{a.percent} %"
    after = " (continues after termination)" if a.continues_after_termination else ""
    return [a.action_id, a.ref, a.state, percent, f"{a.progress or ''}{after}", a.title]


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
    reading = with_closed(Partnership.actions, "action", ActionSummary, "action_id")
    if json_out:
        everything, wind_down = await reading, None
    else:  # the pending wind-down, shown under the table, is asked with the actions (one wait, not two)
        everything, wind_down = await together(reading, ask(Partnership.wind_down_filings))
    actions: list[ActionSummary] = [
        a
        for a in everything
        if (ref is None or a.ref == ref)
        and (area is None or a.area == (found.slug if found else area))
        and (pillar is None or a.pillar == pillar)
        and (state is None or a.state is state)
    ]
    if json_out:
        emit(actions)
        return
    echo(progress_line(rollup(actions)))
    if actions:
        table(ACTION_COLUMNS, [action_row(a) for a in actions])
    for line in pending_lines(wind_down, "wind-down (¶32)"):
        echo(line)


@action_app.command("show")
@run
async def show_action(ident: ActionId, json_out: JsonFlag = False) -> None:
    """One joint action in full: reports, costs, pending joint filings."""
    handle = (await client()).get_workflow_handle(ident)
    view: ActionView = await query_or_explain(handle, JointAction.show, f"no joint action {ident}")
    if json_out:
        emit(view)
        return
    s = view.summary
    echo(f"{s.action_id}: {s.state} under {s.ref} ({s.area}, pillar {s.pillar}) — {s.title}")
    changed = view.cadence_changed_at
    echo(
        f"  leads {view.lead_uk or '—'} (UK), {view.lead_rok or '—'} (ROK); reports every {view.cadence_months} months"
        + (f" (the working group's cadence since {changed:%Y-%m-%d})" if changed else "")
        + (f"; next report due {view.report_due:%Y-%m-%d}" if view.report_due else "")
    )
    echo(f"  costs: {s.cost_arrangement}")
    for line in pending_lines(view.cost_filings, "cost arrangement (¶28)") + pending_lines(
        view.closure_filings, "closure"
    ):
        echo(line)
    if view.reports_filed > len(view.reports):
        shown = f"the latest {len(view.reports)} of {view.reports_filed} reports"
        echo(f"  {shown} (each is in the action's history: `partnership audit timeline {s.action_id}`, `audit export`)")
    for r in view.reports:
        echo(f"  {r.received_at:%Y-%m-%d} {r.by:<3} {r.status:<9} {r.percent:>3} %  {r.note}")
    if view.partnership_terminated_on:
        echo(f"  the Partnership terminated on {view.partnership_terminated_on}; this action continues (¶32)")
    if view.reason:
        echo(f"  {view.reason}")


#: The joint filings made on a joint action itself (cli/withdrawals.py says which they are).
JointOnAction = StrEnum("JointOnAction", {d.upper().replace("-", "_"): d for d in ON_ACTION})


@action_app.command("withdraw")
@run
async def withdraw(
    ident: ActionId,
    filer: ParticipantAs,
    filing: Annotated[JointOnAction, typer.Option(help="Which of your pending filings: cost-arrangement or closure.")],
) -> None:
    """Withdraw your own cost arrangement or closure filing while it awaits the other Participant's."""
    decision: JointDecision = filing.value  # type: ignore[assignment]
    withdrawal = withdrawal_of(filer, decision, await shown_for(decision, ident))
    after = await on_action(ident, JointAction.withdraw_joint_filing, withdrawal)
    echo(f"{ident}: {withdrawn(waiting_in(decision, after) or JointFilings(), filer)}")


@action_app.command("wind-down-withdraw")
@run
async def wind_down_withdraw(filer: ParticipantAs) -> None:
    """¶32: withdraw your own wind-down filing while it awaits the other Participant's."""
    withdrawal = withdrawal_of(filer, "wind-down", await shown_for("wind-down", None))
    left = await file_on_partnership(Partnership.withdraw_joint_filing, withdrawal)
    echo(withdrawn(left, filer))
