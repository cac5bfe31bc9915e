"""`partnership inbox --as UK`: what awaits an office. Every filing the rules now expect of it,
worked out from the governed things' own views (the same views `show` prints); `inbox()` is pure,
for the console to reuse. Nothing here decides anything: it points at the filing that would."""

from __future__ import annotations

import asyncio
import shlex
from datetime import UTC, date, datetime
from typing import Annotated, Any

import typer
from pydantic import BaseModel

from cli.calls import Consultation, ForumCycle, JointAction, Partnership, Query, query
from cli.common import JsonFlag, ask, client, run, usage
from cli.output import echo, emit
from models.amendment import AmendmentStatus, AmendmentSummary
from models.checkpoint import CheckpointStatus
from models.consultation import ConsultationState, ConsultationView
from models.forum import ForumStage, ForumView
from models.identities import PARTICIPANTS, Identity
from models.joint import JointFilings
from models.joint_action import ActionState, ActionView, wind_down_actions
from models.keyring import KeyRevocation
from models.partnership import PartnershipStatus
from models.signing import fingerprint
from models.working_group import WorkingGroup
from rules.p07_co_chairs import co_chair_ministry
from rules.p07_forum import meets_at


class InboxItem(BaseModel):
    """One thing awaiting this office: what, on which object, and the command that answers it."""

    paragraph: str
    about: str  # the governed thing's id (an amendment, action, consultation, Forum cycle, group)
    what: str
    command: str
    due: date | None = None
    # The filing that answers it (its model's name) and the terms already known, so the console
    # can offer that form in place, filled in.
    instrument: str | None = None
    terms: dict[str, str] = {}


class Snapshot(BaseModel):
    """The views an inbox is worked out from, read at one moment."""

    status: PartnershipStatus
    amendments: list[AmendmentSummary]
    actions: list[ActionView]
    groups: list[WorkingGroup]
    consultations: list[ConsultationView]
    forums: list[ForumView]  # every open cycle, the earliest first: each has its own asks
    checkpoints: CheckpointStatus = CheckpointStatus()
    wind_down: JointFilings = JointFilings()  # ¶32: the Participants' waiting wind-down filings
    revocations: list[KeyRevocation] = []  # halves of a revocation of the SECRETARIAT's key


def other(side: Identity) -> Identity:
    return next(p for p in PARTICIPANTS if p is not side)


def awaiting_you(filed: JointFilings, office: Identity) -> dict[str, str] | None:
    """The terms the other side filed of a joint decision, unless `office` has filed the same."""
    theirs, mine = filed.get(other(office)), filed.get(office)
    if theirs is None or "terms" in theirs.terms or (mine is not None and mine.terms == theirs.terms):
        return None  # "terms": kept before its fields were (nothing to fill a form in with)
    return theirs.terms


def inbox(office: Identity, snap: Snapshot, now: datetime) -> list[InboxItem]:
    """Everything awaiting `office`, oldest obligation first within each kind."""
    items: list[InboxItem] = []
    if office.is_participant:
        items += _amendments(office, snap) + _termination(office, snap) + _actions(office, snap, now)
        items += _groups(office, snap) + _consultations(office, snap) + _checkpoint(office, snap)
        items += _wind_down(office, snap) + _revocations(office, snap)
    for forum in snap.forums:
        items += _forum(office, forum, now)
    return items


def _amendments(office: Identity, snap: Snapshot) -> list[InboxItem]:
    return [
        InboxItem(
            paragraph="33",
            about=a.amendment_id,
            what=f"{a.proposed_by} proposes to amend {', '.join(f'¶{p}' for p in a.paragraphs)}: "
            f"your written consent is asked",
            command=f"partnership amendment consent {a.amendment_id} --as {office}  (or decline)",
            due=a.respond_by,
            instrument="AmendmentConsent",
            terms={"amendment_id": a.amendment_id},
        )
        for a in snap.amendments
        if a.status is AmendmentStatus.PROPOSED and a.proposed_by is not office
    ]


