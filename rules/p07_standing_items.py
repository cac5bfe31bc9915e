"""¶7, the Forum's standing items: what every cycle's agenda carries without anyone asking.

> 7. The UK-RoK Digital Partnership Forum will oversee the functioning of the Partnership.
"""

from __future__ import annotations

from models.catalogue import areas_in_force
from models.forum import AgendaItem
from models.joint_action import ActionState
from models.partnership import PartnershipState
from rules.tags import decided


@decided(
    "7",
    "The Forum",
    "standing items: each working group with active actions, pending amendments, open consultations, the review",
)
def standing_items(state: PartnershipState) -> list[AgendaItem]:
    """¶7: what every Forum's agenda carries without anyone asking."""
    items: list[AgendaItem] = []
    active = {a.area for a in state.actions.values() if a.state is ActionState.ACTIVE}  # one pass
    for area, (name, _) in areas_in_force(state.catalogue_changes).items():
        if area in active:
            items.append(AgendaItem(title=f"Report of the working group on {name}", ref="7", standing=True))
    for amendment in state.amendments.values():
        if amendment.status.is_open:
            paragraphs = ", ".join(f"¶{p}" for p in amendment.paragraphs)
            items.append(
                AgendaItem(title=f"Pending amendment {amendment.amendment_id} to {paragraphs}", ref="33", standing=True)
            )
    for consultation in state.consultations.values():
        if consultation.state == "OPEN":
            items.append(
                AgendaItem(
                    title=f"Open consultation {consultation.consultation_id} about {consultation.about}",
                    ref="29",
                    standing=True,
                )
            )
    items.append(AgendaItem(title="Review of the scope, objectives and means of cooperation", ref="7", standing=True))
    return items
