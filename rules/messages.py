"""The trust rule (DESIGN §2) for messages between governed workflows (issue 11).

Temporal does not say who sent a signal: anyone with access to the namespace can send any
workflow any signal. So a message that changes a right, an obligation, the text, a lead or a
lifecycle state carries the signed instruments it rests on, and the receiver checks them against
its own key registry, checks that they concern exactly this workflow and this object, and checks
any time condition against its own clock. A message that fails changes nothing (the workflow
counts it in `refused_messages`). Each rule below names the instruments one message needs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from models.amendment import AmendmentStatus, AmendmentSummary
from models.calendar import local_date, local_midnight
from models.forum import ForumSummary
from models.identities import PARTICIPANTS, Identity, other_participant
from models.key_changes import change_problem
from models.keyring import KeyRing, carried_signature_problem
from models.messages import (
    AmendmentOutcome,
    CadenceChanged,
    ForumClosed,
    JointWindDown,
    KeyChanges,
    TakenDecision,
    TerminationTaken,
)
from models.signing import Filing, address_problem
from rules.common import child_id
from rules.tags import decided

TOPIC = "Messages between workflows"


@decided("33", TOPIC, "a message that changes state carries the instruments it rests on, checked by the receiver")
def instrument_problem(
    filing: Filing | None,
    keys: KeyRing,
    addressed_to: str,
    filer: Identity,
    what: str,
    since: datetime,
    received_at: datetime | None = None,
    vouched: bool = False,
) -> str | None:
    """One instrument a message rests on: present, signed by `filer` with one of its keys (not one
    revoked before `since`, when the thing it concerns began; one still valid at `received_at`,
    where the message first tells of it), and addressed to the workflow it acted on. `vouched`:
    the message's sender is asked about it before it is acted on (see carried_signature_problem)."""
    if filing is None:
        return f"it carries no {what}"
    if filing.filed_by is not filer:
        return f"its {what} is filed by {filing.filed_by}, not {filer}"
    signature = carried_signature_problem(filing, keys, since, received_at, vouched)
    if problem := address_problem(filing, addressed_to) or signature:
        return f"its {what}: {problem}"
    return None


@decided("33", TOPIC, "an amendment's outcome reaches the Partnership with the instrument behind it")
def amendment_outcome_problem(
    known: AmendmentSummary | None,
    outcome: AmendmentOutcome,
    keys: KeyRing,
    now: datetime,
    terminated: bool,
) -> str | None:
    """In effect or consented: the other Participant's consent. Declined: its decline. Withdrawn:
    the proposer's withdrawal. Lapsed: the respond-by date has passed where the responder is, or
    the Partnership (the receiver) has terminated. Each only from where the amendment's own
    workflow would move to it (an outcome is final; a consented amendment no longer lapses on
    its respond-by date, nor is it withdrawn or declined), and never in effect before the date
    the proposal asked for or the day it was proposed: the report is a signal anyone with
    access to the namespace can send, and a genuine consent can be copied from the history."""
    summary = outcome.summary
    ident = summary.amendment_id
    if known is None:
        return f"no amendment {ident} was proposed to this Partnership"
    proposer = known.proposed_by
    status = summary.status
    if status is not known.status and not known.status.is_open:
        return f"amendment {ident} is {known.status}; it cannot become {status}"
    if known.status is AmendmentStatus.CONSENTED and status not in (
        AmendmentStatus.IN_EFFECT,
        AmendmentStatus.LAPSED,
        AmendmentStatus.CONSENTED,
    ):
        return f"amendment {ident} is CONSENTED; it cannot become {status}"
    # A consent, decline or withdrawal first told of now was taken by the amendment just now: its
    # key must be valid now (a consent already known was checked when it was told).
    first_told = now if known.status is AmendmentStatus.PROPOSED else None
    if status.rests_on_consent:
        consent = outcome.consent
        responder = other_participant(proposer)
        if known.consent is not None:  # checked when first told (adversarial review 5: not again,
            # by a registry its signer's key may have left since): the very same instrument
            if consent is None or consent.evidence() != known.consent:
                return f"its consent is not the one {ident} was consented to by"
        elif problem := instrument_problem(consent, keys, ident, responder, "consent", known.proposed_at, first_told):
            return problem
        # A consent can be copied from the history: the date is checked against this record.
        if known.status is AmendmentStatus.CONSENTED and summary.effective_on != known.effective_on:
            return f"amendment {ident} takes effect on {known.effective_on}, not {summary.effective_on}"
        if summary.effective_on is not None and summary.effective_on < earliest_effect(known):
            return f"amendment {ident} cannot take effect before {earliest_effect(known)}"
        if status is AmendmentStatus.IN_EFFECT:
            if summary.effective_on is None or now < local_midnight(summary.effective_on, proposer):
                return f"amendment {ident} cannot be in effect before its effective date ({summary.effective_on})"
    elif status is AmendmentStatus.DECLINED:
        responder = other_participant(proposer)
        return instrument_problem(outcome.decline, keys, ident, responder, "decline", known.proposed_at, first_told)
    elif status is AmendmentStatus.WITHDRAWN:
        return instrument_problem(
            outcome.withdrawal, keys, ident, proposer, "withdrawal", known.proposed_at, first_told
        )
    elif status is AmendmentStatus.LAPSED:
        if known.status is AmendmentStatus.CONSENTED and not terminated:
            return f"amendment {ident} is CONSENTED; only the Partnership's termination lapses it now"
        lapses = local_midnight(known.respond_by + timedelta(days=1), other_participant(proposer))
        if now < lapses and not terminated:
            return f"amendment {ident} cannot lapse before its respond-by date ({known.respond_by}) has passed"
    return None


