"""¶28, costs: each Participant bears its own unless a cost arrangement is jointly decided.

> 28. In principle, each Participant will bear its own expenses arising from its activities under
> this Partnership, unless otherwise jointly decided by the Participants.
"""

from __future__ import annotations

from models.joint_action import CostArrangement, JointActionCase
from rules.common import already_filed_problem
from rules.p09_27_joint_actions import filing_problem
from rules.tags import stated


@stated("28", "each bears its own expenses unless otherwise jointly decided")
def cost_problem(case: JointActionCase, filing: CostArrangement) -> str | None:
    if problem := filing_problem(case, filing, filing.action_id, "propose a cost arrangement"):
        return problem
    if not case.state.is_open:
        return f"{case.action_id} is {case.state}; its costs can no longer be arranged"
    if not filing.arrangement.strip():
        return "the arrangement is empty; describe who bears which expenses (--arrangement-file)"
    if filing.arrangement.strip() == case.cost_arrangement:
        return f"that arrangement already applies to {case.action_id}"
    return already_filed_problem(case.cost_filings, filing.filed_by, filing.terms(), "this arrangement")
