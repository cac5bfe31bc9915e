"""¶7, the Forum: its yearly cycle, its calendar and who may do what in it.

> 7. The UK-RoK Digital Partnership Forum will oversee the functioning of the Partnership. It will
> be held annually and chaired by a Vice Minister of the Ministry of Science and ICT of the Republic
> of Korea and a Ministerial counterpart at the Department for Science, Innovation and Technology of
> the United Kingdom. Separate working-level governance arrangements will be established under each
> policy area. The scope, objectives, and means of optimal cooperation will be reviewed as needed.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from models.calendar import local_date, local_midnight
from models.catalogue import PARAGRAPHS
from models.forum import (
    AGENDA_DEADLINE_DAYS,
    AGENDA_REMINDER_DAYS,
    DEFAULT_DAY,
    DEFAULT_MONTH,
    FORUM_AHEAD_MAX_DAYS,
    AgendaAgreement,
    AgendaItem,
    AgendaItemFiling,
    CoChairNomination,
    Convening,
    DecisionAgreement,
    DecisionTabled,
    ForumCase,
    ForumConvocation,
    ForumStage,
    ForumSummary,
    MinutesApproval,
    MinutesFiling,
    Postponement,
    agenda_digest,
    minutes_digest,
)
from models.identities import PARTICIPANTS, Identity
from models.limits import (
    LINE_MAX,
    MINUTES_MAX,
    OPEN_FORUMS_MAX,
    control_characters,
    entries_problem,
    open_things_problem,
)
from models.partnership import PartnershipState
from models.signing import Filing
from rules.common import already_filed_problem, in_effect_problem
from rules.p07_co_chairs import co_chair_problem
from rules.tags import decided, stated

# The standing items ------------------------------------------------------------------------------------


@decided(
    "7",
    "The Forum",
    "every agenda opens with four standing items: the working groups' reports, pending amendments (¶33), "
    "open consultations (¶29) and the review of scope, objectives and means",
)
def standing_items() -> list[AgendaItem]:
    """What every Forum's agenda carries without anyone asking, fixed when its cycle starts. They
    name kinds of business, not today's list of it: an agenda that changed with every report
    would move under the Participants' agreements, and the agenda changes only by signed filings
    (the Partnership's current amendments, consultations and groups are read beside it)."""
    return [
        AgendaItem(title="Reports of the working groups", ref="7", standing=True),
        AgendaItem(title="Pending amendments", ref="33", standing=True),
        AgendaItem(title="Open consultations", ref="29", standing=True),
        AgendaItem(title="Review of the scope, objectives and means of cooperation", ref="7", standing=True),
    ]


# The calendar of a cycle ------------------------------------------------------------------------------


@decided("7", "The Forum", "the call for agenda items closes 30 days before the Forum")
def agenda_deadline(case: ForumCase) -> date:
    return case.on - timedelta(days=AGENDA_DEADLINE_DAYS)


@decided("7", "The Forum", "the call closes at the end of its day in the host's time zone")
def call_closes_at(case: ForumCase) -> datetime:
    """Items are taken until the end of the deadline date where the host is."""
    return local_midnight(agenda_deadline(case) + timedelta(days=1), case.host)


@decided("7", "The Forum", "the Forum meets on its date in the host's time zone")
def meets_at(case: ForumCase | ForumSummary) -> datetime:
    return local_midnight(case.on, case.host)


@decided("7", "The Forum", "a Forum not met by 31 December (London time) is overdue")
def overdue_at(case: ForumCase) -> datetime:
    """31 December of the cycle's year has ended in both capitals (London is the later)."""
    return local_midnight(date(case.year + 1, 1, 1), Identity.UK)


@decided("7", "The Forum", "reminders 7 days and 1 day before the call closes")
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


@decided("7", "The Forum", "a filing names the cycle it acts on")
def cycle_problem(case: ForumCase, filing: Filing, forum_id: str) -> str | None:
    if forum_id != case.forum_id:
        return f"this filing names {forum_id}, not {case.forum_id}"
    if case.stage is ForumStage.CLOSED:
        return f"{case.forum_id} is closed (minutes approved); it takes no more filings"
    return None


@decided("7", "The Forum", "the Participants decide in the Forum")
def participant_only(filing: Filing, what: str) -> str | None:
    if not filing.filed_by.is_participant:
        return f"only a Participant (UK or ROK) {what}, not {filing.filed_by}"
    return None


@decided("7", "The Forum", "the secretariat runs the Forum's paperwork")
def secretariat_only(filing: Filing, what: str) -> str | None:
    if filing.filed_by is not Identity.SECRETARIAT:
        return f"only the SECRETARIAT {what}, not {filing.filed_by}"
    return None


@stated("7", "chaired by a Vice Minister of MSIT and a Ministerial counterpart at DSIT")
def nomination_problem(case: ForumCase, filing: CoChairNomination) -> str | None:
    if problem := participant_only(filing, "nominates its co-chair"):
        return problem
    if case.stage in (ForumStage.CONVENED, ForumStage.CLOSED):
        return f"{case.forum_id} has met; its co-chairs can no longer change"
    if not filing.name.strip():
        return "name the co-chair (--name)"
    return co_chair_problem(filing)


@decided("7", "The Forum", "agenda items are filed while the call is open")
def item_problem(case: ForumCase, filing: AgendaItemFiling, now: datetime) -> str | None:
    if problem := cycle_problem(case, filing, filing.forum_id):
        return problem
    if case.stage is not ForumStage.CALLING_FOR_ITEMS:
        return f"the agenda of {case.forum_id} is fixed; it takes no more items"
    if now >= call_closes_at(case):
        return f"the call for agenda items of {case.forum_id} closed on {agenda_deadline(case)}"
    if not filing.title.strip():
        return "an agenda item needs a title (--title)"
    if filing.ref is not None and not known_ref(case, filing.ref):
        return (
            f"--ref {filing.ref!r} is neither a ¶ (1–33), a commitment ref in force (e.g. 9b) "
            "nor a policy area (e.g. ai)"
        )
    same = [i for i, item in enumerate(case.agenda(), 1) if same_item(item, filing)]
    if same:
        return f"that item is already on the agenda of {case.forum_id} (item {same[0]})"
    mine = (filing.filed_by, sum(item.added_by is filing.filed_by for item in case.items))
    return entries_problem(case.items, "agenda items", case.forum_id, mine)


@decided("7", "The Forum", "an agenda item cites a paragraph, a commitment in force or a policy area")
def known_ref(case: ForumCase, ref: str) -> bool:
    return ref in case.refs_in_force or ref in case.areas_in_force or (ref.isdigit() and int(ref) in PARAGRAPHS)


@decided("7", "The Forum", "an item is on the agenda once: the same title (case and spacing aside) and ref")
def same_item(item: AgendaItem, filing: AgendaItemFiling) -> bool:
    return (
        item.ref == filing.ref and " ".join(item.title.split()).casefold() == " ".join(filing.title.split()).casefold()
    )


@decided("7", "The Forum", "both Participants agree the agenda")
def agenda_agreement_problem(case: ForumCase, filing: AgendaAgreement) -> str | None:
    if problem := cycle_problem(case, filing, filing.forum_id) or participant_only(filing, "agrees the agenda"):
        return problem
    if case.stage is not ForumStage.CALLING_FOR_ITEMS:
        return f"the agenda of {case.forum_id} is already fixed"
    if filing.agenda_sha256 != agenda_digest(case.agenda()):
        return f"the agenda of {case.forum_id} has changed since this agreement was signed; read it again and agree it"
    if filing.filed_by in case.agenda_agreed_by:
        return f"{filing.filed_by} has already agreed the agenda; it awaits the other Participant"
    return None


@decided("7", "The Forum", "a postponement is a joint decision")
def postponement_problem(case: ForumCase, filing: Postponement, now: datetime) -> str | None:
    if problem := cycle_problem(case, filing, filing.forum_id) or participant_only(filing, "moves the Forum"):
        return problem
    if case.stage is ForumStage.CONVENED:
        return f"{case.forum_id} has already met"
    today = local_date(now, case.host)
    if filing.to <= today:
        return (
            f"the Forum can be moved only to a later date than today where its host {case.host} is ({today}), "
            f"not {filing.to}"
        )
    if filing.to == case.on:
        return f"the Forum is already on {case.on}"
    if filing.to.year != case.year:  # walkthrough 3, F6: it met after the next year's Forum
        return (
            f"the Forum {case.year} is held in {case.year} (¶7: annually); it can be moved within that year, "
            f"not to {filing.to}"
        )
    return already_filed_problem(case.postponements, filing.filed_by, filing.terms(), f"to move it to {filing.to}")


@decided("7", "The Forum", "the Forum is convened with both co-chairs named")
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


@decided("7", "The Forum", "decisions are tabled at a convened Forum")
def tabling_problem(case: ForumCase, filing: DecisionTabled) -> str | None:
    if problem := cycle_problem(case, filing, filing.forum_id) or secretariat_only(filing, "tables decisions"):
        return problem
    if case.stage is not ForumStage.CONVENED:
        return f"decisions are tabled once the Forum has met; {case.forum_id} is {case.stage}"
    if not filing.text.strip():
        return "a decision needs its text (--text)"
    if problem := entries_problem(case.decisions, "decisions", case.forum_id):
        return problem
    if filing.kind == "launch-joint-action" and filing.ref not in case.refs_in_force:
        return f"a launch-joint-action decision names a commitment ref in force (--ref), not {filing.ref!r}"
    if filing.kind == "launch-joint-action" and (len(filing.text) > LINE_MAX or control_characters(filing.text)):
        # The text becomes the launched action's title; a longer one would fail the Partnership's task.
        return f"a launch-joint-action decision's text is the action's title: one line of at most {LINE_MAX} characters"
    if filing.kind == "set-group-leads":
        if filing.ref not in case.areas_in_force:
            return f"a set-group-leads decision names a policy area (--ref), one of {', '.join(case.areas_in_force)}"
        if not (filing.lead_uk or "").strip() or not (filing.lead_rok or "").strip():
            return "a set-group-leads decision names a lead from each side (--lead-uk and --lead-rok)"
    elif filing.cadence_months is not None:
        return "only a set-group-leads decision sets a reporting cadence (--cadence-months)"
    return None


@decided("7", "The Forum", "a Forum decision is taken when both agree it")
def decision_agreement_problem(case: ForumCase, filing: DecisionAgreement) -> str | None:
    if problem := cycle_problem(case, filing, filing.forum_id) or participant_only(filing, "agrees a decision"):
        return problem
    if not 1 <= filing.decision <= len(case.decisions):
        return f"there is no decision {filing.decision} in {case.forum_id}; tabled: {len(case.decisions)}"
    decision = case.decisions[filing.decision - 1]
    if decision.taken_at is not None:
        return f"decision {decision.number} was taken on {decision.taken_at:%Y-%m-%d}"
    if decision.tabling is None or filing.tabled != decision.tabling.filing_id:
        return f"this agreement is to tabling {filing.tabled}, not to decision {decision.number} as tabled"
    if filing.filed_by in decision.agreed_by:
        return f"{filing.filed_by} has already agreed decision {decision.number}; it awaits the other Participant"
    return None


@decided("7", "The Forum", "the secretariat files the minutes after the meeting")
def minutes_problem(case: ForumCase, filing: MinutesFiling) -> str | None:
    if problem := cycle_problem(case, filing, filing.forum_id) or secretariat_only(filing, "files the minutes"):
        return problem
    if len(filing.text) > MINUTES_MAX:  # decided (adversarial review 2, F5): a cycle within STATE_BUDGET
        return f"the minutes are {len(filing.text)} characters; at most {MINUTES_MAX} (a limit on state size)"
    if case.stage is not ForumStage.CONVENED:
        return f"minutes are filed once the Forum has met; {case.forum_id} is {case.stage}"
    if not filing.text.strip():
        return "the minutes are empty (--file)"
    return None


@decided("7", "The Forum", "both Participants approve the minutes")
def approval_problem(case: ForumCase, filing: MinutesApproval) -> str | None:
    if problem := cycle_problem(case, filing, filing.forum_id) or participant_only(filing, "approves the minutes"):
        return problem
    if case.minutes is None:
        return "there are no minutes to approve yet"
    if filing.minutes_sha256 != minutes_digest(case.minutes):
        return f"the minutes of {case.forum_id} have changed since this approval was signed; read them again"
    if filing.filed_by in case.minutes_approved_by:
        return f"{filing.filed_by} has already approved these minutes; they await the other Participant"
    return None


@stated("7", "the Forum will be held annually: one cycle a year")
def forum_start_problem(state: PartnershipState, convocation: ForumConvocation, now: datetime) -> str | None:
    """¶7: one Forum a year, started by the secretariat, on a date in that year."""
    if convocation.filed_by is not Identity.SECRETARIAT:
        return f"only the SECRETARIAT starts a Forum cycle, not {convocation.filed_by}"
    if problem := in_effect_problem(state, "Forum cycle"):
        return problem
    if convocation.year in state.forum_years:
        return f"the {convocation.year} Forum cycle has already started; one cycle per year"
    if problem := open_forums_problem(state):
        return problem
    if problem := host_problem(convocation):
        return problem
    on = forum_date(convocation)
    if on.year != convocation.year:
        return f"the Forum date {on} is not in {convocation.year}; name a date in that year (--on)"
    # The call for agenda items must still be open on the day the cycle starts (it closes
    # AGENDA_DEADLINE_DAYS before the Forum), or every mail it sends would be stale.
    today = now.date()
    earliest = today + timedelta(days=AGENDA_DEADLINE_DAYS + 1)
    if on < earliest:
        return (
            f"the Forum on {on} leaves no time for the call for agenda items (it closes "
            f"{AGENDA_DEADLINE_DAYS} days before); today is {today} (UTC): name {earliest} or later (--on)"
        )
    return too_far_ahead_problem(on, today)


@decided("7", "The Forum", "a cycle starts at most FORUM_AHEAD_MAX_DAYS before its Forum")
def too_far_ahead_problem(on: date, today: date) -> str | None:
    """Walkthrough 2: a slip of the year (2032 for 2027) started a cycle no one can withdraw, which
    held one of the OPEN_FORUMS_MAX places until it met, years on."""
    latest = today + timedelta(days=FORUM_AHEAD_MAX_DAYS)
    if on > latest:
        return f"the Forum on {on} is more than two years ahead (today is {today}, UTC): name {latest} or earlier"
    return None


@decided("7", "Bounded state", "at most OPEN_FORUMS_MAX Forum cycles open at once; the next waits for one to close")
def open_forums_problem(state: PartnershipState) -> str | None:
    """Issue 12: the Partnership carries every cycle not yet closed; a year's cycle does not
    start (by hand or on the Forum's usual date) while OPEN_FORUMS_MAX older ones are open."""
    open_ones = sum(f.stage is not ForumStage.CLOSED for f in state.forums.values())
    return open_things_problem(open_ones, OPEN_FORUMS_MAX, "Forum cycles", len(state.forums))


@decided("7", "The host of a Forum", "the host is UK or ROK: its time zone sets the cycle's deadlines")
def host_problem(convocation: ForumConvocation) -> str | None:
    if convocation.host is not None and not convocation.host.is_participant:
        return f"the host of a Forum is UK or ROK, not {convocation.host}"
    return None


@decided("7", "The Forum", "without a date the Forum meets on 22 November, the anniversary of signature")
def forum_date(convocation: ForumConvocation) -> date:
    return convocation.on or date(convocation.year, DEFAULT_MONTH, DEFAULT_DAY)


@decided("7", "The Forum", "the host alternates: ROK in odd years, UK in even")
def default_host(year: int) -> Identity:
    """Hosts alternate: ROK in odd years, UK in even years (the text is silent; decided here)."""
    return Identity.ROK if year % 2 else Identity.UK