@decided("33", TOPIC, "no amendment is in effect before the date it asked for, or the day it was proposed")
def earliest_effect(known: AmendmentSummary) -> date:
    """The date the proposal asked for, else the day it was proposed where the proposer is."""
    proposed = local_date(known.proposed_at, known.proposed_by)
    return max(known.requested_effective_on or proposed, proposed)


@decided("7", TOPIC, "a Forum decision reaches the Partnership as its tabling and both Participants' agreements")
def taken_decision_problem(
    forum: ForumSummary | None, decision: TakenDecision, keys: KeyRing, taken: Sequence[str] = ()
) -> str | None:
    """`taken`: the tablings of the decisions already acted on (a working group's `decided_by`):
    one sent again would put back what a later decision replaced."""
    if forum is None:
        return f"no Forum cycle {decision.forum_id} was started by this Partnership"
    if decision.tabled.filing_id in taken:
        return f"decision {decision.number} of {decision.forum_id} was taken here already"
    return decision_instruments_problem(decision, keys, forum.started_at or datetime(2023, 1, 1, tzinfo=UTC))


@decided("7", TOPIC, "a taken Forum decision is its tabling and both Participants' agreements naming that tabling")
def decision_instruments_problem(decision: TakenDecision, keys: KeyRing, since: datetime) -> str | None:
    """A taken decision's instruments: the secretariat's tabling and both Participants'
    agreements naming that very tabling, all addressed to the Forum cycle it was taken at."""
    where = f"decision {decision.number} of {decision.forum_id}"
    tabled = decision.tabled
    forum_id = decision.forum_id
    what = f"tabling of {where}"
    if problem := instrument_problem(tabled, keys, forum_id, Identity.SECRETARIAT, what, since, vouched=True):
        return problem
    for participant in PARTICIPANTS:
        agreement = next((a for a in decision.agreements if a.filed_by is participant), None)
        what = f"{participant} agreement"
        if problem := instrument_problem(agreement, keys, forum_id, participant, what, since, vouched=True):
            return f"{where}: {problem}"
        assert agreement is not None
        if agreement.decision != decision.number or agreement.tabled != tabled.filing_id:
            return f"{where}: {participant}'s agreement is to decision {agreement.decision} ({agreement.tabled})"
    return None


@decided("7", TOPIC, "a Forum's close reaches the Partnership as both Participants' approvals of the same minutes")
def forum_closed_problem(forum: ForumSummary | None, closed: ForumClosed, keys: KeyRing) -> str | None:
    if forum is None:
        return f"no Forum cycle {closed.forum_id} was started by this Partnership"
    since = forum.started_at or datetime(2023, 1, 1, tzinfo=UTC)
    approvals = []
    for participant in PARTICIPANTS:
        approval = next((a for a in closed.approvals if a.filed_by is participant), None)
        what = f"{participant} approval of the minutes of {forum.forum_id}"
        if problem := instrument_problem(approval, keys, forum.forum_id, participant, what, since, vouched=True):
            return problem
        approvals.append(approval)
    if len({a.minutes_sha256 for a in approvals if a is not None}) != 1:
        return f"UK and ROK approved different minutes of {forum.forum_id}"
    return None


