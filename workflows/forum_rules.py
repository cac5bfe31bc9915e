"""The Forum cycle's calendar and rules (¶7), as plain functions: each rule returns why a filing
cannot be accepted now, or None. ForumCycleWorkflow's validators call them."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.calendar import local_date, local_midnight
    from models.forum import (
        AGENDA_DEADLINE_DAYS,
        AGENDA_REMINDER_DAYS,
        AgendaAgreement,
        AgendaItemFiling,
        CoChairNomination,
        Convening,
        DecisionAgreement,
        DecisionTabled,
        ForumCase,
        ForumStage,
        MinutesApproval,
        MinutesFiling,
        Postponement,
        co_chair_problem,
    )
    from models.identities import PARTICIPANTS, Identity
    from models.joint import already_filed_problem
    from models.signing import Filing


# The calendar of a cycle ------------------------------------------------------------------------------


def agenda_deadline(case: ForumCase) -> date:
    return case.on - timedelta(days=AGENDA_DEADLINE_DAYS)


def call_closes_at(case: ForumCase) -> datetime:
    """Items are taken until the end of the deadline date where the host is."""
    return local_midnight(agenda_deadline(case) + timedelta(days=1), case.host)


def meets_at(case: ForumCase) -> datetime:
    return local_midnight(case.on, case.host)


def overdue_at(case: ForumCase) -> datetime:
    """31 December of the cycle's year has ended in both capitals (London is the later)."""
    return local_midnight(date(case.year + 1, 1, 1), Identity.UK)


def milestones(case: ForumCase) -> list[tuple[str, datetime]]:
    """What the clock will make due, by label; a label names its date so a postponement makes
    new ones rather than reusing the old."""
    due: list[tuple[str, datetime]] = []
    if case.stage is ForumStage.CALLING_FOR_ITEMS:
        closes = call_closes_at(case)
        due += [
            (f"call-reminder-{d}d-{agenda_deadline(case)}", closes - timedelta(days=d)) for d in AGENDA_REMINDER_DAYS
        ]
        due.append((f"call-closed-{agenda_deadline(case)}", closes))
    if case.stage in (ForumStage.CALLING_FOR_ITEMS, ForumStage.AGENDA_FIXED):
        due.append((f"meeting-day-{case.on}", meets_at(case)))
        due.append(("overdue", overdue_at(case)))
    return [(label, at) for label, at in due if label not in case.reminders_sent]


# The rules, as plain functions --------------------------------------------------------------------------


def cycle_problem(case: ForumCase, filing: Filing, forum_id: str) -> str | None:
    if forum_id != case.forum_id:
        return f"this filing names {forum_id}, not {case.forum_id}"
    if case.stage is ForumStage.CLOSED:
        return f"{case.forum_id} is closed (minutes approved); it takes no more filings"
    return None


def participant_only(filing: Filing, what: str) -> str | None:
    if not filing.filed_by.is_participant:
        return f"only a Participant (UK or ROK) {what}, not {filing.filed_by}"
    return None


def secretariat_only(filing: Filing, what: str) -> str | None:
    if filing.filed_by is not Identity.SECRETARIAT:
        return f"only the SECRETARIAT {what}, not {filing.filed_by}"
    return None


def nomination_problem(case: ForumCase, filing: CoChairNomination) -> str | None:
    if problem := participant_only(filing, "nominates its co-chair"):
        return problem
    if case.stage in (ForumStage.CONVENED, ForumStage.CLOSED):
        return f"{case.forum_id} has met; its co-chairs can no longer change"
    if not filing.name.strip():
        return "name the co-chair (--name)"
    return co_chair_problem(filing.filed_by, filing.title)


def item_problem(case: ForumCase, filing: AgendaItemFiling, now: datetime) -> str | None:
    if problem := cycle_problem(case, filing, filing.forum_id):
        return problem
    if case.stage is not ForumStage.CALLING_FOR_ITEMS or now >= call_closes_at(case):
        return f"the call for agenda items of {case.forum_id} closed on {agenda_deadline(case)}"
    if not filing.title.strip():
        return "an agenda item needs a title (--title)"
    return None


def agenda_agreement_problem(case: ForumCase, filing: AgendaAgreement) -> str | None:
    if problem := cycle_problem(case, filing, filing.forum_id) or participant_only(filing, "agrees the agenda"):
        return problem
    if case.stage is not ForumStage.CALLING_FOR_ITEMS:
        return f"the agenda of {case.forum_id} is already fixed"
    if filing.filed_by in case.agenda_agreed_by:
        return f"{filing.filed_by} has already agreed the agenda; it awaits the other Participant"
    return None


