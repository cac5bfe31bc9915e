"""`partnership group …`: the working level of ¶7, one working group per policy area."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.action import ACTION_COLUMNS, action_row, progress_line
from cli.common import JsonFlag, Refused, ask, file_on_partnership, run
from cli.joint_filings import awaiting, pending_lines, withdrawn
from cli.options import ParticipantAs
from cli.output import echo, emit, table
from cli.withdrawals import shown_for, withdrawal_of
from models.catalogue import find_area
from models.joint import JointFilings
from models.joint_action import (
    ActionSummary,
)
from models.working_group import GroupLeads, GroupReport
from workflows.partnership import PartnershipWorkflow

group_app = typer.Typer(help="¶7: working groups, one per policy area, with a lead from each side.")

Area = Annotated[
    str, typer.Argument(help="A policy area, e.g. telecoms (`partnership catalogue` names them).", metavar="AREA")
]


# Working groups -----------------------------------------------------------------------------------


@group_app.command("list")
@run
async def list_groups(json_out: JsonFlag = False) -> None:
    """Every working group: leads, cadence and its joint actions' progress."""
    reports: list[GroupReport] = await ask(PartnershipWorkflow.groups)
    if json_out:
        emit(reports)
        return
    table(
        ["area", "UK lead", "ROK lead", "reports", "progress"],
        [
            [r.group.area, r.group.lead_uk or "—", r.group.lead_rok or "—", f"every {r.group.cadence_months} mo"]
            + [progress_line(r.progress)]
            for r in reports
        ],
    )


@group_app.command("show")
@run
async def show_group(area: Area, json_out: JsonFlag = False) -> None:
    """One working group and its report for the Forum (its joint actions' latest progress)."""
    found = find_area(area)
    slug = found.slug if found else area
    reports: list[GroupReport] = await ask(PartnershipWorkflow.groups)
    report = next((r for r in reports if r.group.area == slug), None)
    if report is None:  # as `action show` and `consult show` say of an unknown id: a rejection, exit 1
        raise Refused(f"no policy area {area!r}; areas: {', '.join(r.group.area for r in reports)}")
    if json_out:
        emit(report)
        return
    g = report.group
    echo(f"{g.name} [{g.area}], pillar {g.pillar}: leads {g.lead_uk or '—'} (UK), {g.lead_rok or '—'} (ROK)")
    echo(f"  reports every {g.cadence_months} months; {progress_line(report.progress)}")
    for line in pending_lines(g.pending, "leads"):
        echo(line)
    if report.actions:
        actions = [action_row(ActionSummary.model_validate(a)) for a in report.actions]
        table(ACTION_COLUMNS, actions)


@group_app.command("set-leads")
@run
async def set_leads(
    area: Area,
    filer: ParticipantAs,
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
    group = await file_on_partnership(PartnershipWorkflow.set_group_leads, filing)
    if group.pending:
        echo(f"{group.area}: {awaiting(group.pending, filer)}")
    else:
        echo(
            f"{group.area}: leads {group.lead_uk} (UK) and {group.lead_rok} (ROK), every {group.cadence_months} months"
        )


@group_app.command("withdraw")
@run
async def withdraw_leads(area: Area, filer: ParticipantAs) -> None:
    """Withdraw your own filing of a group's leads while it awaits the other Participant's."""
    found = find_area(area)
    slug = found.slug if found else area
    filing = withdrawal_of(filer, "group-leads", await shown_for("group-leads", None), area=slug)
    left: JointFilings = await file_on_partnership(PartnershipWorkflow.withdraw_joint_filing, filing)
    echo(f"{slug}: {withdrawn(left, filer)}")
