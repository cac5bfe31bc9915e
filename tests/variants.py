"""Test-only workflow variants: today's code changed the way a careless edit would change it."""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

from models.partnership import PartnershipState, PartnershipStatus
from workflows.partnership import PartnershipWorkflow


@workflow.defn(name="PartnershipWorkflow")
class ReorderedPartnership(PartnershipWorkflow):
    """Notifies before it records the entry into effect: the reverse of the recorded order."""

    @workflow.run
    async def run(self, state: PartnershipState) -> PartnershipStatus:
        return await super().run(state)

    def _enter_into_effect(self, decided_at: datetime) -> None:
        super()._enter_into_effect(decided_at)
        effects = self._outbox
        effects[-2], effects[-1] = effects[-1], effects[-2]
