"""What every governance workflow shares: rejecting a filing, accepting one, and the outbox of
side effects.

A filing's handler changes state and queues its effects (register rows, notifications). Two lanes
beside the main loop carry them out through activities, decisions in one and notifications in the
other, each in order. A filing is therefore acknowledged as soon as it is accepted, and an effect
that must wait (a mail server that is down) holds up nothing but its own lane: not the register,
not the clock. The queue is part of the state, so it survives continue-as-new.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.identities import Identity
    from models.records import DecisionRecord, Notification
    from models.search import GOVERNANCE_STATE
    from models.signing import Filing, signature_problem

#: Effects retry until they succeed: a decision or a notice is never dropped, only delayed.
EFFECT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
)


#: workflow.patched id: effects carried out in two lanes beside the main loop (not in it).
EFFECT_LANES = "effects-in-lanes"
#: workflow.patched id: the state search attribute is written only when the state changes.
STATE_ON_CHANGE = "state-attribute-on-change"


def reject(reason: str) -> ApplicationError:
    """The error a validator raises: its message is what the filer's CLI prints."""
    return ApplicationError(reason, type="FilingRejected", non_retryable=True)


def raise_if(problem: str | None) -> None:
    """Validators state rules as functions returning the problem, or None."""
    if problem:
        raise reject(problem)


def check_filing(filing: Filing, keys: dict[Identity, str], seen: list[str]) -> None:
    """Raise a rejection unless the filer's registered key verifies the filing and this very
    filing was not accepted before (a signed paper is presented once)."""
    raise_if(signature_problem(filing, keys))
    if filing.filing_id in seen:
        raise reject(f"filing {filing.filing_id} was already received; file a new instrument")


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


class Outbox:
    """Effects accepted but not yet carried out, oldest first. It holds the very list that lives
    in the workflow's state, so whatever the state carries (continue-as-new) includes the queue."""

    def __init__(self, effects: list[DecisionRecord | Notification]) -> None:
        self.effects = effects

    async def carry_out(self, effect: DecisionRecord | Notification) -> None:
        if isinstance(effect, DecisionRecord):
            await workflow.execute_activity(
                "record_decision",
                effect,
                # Short: a worker that dies mid-activity is noticed soon and the retry goes on.
                start_to_close_timeout=timedelta(seconds=10),
                retry_policy=EFFECT_RETRY,
            )
        else:
            await workflow.execute_activity(
                "notify",
                effect,
                start_to_close_timeout=timedelta(seconds=20),  # SMTP itself times out at 10 s
                retry_policy=EFFECT_RETRY,
            )

    async def drain(self) -> None:
        """Carry out every queued effect, in order; each is removed only once it is done.
        (Histories from before the lanes; see GovernedWorkflow._serve.)"""
        while self.effects:
            await self.carry_out(self.effects[0])
            self.effects.pop(0)

    async def lane(self, kind: type) -> None:
        """Forever: carry out the oldest queued effect of one kind, once there is one."""
        while True:
            await workflow.wait_condition(lambda: any(isinstance(e, kind) for e in self.effects))
            effect = next(e for e in self.effects if isinstance(e, kind))
            await self.carry_out(effect)
            del self.effects[next(i for i, e in enumerate(self.effects) if e is effect)]


