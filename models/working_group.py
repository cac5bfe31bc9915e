"""¶7: "Separate working-level governance arrangements will be established under each policy
area." One working group per area, led by one lead from each side, set only by joint decision."""

from __future__ import annotations

from pydantic import Field

from models.base import Model
from models.identities import Identity
from models.joint import JointFilings
from models.joint_action import DEFAULT_CADENCE_MONTHS, Rollup, decided_since
from models.limits import Name, Ref
from models.signing import Filing


class GroupLeads(Filing):
    """One side's filing of a working group's leads and reporting cadence; both must match."""

    area: Ref
    lead_uk: Name
    lead_rok: Name
    cadence_months: int = Field(default=DEFAULT_CADENCE_MONTHS, ge=1, le=12)

    def terms(self) -> dict[str, str]:
        """What both sides must file the same: the two leads and the cadence."""
        return {"lead_uk": self.lead_uk, "lead_rok": self.lead_rok, "cadence_months": str(self.cadence_months)}


class WorkingGroup(Model):
    area: str
    name: str
    pillar: int
    lead_uk: str | None = None
    lead_rok: str | None = None
    cadence_months: int = DEFAULT_CADENCE_MONTHS
    pending: JointFilings = Field(default_factory=JointFilings)  # terms filed, awaiting the other
    # The filings behind `pending`, sent on as evidence when the other side's matching one comes.
    instruments: dict[Identity, GroupLeads] = Field(default_factory=dict)
    # The instruments of the group's joint decisions so far (`decided_since`): a new joint action
    # starts knowing them, so a message resting on one of them is stale.
    decided_by: list[str] = Field(default_factory=list)

    def decided(self, instruments: list[str]) -> None:
        self.decided_by = decided_since(self.decided_by, instruments)


class GroupReport(Model):
    """`group show`: the group, and its joint actions' latest progress rolled up (for the Forum)."""

    group: WorkingGroup
    progress: Rollup
    actions: list = Field(default_factory=list)