def _termination(office: Identity, snap: Snapshot) -> list[InboxItem]:
    notice = snap.status.termination
    if notice is None or notice.given_by is office:
        return []
    return [
        InboxItem(
            paragraph="31",
            about="partnership",
            what=f"{notice.given_by} has given notice of termination, effective {notice.effective_on}",
            command="partnership termination show  (¶29: `partnership consult open --about 31` to raise a difference)",
            due=notice.effective_on,
            instrument="ConsultationRequest",  # nothing answers a notice; a difference over it is raised (¶29)
            terms={"about": "31"},
        )
    ]


def _actions(office: Identity, snap: Snapshot, now: datetime) -> list[InboxItem]:
    items: list[InboxItem] = []
    for view in snap.actions:
        action = view.summary
        ident = action.action_id
        if action.state is ActionState.PROPOSED and action.proposed_by is not office:
            items.append(
                InboxItem(
                    paragraph=action.ref,
                    about=ident,
                    what=f"{action.proposed_by} proposes the joint action “{action.title}”: your agreement is asked",
                    command=f"partnership action agree {ident} --as {office}",
                    instrument="ActionAgreement",
                    terms={"action_id": ident},
                )
            )
        if not action.state.is_open:
            continue
        # The other side's joint filings wait on a proposed action too (a discontinuation, a cost
        # arrangement); reports are due on an active one only (walkthrough 2).
        if action.state is ActionState.ACTIVE and view.report_due is not None:
            due = view.report_due.date()
            if due <= now.date():
                items.append(
                    InboxItem(
                        paragraph=action.ref,
                        about=ident,
                        what=f"a progress report on “{action.title}” is due (every {view.cadence_months} months)",
                        command=f"partnership action report {ident} --as {office} --status on-track --percent N",
                        due=due,
                        instrument="ProgressReport",
                        terms={"action_id": ident},
                    )
                )
        if theirs := awaiting_you(view.cost_filings, office):
            arrangement = theirs["arrangement"]
            items.append(
                InboxItem(
                    paragraph="28",
                    about=ident,
                    what=f"{other(office)} has filed a cost arrangement: {arrangement!r}; the same text from you "
                    "decides it",
                    command=f"partnership action cost-share {ident} --as {office} --arrangement-file F",
                    instrument="CostArrangement",
                    terms={"action_id": ident, **theirs},
                )
            )
        if theirs := awaiting_you(view.closure_filings, office):
            outcome = theirs["outcome"]
            items.append(
                InboxItem(
                    paragraph=action.ref,
                    about=ident,
                    what=f"{other(office)} has filed to {outcome} “{action.title}”; your same filing decides it",
                    command=f"partnership action {outcome} {ident} --as {office}",
                    instrument="ActionClosure",
                    terms={"action_id": ident, **theirs},
                )
            )
    return items


def _groups(office: Identity, snap: Snapshot) -> list[InboxItem]:
    items = []
    for group in snap.groups:
        if theirs := awaiting_you(group.pending, office):
            lead_uk, lead_rok, cadence = theirs["lead_uk"], theirs["lead_rok"], theirs["cadence_months"]
            items.append(
                InboxItem(
                    paragraph="7",
                    about=group.area,
                    what=f"{other(office)} has filed the leads of the {group.name} working group: "
                    f"UK {lead_uk}, ROK {lead_rok}, every {cadence} months",
                    # Every term of the filing it answers, so following it files the same (walkthrough 2).
                    command=f"partnership group set-leads {group.area} --as {office} --lead-uk {shlex.quote(lead_uk)} "
                    f"--lead-rok {shlex.quote(lead_rok)} --cadence-months {cadence}",
                    instrument="GroupLeads",
                    terms={"area": group.area, **theirs},
                )
            )
    return items