@decided("31", TOPIC, "a termination reaches amendments and joint actions with its notice, once its time has come")
def termination_taken_problem(
    message: TerminationTaken, keys: KeyRing, partnership_id: str, since: datetime, now: datetime
) -> str | None:
    notice, termination = message.notice, message.termination
    if not notice.filed_by.is_participant:
        return f"a notice of termination is given by a Participant, not {notice.filed_by}"
    # A notice concerns the Partnership and may be older than the receiver (review 10): its key is
    # judged as of the notice's receipt. That moment is the message's word, not signed: an earlier
    # one only takes a message to its sender's word, which covers exactly this notice and date.
    since = min(since, termination.received_at)
    what = "notice of termination"
    if problem := instrument_problem(notice, keys, partnership_id, notice.filed_by, what, since, vouched=True):
        return problem
    if termination.filing_id != notice.filing_id or termination.given_by is not notice.filed_by:
        return f"the termination is not the one notice {notice.filing_id} brought about"
    if notice.effective_on is not None and termination.effective_on != notice.effective_on:
        return f"notice {notice.filing_id} names {notice.effective_on}, not {termination.effective_on}"
    if (recipient := other_participant(notice.filed_by)) is not termination.recipient:
        return f"a notice by {notice.filed_by} is given to {recipient}, not {termination.recipient}"
    if termination.effective_at != local_midnight(termination.effective_on, termination.recipient):
        return "the termination's time is not 00:00 of its date where the recipient is"
    if now < termination.effective_at:
        return f"the Partnership cannot have terminated before {termination.effective_at.isoformat()}"
    return None


@decided("32", TOPIC, "a wind-down reaches a joint action with both Participants' instruments naming it")
def wound_down_problem(
    message: JointWindDown, keys: KeyRing, partnership_id: str, action_id: str, since: datetime
) -> str | None:
    for participant in PARTICIPANTS:
        filing = next((f for f in message.filings if f.filed_by is participant), None)
        what = f"{participant} wind-down"
        if problem := instrument_problem(filing, keys, partnership_id, participant, what, since, vouched=True):
            return problem
        assert filing is not None
        if action_id not in filing.actions:
            return f"{participant}'s wind-down does not name {action_id}"
    return None


@decided("7", TOPIC, "a change of a working group's cadence reaches its open joint actions with the joint decision")
def cadence_changed_problem(
    message: CadenceChanged, keys: KeyRing, partnership_id: str, area: str, since: datetime, applied: Sequence[str]
) -> str | None:
    """¶7 leaves working-level arrangements to the Participants, so only a joint decision changes a
    group's cadence: both Participants' matching set-leads filings on this Partnership, or a
    set-group-leads decision taken at one of its Forum cycles. Either must concern this action's
    policy area, and must not be one the action has already taken (`applied`): an old decision
    sent again would put back a cadence since replaced."""
    if (message.decision is None) == (not message.filings):
        return "it carries neither set-leads filings nor a Forum decision, or both"
    if message.decision is not None:
        decision, tabled = message.decision, message.decision.tabled
        cycle = re.escape(child_id(partnership_id, "forum-")) + r"\d{4}"
        if not re.fullmatch(cycle, decision.forum_id) or tabled.forum_id != decision.forum_id:
            return f"{decision.forum_id} is not a Forum cycle of {partnership_id}"
        if problem := decision_instruments_problem(decision, keys, since):
            return problem
        if tabled.kind != "set-group-leads" or tabled.ref != area or tabled.cadence_months is None:
            return f"decision {decision.number} of {decision.forum_id} sets no reporting cadence for {area}"
    else:
        for participant in PARTICIPANTS:
            filing = next((f for f in message.filings if f.filed_by is participant), None)
            what = f"{participant} set-leads filing"
            if problem := instrument_problem(filing, keys, partnership_id, participant, what, since, vouched=True):
                return problem
        first, second = message.filings
        if first.area != area or second.area != first.area or second.terms() != first.terms():
            return f"its set-leads filings are not the same terms for {area}"
    if stale := [i for i in message.instruments() if i in applied]:
        return f"it rests on {stale[0]}, a decision on {area}'s cadence already taken"
    return None


@decided("32", TOPIC, "a child's report is taken only from a governed thing the Partnership started")
def report_problem(known: Sequence[str] | dict, ident: str, kind: str) -> str | None:
    if ident not in known:
        return f"no {kind} {ident} was started by this Partnership"
    return None


@decided("33", TOPIC, "forwarded key changes are each verified against the registry the ones before them left")
def changes_problem(ring: KeyRing, batch: KeyChanges, at: datetime) -> str | None:
    """Whether every change of a forwarded batch is genuine, each against the registry the ones
    before it made (see change_problem)."""
    for n, change in enumerate(batch.changes, 1):
        if problem := change_problem(ring, change, at):
            return problem if len(batch.changes) == 1 else f"key change {n} of {len(batch.changes)}: {problem}"
        ring = ring.changed(change, at)
    return None
