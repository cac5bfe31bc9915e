"""What every governance workflow shares: rejecting a filing, and the outbox of side effects.

A filing's handler changes state and queues its effects (register rows, notifications); the
workflow's main loop then carries them out in order through activities. A filing is therefore
acknowledged as soon as it is accepted, and an effect that must wait (a mail server that is down)
holds up nothing but itself. The queue is part of the state, so it survives continue-as-new.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.identities import Identity
    from models.records import DecisionRecord, Notification
    from models.signing import Filing, signature_problem

#: Effects retry until they succeed: a decision or a notice is never dropped, only delayed.
EFFECT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
)


def reject(reason: str) -> ApplicationError:
    """The error a validator raises: its message is what the filer's CLI prints."""
    return ApplicationError(reason, type="FilingRejected", non_retryable=True)


def check_signature(filing: Filing, keys: dict[Identity, str]) -> None:
    """Raise a rejection unless the filer's registered key verifies the filing."""
    problem = signature_problem(filing, keys)
    if problem:
        raise reject(problem)


class Outbox(BaseModel):
    """Effects accepted but not yet carried out, oldest first."""

    effects: list[DecisionRecord | Notification] = Field(default_factory=list)

    def record(self, decision: DecisionRecord) -> None:
        self.effects.append(decision)

    def notify(self, notification: Notification) -> None:
        self.effects.append(notification)

    async def drain(self) -> None:
        """Carry out every queued effect, in order; each is removed only once it is done."""
        while self.effects:
            effect = self.effects[0]
            if isinstance(effect, DecisionRecord):
                await workflow.execute_activity(
                    "record_decision",
                    effect,
                    start_to_close_timeout=timedelta(seconds=30),
                    retry_policy=EFFECT_RETRY,
                )
            else:
                await workflow.execute_activity(
                    "notify",
                    effect,
                    start_to_close_timeout=timedelta(seconds=60),
                    retry_policy=EFFECT_RETRY,
                )
            self.effects.pop(0)
