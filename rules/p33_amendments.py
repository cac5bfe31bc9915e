"""¶33, amendments.

> 33. This Partnership may be amended with the mutual written consent of the Participants.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from models.amendment import (
    DEFAULT_RESPONSE_DAYS,
    AmendmentCase,
    AmendmentDecline,
    AmendmentProposal,
    AmendmentStatus,
    AmendmentWithdrawal,
    CatalogueChange,
    text_sha256,
)
from models.calendar import local_date, local_midnight
from models.catalogue import PARAGRAPHS, amended_catalogue
from models.identities import other_participant
from models.limits import AREAS_ADDED_MAX, CATALOGUE_CHANGES_MAX, OPEN_AMENDMENTS_MAX, open_things_problem
from models.partnership import PartnershipState
from models.signing import Filing
from rules.common import in_effect_problem, participant_problem
from rules.tags import decided, stated

# ¶33 — amendment proposals -------------------------------------------------------------------------


@decided("33", "Amendments", "the proposal is the proposer's written consent")
def proposal_problem(state: PartnershipState, proposal: AmendmentProposal, now: datetime) -> str | None:
    proposer = proposal.filed_by
    if problem := participant_problem(proposer, "proposes an amendment"):
        return problem
    if problem := in_effect_problem(state, "amendment"):
        return problem
    if not proposal.paragraphs:
        return "name at least one paragraph the amendment changes (--paragraph N)"
    for paragraph in proposal.paragraphs:
        if paragraph not in PARAGRAPHS:
            return f"¶{paragraph} does not exist; the text has ¶{PARAGRAPHS[0]}–{PARAGRAPHS[-1]}"
    if not proposal.text.strip():
        return "the amendment has no text; give the amended wording (--text-file F)"
    responder = other_participant(proposer)
    today = local_date(now, responder)
    if proposal.respond_by is not None and proposal.respond_by <= today:
        return f"respond_by {proposal.respond_by} leaves no time to respond; name a date after {today}"
    if proposal.effective_on is not None and proposal.effective_on < local_date(now, proposer):
        return f"effective_on {proposal.effective_on} is in the past; name today or a later date"
    if problem := duplicate_proposal_problem(state, proposal):
        return problem
    if problem := open_amendments_problem(state, proposal):
        return problem
    return catalogue_change_problem(state.catalogue_changes, proposal.catalogue_changes)


@decided(
    "33", "Bounded state", "at most OPEN_AMENDMENTS_MAX proposals open at once, CATALOGUE_CHANGES_MAX changes in force"
)
def open_amendments_problem(state: PartnershipState, proposal: AmendmentProposal) -> str | None:
    """Issue 12: the Partnership carries every open proposal and every catalogue change in force
    for decades, so both are bounded; a proposal over either bound is refused in one line."""
    open_ones = sum(a.status.is_open for a in state.amendments.values())
    if problem := open_things_problem(open_ones, OPEN_AMENDMENTS_MAX, "amendment proposals", len(state.amendments)):
        return problem
    # Counting the open proposals' changes too: each may come into force.
    pending = sum(len(a.catalogue_changes) for a in state.amendments.values() if a.status.is_open)
    proposed = [c for a in state.amendments.values() if a.status.is_open for c in a.catalogue_changes]
    changes = [*state.catalogue_changes, *proposed, *proposal.catalogue_changes]
    if sum(c.action == "add-policy-area" for c in changes) > AREAS_ADDED_MAX:
        return f"at most {AREAS_ADDED_MAX} policy areas may be added to the catalogue (a limit on state size)"
    if len(state.catalogue_changes) + pending + len(proposal.catalogue_changes) > CATALOGUE_CHANGES_MAX:
        return (
            f"the catalogue may have at most {CATALOGUE_CHANGES_MAX} changes in force (a limit on state size); "
            f"{len(state.catalogue_changes)} are in force and {pending} proposed"
        )
    return None


@decided("33", "Amendments", "the same wording to the same paragraphs is not proposed twice while one is open")
def duplicate_proposal_problem(state: PartnershipState, proposal: AmendmentProposal) -> str | None:
    # The ¶s as a set: their order, or a ¶ repeated in a proposal taken before each had to be
    # named once, does not make the same amendment another one.
    wording, paragraphs = text_sha256(proposal.text), set(proposal.paragraphs)
    for open_one in state.amendments.values():
        same = open_one.text_sha256 == wording and set(open_one.paragraphs) == paragraphs
        if open_one.status.is_open and same:
            return f"{open_one.amendment_id} proposes the same wording to the same paragraphs and is open"
    return None


@decided("33", "Amendments", "an amendment may change the catalogue")
def catalogue_change_problem(in_force: list[CatalogueChange], proposed: list[CatalogueChange]) -> str | None:
    """Each change must make sense against the catalogue as amended by the changes before it."""
    applied = list(in_force)
    for change in proposed:
        refs, areas = amended_catalogue(applied)
        if change.action == "add-commitment":
            if not change.ref or not change.title or not change.area:
                return "add-commitment needs ref, title and area"
            if change.ref in refs:
                return f"commitment {change.ref} already exists"
            if change.area not in areas:
                return f"no policy area {change.area!r} to add commitment {change.ref} under"
        elif change.action == "retire-commitment":
            if change.ref not in refs:
                return f"commitment {change.ref} is not in the catalogue; nothing to retire"
        elif change.action == "add-policy-area":
            if not change.area or not change.title or change.pillar not in (1, 2, 3, 4):
                return "add-policy-area needs area (a slug), title and pillar 1-4"
            if change.area in areas:
                return f"policy area {change.area!r} already exists"
        applied.append(change)
    return None


@decided("33", "Amendments", "an unanswered proposal lapses after 90 days by default")
def respond_by_for(proposal: AmendmentProposal, now: datetime) -> date:
    """The proposal's respond-by date: as named, or 90 days from receipt where the responder is."""
    responder = other_participant(proposal.filed_by)
    return proposal.respond_by or local_date(now, responder) + timedelta(days=DEFAULT_RESPONSE_DAYS)


