"""¶29, consultations: no adjudicator, no vote; an outcome counts only when both accept it.

> 29. Any differences that may arise from the interpretation or implementation of this Partnership
> will be resolved amicably through consultations between the Participants.
"""

from __future__ import annotations

from datetime import date, datetime

from models.calendar import filers_date
from models.catalogue import PARAGRAPHS, amended_catalogue
from models.consultation import (
    ConsultationCase,
    ConsultationRequest,
    ConsultationRound,
    ConsultationState,
    ConsultationWithdrawal,
    ResolutionAcceptance,
    ResolutionProposal,
)
from models.identities import Identity
from models.limits import OPEN_CONSULTATIONS_MAX, entries_problem, open_things_problem
from models.partnership import PartnershipState, Stage
from models.signing import Filing
from rules.common import participant_problem
from rules.tags import decided, stated


@stated("29", "differences are resolved through consultations between the Participants")
def consultation_problem(state: PartnershipState, request: ConsultationRequest) -> str | None:
    if problem := participant_problem(request.filed_by, "opens a consultation"):
        return problem
    if state.stage is Stage.AWAITING_SIGNATURES:
        return "the Partnership is not yet in effect; there is nothing to consult on"
    if not request.summary.strip():
        return "say what the difference is (--summary)"
    about = request.about.strip().lstrip("¶")
    refs, _ = amended_catalogue(state.catalogue_changes)
    known = about in refs or about in state.actions or about in state.amendments or state.closed(about)
    if not known and not (about.isdigit() and int(about) in PARAGRAPHS):
        return (
            f"{request.about!r} is neither a ¶ (1–33), a commitment ref (e.g. 9b), "
            "nor the id of a joint action or amendment"
        )
    if problem := open_consultations_problem(state, request.filed_by):
        return problem
    return duplicate_consultation_problem(state, request)


@decided("29", "Bounded state", "at most OPEN_CONSULTATIONS_MAX consultations open at once, two fifths by each")
def open_consultations_problem(state: PartnershipState, by: Identity) -> str | None:
    """Issue 12: the Partnership carries every open consultation (a closed one leaves for the
    register). Only its opener withdraws one, so each Participant opens at most its share."""
    open_ones = [c for c in state.consultations.values() if c.state == "OPEN"]
    own = (by, sum(c.opened_by is by for c in open_ones))
    return open_things_problem(len(open_ones), OPEN_CONSULTATIONS_MAX, "consultations", len(state.consultations), own)


@decided("29", "Consultations", "one open consultation per difference: the same one is not opened twice")
def duplicate_consultation_problem(state: PartnershipState, request: ConsultationRequest) -> str | None:
    about, summary = request.about.strip().lstrip("¶"), " ".join(request.summary.split())
    for open_one in state.consultations.values():
        same = open_one.about.strip().lstrip("¶") == about and " ".join(open_one.summary.split()) == summary
        if open_one.state == "OPEN" and same:
            return f"{open_one.consultation_id} about {about} is open on the same difference; note a round there"
    return None


@stated("29", "a consultation is between the Participants, while it is open")
def open_problem(case: ConsultationCase, filing: Filing, consultation_id: str) -> str | None:
    if consultation_id != case.consultation_id:
        return f"this filing names {consultation_id}, not {case.consultation_id}"
    if case.state is not ConsultationState.OPEN:
        return f"{case.consultation_id} is {case.state}; it takes no more filings"
    return None


@decided("29", "Consultations", "the Participant that opened a consultation may withdraw it while it is open")
def consultation_withdrawal_problem(case: ConsultationCase, filing: ConsultationWithdrawal) -> str | None:
    if problem := open_problem(case, filing, filing.consultation_id):
        return problem
    opener = case.request.filed_by
    if filing.filed_by is not opener:
        return f"only {opener}, which opened {case.consultation_id}, may withdraw it"
    return None


@stated("29", "consultations between the Participants")
def round_problem(case: ConsultationCase, filing: ConsultationRound, now: datetime) -> str | None:
    if problem := open_problem(case, filing, filing.consultation_id):
        return problem
    if not filing.note.strip():
        return "a consultation round needs a note of what was discussed (--note)"
    if problem := round_date_problem(case, filing, now):
        return problem
    mine = (filing.filed_by, sum(r.by is filing.filed_by for r in case.rounds))
    return entries_problem(case.rounds, "rounds", case.consultation_id, mine)


def _filers_date(moment: datetime, filing: ConsultationRound) -> tuple[date, str]:
    """The date of `moment` as the filer counts its days, and whose calendar that is."""
    return filers_date(moment, filing.filed_by), f"{filing.filed_by}'s" if filing.filed_by.is_participant else "UTC"


@decided("29", "Consultations", "a round is noted once held: not on a date after the filer's today")
def round_date_problem(case: ConsultationCase, filing: ConsultationRound, now: datetime) -> str | None:
    today, whose = _filers_date(now, filing)
    if filing.held_on > today:
        zone = f"{whose} today" if filing.filed_by.is_participant else "today (UTC)"
        return f"a round is noted once it has been held; {filing.held_on} is after {zone}, {today}"
    return round_opened_problem(case, filing)


@decided("29", "Consultations", "a round is held in the consultation: not before the day it was opened")
def round_opened_problem(case: ConsultationCase, filing: ConsultationRound) -> str | None:
    """The opening day is counted in the calendar "today" is counted in (the filer's), so a round
    held on the day the other side opened it, a date behind in the filer's zone, is not refused."""
    opened, whose = _filers_date(case.opened_at, filing)
    if filing.held_on < opened:
        return (
            f"{case.consultation_id} was opened on {opened} ({whose} date); "
            f"a round held on {filing.held_on}, before it, is not one of its rounds"
        )
    return None


@stated("29", "resolved amicably: an outcome is proposed by a Participant")
def proposal_problem(case: ConsultationCase, filing: ResolutionProposal) -> str | None:
    if problem := open_problem(case, filing, filing.consultation_id):
        return problem
    if not filing.filed_by.is_participant:
        return f"only a Participant (UK or ROK) proposes an outcome, not {filing.filed_by}"
    if not filing.resolution.strip():
        return "the proposed resolution is empty (--resolution-file)"
    mine = (filing.filed_by, sum(p.by is filing.filed_by for p in case.proposals))
    return entries_problem(case.proposals, "proposed resolutions", case.consultation_id, mine)


@stated("29", "resolved amicably: an outcome counts only when the other Participant accepts it")
def acceptance_problem(case: ConsultationCase, filing: ResolutionAcceptance) -> str | None:
    if problem := open_problem(case, filing, filing.consultation_id):
        return problem
    if not filing.filed_by.is_participant:
        return f"only a Participant (UK or ROK) accepts an outcome, not {filing.filed_by}"
    numbers = [p.number for p in case.proposals]
    if filing.proposal not in numbers:
        offered = ", ".join(map(str, numbers)) or "none yet"
        return f"there is no proposal {filing.proposal} in {case.consultation_id}; proposals: {offered}"
    proposed = case.proposals[numbers.index(filing.proposal)]
    if proposed.by is filing.filed_by:
        return (
            f"{filing.filed_by} made proposal {filing.proposal}; it counts only when the other Participant accepts it"
        )
    return None