def _consultations(office: Identity, snap: Snapshot) -> list[InboxItem]:
    items = []
    for view in snap.consultations:
        if view.summary.state is not ConsultationState.OPEN:
            continue
        ident = view.summary.consultation_id
        for proposal in view.proposals:
            if proposal.by is not office:
                items.append(
                    InboxItem(
                        paragraph="29",
                        about=ident,
                        what=f"{proposal.by} proposes an outcome (proposal {proposal.number}); it counts "
                        "only when you accept it",
                        command=f"partnership consult accept {ident} --as {office} --proposal {proposal.number}",
                        instrument="ResolutionAcceptance",
                        terms={"consultation_id": ident, "proposal": str(proposal.number)},
                    )
                )
    return items


def _wind_down(office: Identity, snap: Snapshot) -> list[InboxItem]:
    """¶32: the other side's wind-down, decided once this side files the same actions (walkthrough 3)."""
    terms = awaiting_you(snap.wind_down, office)
    if terms is None:
        return []
    actions = wind_down_actions(terms)
    return [
        InboxItem(
            paragraph="32",
            about="partnership",
            what=f"{other(office)} has filed a wind-down of {len(actions)} joint action(s): {', '.join(actions)}",
            command="partnership action wind-down " + " ".join(f"--action {a}" for a in actions) + f" --as {office}",
            instrument="WindDown",
            terms={"actions": "\n".join(actions)},
        )
    ]


def _revocations(office: Identity, snap: Snapshot) -> list[InboxItem]:
    """Issue 13: the SECRETARIAT's key is revoked by both; the half this side has not filed."""
    return [
        InboxItem(
            paragraph="31",
            about="partnership",
            what=f"{half.filed_by} has filed a revocation of the {half.revoked}'s key {half.revoked_fingerprint}; "
            f"its new key is {fingerprint(half.new_key)}: it is revoked once you file the same",
            command=f"partnership keys revoke {half.revoked} --new-key <its new key file, fingerprint "
            f"{fingerprint(half.new_key)}> --as {office}",
        )
        for half in snap.revocations
        if half.filed_by is not office
        and not any(h.filed_by is office and h.terms() == half.terms() for h in snap.revocations)
    ]


def _checkpoint(office: Identity, snap: Snapshot) -> list[InboxItem]:
    """Issue 14: the checkpoint due after a Forum, or one the other side signed (walkthrough 3)."""
    due, pending = snap.checkpoints.due, snap.checkpoints.pending
    if due is not None and office in due.awaiting:
        what = f"co-sign a checkpoint of the register, due after the Forum {due.year} (since {due.since:%F %R}Z)"
    elif pending is not None and office not in pending.filings:
        what = f"{other(office)} has signed the register at {pending.rows} rows: co-sign it if your register agrees"
    else:
        return []
    return [
        InboxItem(
            paragraph="7",
            about="partnership",
            what=what,
            command=f"partnership checkpoint sign --as {office}  (or keep `partnership checkpoint watch --as {office}` "
            "running)",
            instrument="RegisterCheckpoint",
        )
    ]


