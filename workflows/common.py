"""What every governance workflow shares: rejecting a filing, and the outbox of side effects.

A filing's handler changes state and queues its effects (register rows, notifications); the
workflow's main loop then carries them out in order through activities. A filing is therefore
acknowledged as soon as it is accepted, and an effect that must wait (a mail server that is down)
holds up nothing but itself. The queue is part of the state, so it survives continue-as-new.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

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


def check_filing(filing: Filing, keys: dict[Identity, str], seen: list[str]) -> None:
    """Raise a rejection unless the filer's registered key verifies the filing and this very
    filing was not accepted before (a signed paper is presented once)."""
    problem = signature_problem(filing, keys)
    if problem:
        raise reject(problem)
    if filing.filing_id in seen:
        raise reject(f"filing {filing.filing_id} was already received; file a new instrument")


def raise_if(problem: str | None) -> None:
    """Validators state rules as functions returning the problem, or None."""
    if problem:
        raise reject(problem)


async def wait_until(woken: Callable[[], bool], deadline: datetime | None) -> None:
    """Wait for `woken()` or the deadline (a durable Temporal timer), whichever comes first."""
    if deadline is None:
        await workflow.wait_condition(woken)
        return
    remaining = deadline - workflow.now()
    if remaining <= timedelta(0):
        return
    try:
        await workflow.wait_condition(woken, timeout=remaining)
    except TimeoutError:
        pass


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
