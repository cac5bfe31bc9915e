"""A workflow whose messages change governed things answers, from its own state, whether it took
the decision a message rests on (a second adversarial review): Temporal does not say who sent a
signal, and the instruments a message carries can be copied from the histories, a withdrawn one
too. The receiver acts only once the sender's answer is yes (models/records.SenderCheck)."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.names import TOOK


class Vouches:
    """Mixin of the Partnership (for what it tells governed things) and of a Forum cycle (for what
    it tells the Partnership)."""

    @workflow.query(name=TOOK)
    def took(self, instruments: list[str]) -> bool:
        """Whether this workflow took a decision resting on exactly these instruments."""
        return self._took(instruments)

    def _took(self, instruments: list[str]) -> bool:
        return self._case.took(instruments)  # type: ignore[attr-defined]  # a governed thing's own case