def _forum(office: Identity, forum: ForumView, now: datetime) -> list[InboxItem]:
    cycle = forum.summary
    ident, year = cycle.forum_id, cycle.year
    items: list[InboxItem] = []

    def ask(what: str, command: str, due: date | None = None, instrument: str = "", **terms: object) -> None:
        terms = {"forum_id": ident, **{k: str(v) for k, v in terms.items()}}
        items.append(
            InboxItem(
                paragraph="7", about=ident, what=what, command=command, due=due, instrument=instrument, terms=terms
            )
        )

    if office.is_participant:
        if office not in forum.co_chairs and cycle.stage in (ForumStage.CALLING_FOR_ITEMS, ForumStage.AGENDA_FIXED):
            ask(
                f"name your co-chair of the Forum {year} (¶7: of the {co_chair_ministry(office).full_name})",
                f"partnership forum nominate --as {office} --name … --title … --year {year}",
                instrument="CoChairNomination",
            )
        if cycle.stage is ForumStage.CALLING_FOR_ITEMS and office not in forum.agenda_agreed_by:
            ask(
                f"agree the agenda of the Forum {year} ({len(forum.agenda)} items)",
                f"partnership forum agenda agree --as {office} --year {year}",
                forum.agenda_deadline,
                "AgendaAgreement",
            )
        if theirs := awaiting_you(forum.postponements, office):
            ask(
                f"{other(office)} asks to move the Forum {year} to {theirs['to']}",
                f"partnership forum postpone --as {office} --to {theirs['to']} --year {year}",
                instrument="Postponement",
                to=theirs["to"],
            )
        for decision in forum.decisions:
            if decision.taken_at is None and office not in decision.agreed_by:
                ask(
                    f"agree decision {decision.number} of the Forum {year}: {decision.text}",
                    f"partnership forum agree {decision.number} --as {office} --year {year}",
                    instrument="DecisionAgreement",
                    decision=decision.number,
                )
        if forum.minutes is not None and office not in forum.minutes_approved_by:
            ask(
                f"approve the minutes of the Forum {year}",
                f"partnership forum approve --as {office} --year {year}",
                instrument="MinutesApproval",
            )
    elif office is Identity.SECRETARIAT:
        if cycle.stage is ForumStage.AGENDA_FIXED and now >= meets_at(cycle):  # as the rule: in the host's zone
            ask(
                f"record that the Forum {year} met",
                f"partnership forum convene --as SECRETARIAT --attendees-file F --year {year}",
                instrument="Convening",
            )
        if cycle.stage is ForumStage.CONVENED and forum.minutes is None:
            ask(
                f"file the minutes of the Forum {year}",
                f"partnership forum minutes --as SECRETARIAT --file F --year {year}",
                instrument="MinutesFiling",
            )
    return items


async def snapshot() -> Snapshot:
    """The views an inbox is worked out from, read now (the CLI's inbox and the console's)."""
    status = await ask(Partnership.status)
    c = await client()

    async def show(ident: str, handler: Query) -> Any:
        return await query(c.get_workflow_handle(ident), handler)

    actions = [a for a in await ask(Partnership.actions) if a.state.is_open]
    consultations = [k for k in await ask(Partnership.consultations) if k.state is ConsultationState.OPEN]
    open_cycles = [f for f in await ask(Partnership.forums) if f.stage is not ForumStage.CLOSED]
    action_views, consultation_views, forum_views = await asyncio.gather(
        asyncio.gather(*(show(a.action_id, JointAction.show) for a in actions)),
        asyncio.gather(*(show(k.consultation_id, Consultation.show) for k in consultations)),
        asyncio.gather(*(show(f.forum_id, ForumCycle.show) for f in open_cycles)),
    )
    return Snapshot(
        status=status,
        amendments=await ask(Partnership.amendments),
        actions=list(action_views),
        groups=[g.group for g in await ask(Partnership.groups)],
        consultations=list(consultation_views),
        forums=sorted(forum_views, key=lambda f: f.summary.on),
        checkpoints=await ask(Partnership.checkpoint),
        wind_down=await ask(Partnership.wind_down_filings),
        revocations=await ask(Partnership.pending_revocations),
    )


@run
async def inbox_command(
    office: Annotated[
        Identity | None,
        typer.Option("--as", help="Whose inbox [default: the office PARTNERSHIP_OFFICE names, where it names one]"),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """What awaits this office: consents, agreements, approvals, reports due, the other side's joint filings."""
    if office is None:  # an office's own; the one-machine data dir acts for everyone: say whom
        from engine.keys import the_office

        office = the_office() or usage("name the office: --as UK, ROK, SECRETARIAT or AUDITOR")
    snapshot_now = await snapshot()
    items = inbox(office, snapshot_now, datetime.now(UTC))
    if json_out:
        emit(items)
        return
    if not items:
        reads_only = " (auditors only read)" if office is Identity.AUDITOR else ""
        echo(f"nothing awaits {office}{reads_only}")
        return
    for item in items:
        due = f"  by {item.due}" if item.due else ""
        echo(f"¶{item.paragraph:<4} {item.about}: {item.what}{due}\n       → {item.command}")
