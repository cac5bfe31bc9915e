"""¶32, programmes survive termination unless jointly wound down.

> 32. The termination of this Partnership will not affect ongoing programmes or activities under the
> Partnership, unless otherwise jointly decided by the Participants.
"""

from __future__ import annotations

from models.joint_action import WindDown, wind_down_terms
from models.partnership import PartnershipState
from rules.common import already_filed_problem, participant_problem
from rules.tags import stated


@stated("32", "termination does not affect ongoing programmes unless otherwise jointly decided")
def wind_down_problem(state: PartnershipState, filing: WindDown) -> str | None:
    if problem := participant_problem(filing.filed_by, "winds down joint actions"):
        return problem
    # Which actions are still ongoing only their own workflows know for sure: what the Partnership
    # shows comes from their roll-ups, signals anyone with access to the namespace can forge. So
    # a wind-down may name any joint action this Partnership started, and each action, checking
    # both instruments itself, ends if it is still ongoing (one already closed stays as it is).
    if not state.actions:
        return "this Partnership has no joint action; there is nothing to wind down"
    for action_id in filing.actions:
        if action_id not in state.actions:
            return f"{action_id} is not a joint action of this Partnership"
    terms = wind_down_terms(filing)
    return already_filed_problem(state.wind_down_filings, filing.filed_by, terms, "a wind-down of these joint actions")