def postponement_problem(case: ForumCase, filing: Postponement, now: datetime) -> str | None:
    if problem := cycle_problem(case, filing, filing.forum_id) or participant_only(filing, "moves the Forum"):
        return problem
    if case.stage is ForumStage.CONVENED:
        return f"{case.forum_id} has already met"
    today = local_date(now, case.host)
    if filing.to <= today:
        return f"the Forum can be moved only to a later date than today ({today}), not {filing.to}"
    if filing.to == case.on:
        return f"the Forum is already on {case.on}"
    return already_filed_problem(
        case.postponements, filing.filed_by, filing.to.isoformat(), f"to move it to {filing.to}"
    )


def convening_problem(case: ForumCase, filing: Convening, now: datetime) -> str | None:
    if problem := cycle_problem(case, filing, filing.forum_id) or secretariat_only(
        filing, "records that the Forum met"
    ):
        return problem
    if case.stage is ForumStage.CONVENED:
        return f"{case.forum_id} has already met ({case.convened_at:%Y-%m-%d})"
    if case.stage is not ForumStage.AGENDA_FIXED:
        return "both Participants must agree the agenda before the Forum meets (`forum agenda agree`)"
    missing = [p.value for p in PARTICIPANTS if p not in case.co_chairs]
    if missing:
        return f"¶7: the Forum is co-chaired; nominate the {' and '.join(missing)} co-chair first"
    if now < meets_at(case):
        return f"the Forum meets on {case.on}; it cannot be recorded as met before then"
    if not [a for a in filing.attendees if a.strip()]:
        return "list who attended (--attendees-file, one name a line)"
    return None


def tabling_problem(case: ForumCase, filing: DecisionTabled) -> str | None:
    if problem := cycle_problem(case, filing, filing.forum_id) or secretariat_only(filing, "tables decisions"):
        return problem
    if case.stage is not ForumStage.CONVENED:
        return f"decisions are tabled once the Forum has met; {case.forum_id} is {case.stage}"
    if not filing.text.strip():
        return "a decision needs its text (--text)"
    if filing.kind == "launch-joint-action" and filing.ref not in case.refs_in_force:
        return f"a launch-joint-action decision names a commitment ref in force (--ref), not {filing.ref!r}"
    if filing.kind == "set-group-leads":
        if filing.ref not in case.areas_in_force:
            return f"a set-group-leads decision names a policy area (--ref), one of {', '.join(case.areas_in_force)}"
        if not (filing.lead_uk or "").strip() or not (filing.lead_rok or "").strip():
            return "a set-group-leads decision names a lead from each side (--lead-uk and --lead-rok)"
    return None


def decision_agreement_problem(case: ForumCase, filing: DecisionAgreement) -> str | None:
    if problem := cycle_problem(case, filing, filing.forum_id) or participant_only(filing, "agrees a decision"):
        return problem
    if not 1 <= filing.decision <= len(case.decisions):
        return f"there is no decision {filing.decision} in {case.forum_id}; tabled: {len(case.decisions)}"
    decision = case.decisions[filing.decision - 1]
    if decision.taken_at is not None:
        return f"decision {decision.number} was taken on {decision.taken_at:%Y-%m-%d}"
    if filing.filed_by in decision.agreed_by:
        return f"{filing.filed_by} has already agreed decision {decision.number}; it awaits the other Participant"
    return None


def minutes_problem(case: ForumCase, filing: MinutesFiling) -> str | None:
    if problem := cycle_problem(case, filing, filing.forum_id) or secretariat_only(filing, "files the minutes"):
        return problem
    if case.stage is not ForumStage.CONVENED:
        return f"minutes are filed once the Forum has met; {case.forum_id} is {case.stage}"
    if not filing.text.strip():
        return "the minutes are empty (--file)"
    return None


def approval_problem(case: ForumCase, filing: MinutesApproval) -> str | None:
    if problem := cycle_problem(case, filing, filing.forum_id) or participant_only(filing, "approves the minutes"):
        return problem
    if case.minutes is None:
        return "there are no minutes to approve yet"
    if filing.filed_by in case.minutes_approved_by:
        return f"{filing.filed_by} has already approved these minutes; they await the other Participant"
    return None
