"""The bare workflows of the throughput benchmark: the same shape as the governance load (the
same updates, activities, child starts, signals and timers, with the same activities), and no
logic: no validation, no signatures, no rules, no state beyond counting."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from models.identities import FILERS
    from models.records import DecisionRecord, Notification
    from workflows.common import ACTIVITIES, EFFECT_RETRY


class Outbox:
    """Effects carried out by one lane per kind, each in order (the shape of the load, not the
    engine's own loop, which issues every command from its main loop)."""

    def __init__(self, effects: list[DecisionRecord | Notification]) -> None:
        self.effects = effects

    async def lane(self, kind: type) -> None:
        activity, timeout = ACTIVITIES[kind]
        while True:
            await workflow.wait_condition(lambda: any(isinstance(e, kind) for e in self.effects))
            effect = next(e for e in self.effects if isinstance(e, kind))
            await workflow.execute_activity(activity, effect, start_to_close_timeout=timeout, retry_policy=EFFECT_RETRY)
            del self.effects[next(i for i, e in enumerate(self.effects) if e is effect)]


class Step(BaseModel):
    activities: list[str] = []  # "record" / "notify", in order
    signal: bool = False


class ChildShape(BaseModel):
    id: str
    parent: str
    start: list[str]  # activities at start
    steps: list[Step]  # one per update
    end_signals: int = 0


def effect(kind: str, key: str) -> DecisionRecord | Notification:
    if kind == "record":
        return DecisionRecord(
            decision_id=key,
            workflow_id=key.split("/")[0],
            kind="bare",
            paragraph="0",
            decided_at=workflow.now(),
            summary="bare",
        )
    return Notification(key=key, to=list(FILERS), subject="bare", body="bare")


@workflow.defn
class BareChild:
    @workflow.init
    def __init__(self, shape: ChildShape) -> None:
        self.shape = shape  # here, not in run: an update may come in the very first task
        self.effects: list = []
        self.outbox = Outbox(self.effects)
        self.done = 0

    @workflow.run
    async def run(self, shape: ChildShape) -> int:
        lanes = [asyncio.create_task(self.outbox.lane(k)) for k in (DecisionRecord, Notification)]
        for i, kind in enumerate(shape.start):
            self.effects.append(effect(kind, f"{shape.id}/start/{i}"))
        await workflow.wait_condition(lambda: self.done == len(shape.steps) and not self.effects)
        for _ in range(shape.end_signals):
            await workflow.get_external_workflow_handle(shape.parent).signal("ping", shape.id)
        for lane in lanes:
            lane.cancel()
        return self.done

    @workflow.update
    async def step(self, n: int) -> int:
        step = self.shape.steps[self.done]
        for i, kind in enumerate(step.activities):
            self.effects.append(effect(kind, f"{self.shape.id}/step{self.done}/{i}"))
        self.done += 1
        if step.signal:
            await workflow.get_external_workflow_handle(self.shape.parent).signal("ping", self.shape.id)
        return self.done


@workflow.defn
class BareParent:
    def __init__(self) -> None:
        self.effects: list = []
        self.outbox = Outbox(self.effects)
        self.pings = 0
        self.timer_wake = 0

    @workflow.run
    async def run(self) -> None:
        lanes = [asyncio.create_task(self.outbox.lane(k)) for k in (DecisionRecord, Notification)]
        while True:
            seen = self.timer_wake
            try:
                await workflow.wait_condition(lambda seen=seen: self.timer_wake != seen, timeout=timedelta(days=180))
            except TimeoutError:
                pass
        for lane in lanes:  # pragma: no cover - the parent runs as long as the benchmark
            lane.cancel()

    @workflow.update
    async def start_child(self, shape: ChildShape) -> str:
        await workflow.start_child_workflow(
            BareChild.run, shape, id=shape.id, parent_close_policy=ParentClosePolicy.ABANDON
        )
        return shape.id

    @workflow.update
    async def touch(self, key: str) -> None:
        """A filing on the parent itself: two effects, and the timer re-planned."""
        self.effects += [effect("record", f"{key}/r"), effect("notify", f"{key}/n")]
        self.timer_wake += 1

    @workflow.signal
    def ping(self, key: str) -> None:
        self.pings += 1
        if key.endswith("/effects"):
            self.effects += [effect("record", f"{key}/r"), effect("notify", f"{key}/n")]

    @workflow.query
    def pending(self) -> int:
        return len(self.effects)
