"""¶7, working-level governance: one working group per policy area, its leads set jointly.

> 7. The UK-RoK Digital Partnership Forum will oversee the functioning of the Partnership. It will
> be held annually and chaired by a Vice Minister of the Ministry of Science and ICT of the Republic
> of Korea and a Ministerial counterpart at the Department for Science, Innovation and Technology of
> the United Kingdom. Separate working-level governance arrangements will be established under each
> policy area. The scope, objectives, and means of optimal cooperation will be reviewed as needed.
"""

from __future__ import annotations

from models.catalogue import areas_in_force
from models.joint import JointFilings
from models.partnership import PartnershipState
from models.working_group import GroupLeads
from rules.common import already_filed_problem, in_effect_problem, participant_problem
from rules.tags import stated


@stated("7", "working-level governance arrangements under each policy area")
def leads_problem(state: PartnershipState, filing: GroupLeads) -> str | None:
    if problem := participant_problem(filing.filed_by, "sets working-group leads"):
        return problem
    if problem := in_effect_problem(state, "working-group change"):
        return problem
    areas = areas_in_force(state.catalogue_changes)
    if filing.area not in areas:
        return f"no policy area {filing.area!r}; areas: {', '.join(areas)}"
    if not filing.lead_uk.strip() or not filing.lead_rok.strip():
        return "name a lead from each side (--lead-uk and --lead-rok)"
    group = state.working_groups.get(filing.area)
    return already_filed_problem(
        group.pending if group else JointFilings(), filing.filed_by, filing.terms(), f"these leads for {filing.area}"
    )
