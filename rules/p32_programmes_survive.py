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
    if not any(a.state.is_open for a in state.actions.values()):
        return "no joint action is ongoing; there is nothing to wind down"
    for action_id in filing.actions:
        action = state.actions.get(action_id)
        if action is None or not action.state.is_open:
            return f"{action_id} is not an ongoing joint action of this Partnership"
    terms = wind_down_terms(filing)
    return already_filed_problem(state.wind_down_filings, filing.filed_by, terms, "a wind-down of these joint actions")