@stated("33", "mutual written consent: only the other Participant consents or declines")
def response_problem(case: AmendmentCase, filing: Filing, amendment_id: str, what: str, now: datetime) -> str | None:
    """Consent or decline: only the other Participant, only while the proposal is open, and not
    once its respond-by date has passed (the lapse's timer may not have fired yet: a worker that
    was down, or a filing taken in the same task as the timer, which Temporal hands it first)."""
    if amendment_id != case.amendment_id:
        return f"this filing names amendment {amendment_id}, not {case.amendment_id}"
    proposer = case.proposal.filed_by
    if not filing.filed_by.is_participant:
        return f"only a Participant (UK or ROK) may {what} an amendment, not {filing.filed_by}"
    if filing.filed_by is proposer:
        return (
            f"{proposer} proposed {case.amendment_id}, and its proposal is its written consent; "
            f"only {other_participant(proposer)} may {what} it"
        )
    if case.status is not AmendmentStatus.PROPOSED:
        return f"{case.amendment_id} is {case.status}; it no longer awaits a response"
    if now >= lapses_at(case):
        return f"the respond-by date of {case.amendment_id} ({case.respond_by}) has passed; it has lapsed"
    return None


@decided("33", "Amendments", "the proposer may withdraw until the other consents")
def withdrawal_problem(case: AmendmentCase, filing: AmendmentWithdrawal) -> str | None:
    if filing.amendment_id != case.amendment_id:
        return f"this filing names amendment {filing.amendment_id}, not {case.amendment_id}"
    proposer = case.proposal.filed_by
    if filing.filed_by is not proposer:
        return f"only {proposer}, which proposed {case.amendment_id}, may withdraw it"
    if case.status is AmendmentStatus.CONSENTED:
        return (
            f"{other_participant(proposer)} has already consented to {case.amendment_id}; "
            "a proposal may be withdrawn only until the other Participant consents"
        )
    if case.status is not AmendmentStatus.PROPOSED:
        return f"{case.amendment_id} is {case.status}; there is nothing to withdraw"
    return None


@decided("33", "Amendments", "a proposal lapses at the end of its respond-by date, in the responder's time zone")
def lapses_at(case: AmendmentCase) -> datetime:
    """The end of the respond-by date where the responding Participant is."""
    responder = other_participant(case.proposal.filed_by)
    return local_midnight(case.respond_by + timedelta(days=1), responder)


@decided("33", "Amendments", "effect at 00:00 in the proposer's time zone")
def takes_effect_at(case: AmendmentCase) -> datetime | None:
    """00:00 of the effective date where the proposer is (the consent is given to the proposer)."""
    if case.effective_on is None:
        return None
    return local_midnight(case.effective_on, case.proposal.filed_by)


@decided("33", "Amendments", "a decline gives its reason")
def decline_problem(case: AmendmentCase, filing: AmendmentDecline, now: datetime) -> str | None:
    """Consent's rules, and a reason: the proposer is owed one."""
    if problem := response_problem(case, filing, filing.amendment_id, "decline", now):
        return problem
    if not filing.reason.strip():
        return "a decline needs a reason (--reason)"
    return None
