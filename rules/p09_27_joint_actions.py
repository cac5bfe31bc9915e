"""¶9–27, joint actions: each sits under one numbered commitment and lives proposed → agreed by
both → active → completed or discontinued by joint decision. ¶9 and ¶27 frame the lists:

> 9. The Participants will:

> 27. In particular, the Participants will:
"""

from __future__ import annotations

from datetime import datetime

from models.catalogue import amended_catalogue, locate
from models.identities import Identity, other_participant
from models.joint_action import (
    ActionAgreement,
    ActionClosure,
    ActionState,
    JointActionCase,
    JointActionProposal,
    ProgressReport,
    action_id_for,
)
from models.limits import OPEN_ACTIONS_MAX, open_things_problem
from models.partnership import PartnershipState
from models.signing import Filing
from rules.common import add_months, already_filed_problem, child_id, in_effect_problem, participant_problem
from rules.tags import decided, stated


@stated("9–27", "a joint action sits under one of the numbered commitments")
def action_proposal_problem(state: PartnershipState, proposal: JointActionProposal, partnership_id: str) -> str | None:
    if problem := participant_problem(proposal.filed_by, "proposes a joint action"):
        return problem
    if problem := in_effect_problem(state, "new joint action"):
        return problem
    if locate(proposal.ref, state.catalogue_changes) is None:
        if any(c.action == "retire-commitment" and c.ref == proposal.ref for c in state.catalogue_changes):
            return f"commitment {proposal.ref} was retired by an amendment in force (¶33); it takes no new joint action"
        refs, _ = amended_catalogue(state.catalogue_changes)
        listed = f"`partnership catalogue --in-force` lists them ({len(refs)} refs)"
        return f"unknown commitment ref {proposal.ref!r}; {listed}"
    if not proposal.title.strip():
        return "a joint action needs a title (--title)"
    if proposal.starts and proposal.ends and proposal.ends < proposal.starts:
        return f"ends {proposal.ends} is before starts {proposal.starts}"
    action_id = child_id(partnership_id, action_id_for(proposal.ref, proposal.title))
    if action_id in state.actions or state.closed(action_id):
        return f"joint action {action_id} already exists; choose another title"
    return open_actions_problem(state, proposal.filed_by)


@decided("9–27", "Bounded state", "at most OPEN_ACTIONS_MAX joint actions open at once, two fifths by each Participant")
def open_actions_problem(state: PartnershipState, by: Identity) -> str | None:
    """Issue 12: the Partnership carries every open joint action (a closed one leaves for the
    register); a Forum decision that would launch one more is not carried out either. A proposed
    action ends only by both, so each Participant proposes at most its share (a Forum's launches,
    which both agreed, have none)."""
    open_ones = [a for a in state.actions.values() if a.state.is_open]
    own = (by, sum(a.proposed_by is by for a in open_ones))
    return open_things_problem(len(open_ones), OPEN_ACTIONS_MAX, "joint actions", len(state.actions), own)


@decided("9–27", "Joint decisions", "a filing names the joint action it acts on")
def filing_problem(case: JointActionCase, filing: Filing, action_id: str, what: str) -> str | None:
    if action_id != case.action_id:
        return f"this filing names {action_id}, not {case.action_id}"
    if not filing.filed_by.is_participant:
        return f"only a Participant (UK or ROK) may {what}, not {filing.filed_by}"
    return None


@decided("9–27", "Joint decisions", "a proposed action becomes active when both agree it")
def agreement_problem(case: JointActionCase, filing: ActionAgreement) -> str | None:
    if problem := filing_problem(case, filing, filing.action_id, "agree a joint action"):
        return problem
    proposer = case.proposal.filed_by
    if filing.filed_by is proposer:
        return f"{proposer} proposed {case.action_id}; only {other_participant(proposer)} may agree it"
    if case.state is not ActionState.PROPOSED:
        return f"{case.action_id} is {case.state}; it no longer awaits agreement"
    return None


@decided("9–27", "Overdue progress", "progress is reported on an active action")
def report_problem(case: JointActionCase, filing: ProgressReport) -> str | None:
    if problem := filing_problem(case, filing, filing.action_id, "report progress"):
        return problem
    if case.state is not ActionState.ACTIVE:
        return f"progress is reported on ACTIVE joint actions; {case.action_id} is {case.state}"
    return None


@decided("9–27", "Joint decisions", "completing or discontinuing an action is a joint decision")
def closure_problem(case: JointActionCase, filing: ActionClosure) -> str | None:
    if problem := filing_problem(case, filing, filing.action_id, f"{filing.outcome} a joint action"):
        return problem
    if not case.state.is_open:
        return f"{case.action_id} is already {case.state}"
    if filing.outcome == "complete" and case.state is not ActionState.ACTIVE:
        return f"only an ACTIVE joint action can be completed; {case.action_id} is {case.state}"
    return already_filed_problem(case.closure_filings, filing.filed_by, filing.terms(), f"to {filing.outcome} it")


@decided("9–27", "Overdue progress", "a report is due one cadence after the last report or the agreement")
def report_due(
    since: datetime, cadence_months: int, unanswered_reminders: int = 0, changed_at: datetime | None = None
) -> datetime:
    """`since`: the last report, else the agreement. Each reminder that went unanswered pushes the
    next one a further cadence on.

    `changed_at`: when the group's cadence was last jointly changed. The new cadence counts from
    the last report too, but a report it makes due already is due at the change itself: one
    reminder then, never one for each cadence the new one would have missed (and the reminders
    counted since the change push the next one a further new cadence on)."""
    first = datetime.combine(add_months(since.date(), cadence_months), since.timetz())
    if changed_at is not None and first < changed_at:
        months = cadence_months * unanswered_reminders
        return datetime.combine(add_months(changed_at.date(), months), changed_at.timetz())
    months = cadence_months * (unanswered_reminders + 1)
    return datetime.combine(add_months(since.date(), months), since.timetz())