class GovernedWorkflow:
    """Base of the governance workflows. A subclass calls `_govern` from its `__init__` with the
    lists in its state that hold accepted filing ids and queued effects, says when it is finished
    and what its clock makes due, and runs `_serve()` from its `@workflow.run`."""

    PARAGRAPH = ""  # the ¶ its decisions and notices cite unless they say otherwise

    def _govern(
        self, seen_filings: list[str], outbox: list[DecisionRecord | Notification], state: str | None = None
    ) -> None:
        self._shown_state = state  # what the search attribute says when this run starts
        self._seen_filings = seen_filings
        self._outbox = Outbox(effects=outbox)  # the same list: carried state sees the queue
        self._revision = 0  # bumped by every accepted filing, so the main loop re-plans its timer

    # What subclasses say ----------------------------------------------------------------------------

    def _finished(self) -> bool:
        return False

    def _next_deadline(self) -> datetime | None:
        return None

    async def _on_time(self) -> None:
        """Whatever the clock has made due."""

    def _continue_as_new_at_length(self) -> int | None:
        return None

    def _carried_state(self) -> Any:
        raise NotImplementedError

    # The main loop ----------------------------------------------------------------------------------

    async def _serve(self) -> None:
        """Until finished: wake on a filing or the deadline, do what the clock has made due, and
        continue as new when the history has grown long. Decisions and notifications are carried
        out by two lanes of their own, so neither a mail server that is down nor a slow register
        holds up the other, or the clock: a termination takes effect on time whatever the mail."""
        if not workflow.patched(EFFECT_LANES):
            await self._serve_in_one_line()
            return
        lanes = [asyncio.create_task(self._outbox.lane(kind)) for kind in (DecisionRecord, Notification)]
        while True:
            seen = self._revision
            await wait_until(
                lambda seen=seen: self._revision != seen or self._continue_as_new_due() or self._finished(),
                self._next_deadline(),
            )
            await self._on_time()
            if self._finished() or self._continue_as_new_due():
                await workflow.wait_condition(lambda: not self._outbox.effects and workflow.all_handlers_finished())
                if self._finished():
                    for lane in lanes:
                        lane.cancel()
                    return
                workflow.continue_as_new(self._carried_state())

    async def _serve_in_one_line(self) -> None:
        """The loop before the lanes, kept so that histories made by it replay exactly."""
        while True:
            seen = self._revision
            await wait_until(
                lambda seen=seen: (
                    self._revision != seen
                    or bool(self._outbox.effects)
                    or self._continue_as_new_due()
                    or self._finished()
                ),
                self._next_deadline(),
            )
            await self._on_time()
            await self._outbox.drain()
            if self._finished() and not self._outbox.effects:
                await workflow.wait_condition(workflow.all_handlers_finished)
                if not self._outbox.effects:
                    return
            elif self._continue_as_new_due():
                await workflow.wait_condition(workflow.all_handlers_finished)
                if not self._outbox.effects:
                    workflow.continue_as_new(self._carried_state())

    def _show_state(self, state: str) -> None:
        """The GovernanceState search attribute (Web UI, `workflow list --query`). Each write is a
        history event and a visibility write, so only a change is written (older histories wrote
        on every publication, and still replay that way)."""
        if state == getattr(self, "_shown_state", None) and workflow.patched(STATE_ON_CHANGE):
            return
        workflow.upsert_search_attributes([GOVERNANCE_STATE.value_set(state)])
        self._shown_state = state

    def _continue_as_new_due(self) -> bool:
        info = workflow.info()
        limit = self._continue_as_new_at_length()
        forced = limit is not None and info.get_current_history_length() >= limit
        return forced or info.is_continue_as_new_suggested()

    @workflow.query
    def pending_effects(self) -> int:
        """How many decisions and notifications are accepted but not yet carried out."""
        return len(self._outbox.effects)

    # Filings and effects ----------------------------------------------------------------------------

    def _accept(self, filing: Filing) -> datetime:
        """Every accepted filing: remembered (no second presentation), wakes the main loop, and
        is received at the workflow's time, never the filer's clock."""
        self._seen_filings.append(filing.filing_id)
        self._revision += 1
        workflow.logger.info(
            "filing accepted",
            extra={"filing": type(filing).__name__, "filed_by": filing.filed_by.value, "filing_id": filing.filing_id},
        )
        return workflow.now()

    def _record(
        self,
        key: str,
        kind: str,
        at: datetime,
        summary: str,
        details: dict[str, Any],
        paragraph: str | None = None,
    ) -> None:
        wid = workflow.info().workflow_id
        self._outbox.effects.append(
            DecisionRecord(
                decision_id=f"{wid}/{key}",
                workflow_id=wid,
                kind=kind,
                paragraph=paragraph or self.PARAGRAPH,
                decided_at=at,
                summary=summary,
                details=details,
            )
        )

    def _notify(self, key: str, to: list[Identity], subject: str, body: str, paragraph: str | None = None) -> None:
        self._outbox.effects.append(
            Notification(
                key=f"{workflow.info().workflow_id}/{key}",
                to=to,
                subject=subject,
                body=body,
                paragraph=paragraph or self.PARAGRAPH,
            )
        )
