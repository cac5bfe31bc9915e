"""`partnership audit replay`: replay histories against today's workflow code and name the first event
the code no longer agrees with. Only reads."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from functools import cache
from multiprocessing import get_context
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import History
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner

from models.base import build_all
from workflows.registry import WORKFLOWS

# Replay ---------------------------------------------------------------------------------------------


@dataclass
class ReplayOutcome:
    workflow_id: str
    run_id: str
    workflow_type: str
    events: int
    problem: str | None  # None: the history replays; else which event and why

    @property
    def ok(self) -> bool:
        return self.problem is None


def workflow_type(history: WorkflowHistory) -> str:
    first = history.events[0]
    return first.workflow_execution_started_event_attributes.workflow_type.name


def reason_of(failure: Exception) -> str:
    message = str(failure)
    why = re.search(r"Nondeterminism error: (.*?)\", source", message) or re.search(r"message: \"(.*?)\"", message)
    return why.group(1) if why else message.splitlines()[0]


def _event_name(event: Any) -> str:
    return EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")


async def explain_failure(history: WorkflowHistory, failure: Exception, workflows: Sequence[type] | None = None) -> str:
    """Name the event the code no longer agrees with, and why. Temporal's message says why but not
    where, so replay ever longer prefixes (one workflow task more each) to find the first task the
    code disagrees with, then the event in it that the message names."""
    reason = reason_of(failure)
    events = list(history.events)
    ends = [i for i, e in enumerate(events) if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED]
    ends = [
        next(
            (
                j
                for j in range(i + 1, len(events))
                if events[j].event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED
            ),
            len(events),
        )
        for i in ends
    ]
    low, high = 0, len(ends) - 1
    replayer = _replayer(workflows)
    while low < high:
        middle = (low + high) // 2
        prefix = WorkflowHistory(history.workflow_id, events[: ends[middle]])
        result = await replayer.replay_workflow(prefix, raise_on_replay_failure=False)
        if result.replay_failure:
            high = middle
        else:
            low = middle + 1
    start = max(
        (i for i in range(ends[low]) if events[i].event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED), default=0
    )
    commands = events[start + 1 : ends[low]] if ends else events
    named = re.findall(r"'([^']+)'", reason)
    culprit = next((e for e in commands for n in named if n and n in str(e)), commands[0] if commands else None)
    if culprit is None:
        return reason
    return f"event {culprit.event_id} ({_event_name(culprit)}): {reason}"


@cache
def quiet_runtime() -> Runtime:
    """A runtime whose core logs only errors: a replay that fails is reported by us, in words,
    not also as a core warning on the auditor's terminal."""
    return Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(filter=TelemetryFilter(core_level="ERROR", other_level="ERROR"))
        )
    )


def _replayer(workflows: Sequence[type] | None) -> Replayer:
    # Determinism is checked by Temporal's core, which matches every command the code makes against
    # the recorded events; that check is the same with or without the sandbox. The sandbox's own
    # guard (no clocks, I/O or randomness in workflow code) runs in every worker and every test.
    # The models are built before the workflows run, as in a worker (models/base.py).
    build_all()
    return Replayer(
        workflows=list(workflows or WORKFLOWS),
        data_converter=pydantic_data_converter,
        workflow_runner=UnsandboxedWorkflowRunner(),
        runtime=quiet_runtime(),
    )


async def replay_serially(
    histories: Sequence[WorkflowHistory],
    workflows: Sequence[type] | None = None,
    progress: Callable[[ReplayOutcome], None] | None = None,
) -> list[ReplayOutcome]:
    # A run caught before its first workflow task completed recorded no command, so there is nothing
    # to hold the code against; the SDK's Replayer would wait forever for the task's completion.
    replayable = [h for h in histories if has_completed_task(h)]

    async def feed():
        for history in replayable:
            yield history

    outcomes: dict[int, ReplayOutcome] = {}
    for i, history in enumerate(histories):
        if not has_completed_task(history):
            outcomes[i] = outcome_of(history, None)
            if progress:
                progress(outcomes[i])
    if replayable:
        positions = iter(i for i, h in enumerate(histories) if has_completed_task(h))
        async with _replayer(workflows).workflow_replay_iterator(feed()) as results:
            async for result in results:
                history = result.history
                problem = (
                    await explain_failure(history, result.replay_failure, workflows) if result.replay_failure else None
                )
                position = next(positions)
                outcomes[position] = outcome_of(history, problem)
                if progress:
                    progress(outcomes[position])
    return [outcomes[i] for i in sorted(outcomes)]


def has_completed_task(history: WorkflowHistory) -> bool:
    return any(e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED for e in history.events)


def outcome_of(history: WorkflowHistory, problem: str | None) -> ReplayOutcome:
    return ReplayOutcome(
        workflow_id=history.workflow_id,
        run_id=history.run_id,
        workflow_type=workflow_type(history),
        events=len(history.events),
        problem=problem,
    )


def _replay_chunk(chunk: list[tuple[str, bytes]]) -> list[dict[str, Any]]:
    histories = [WorkflowHistory(wid, list(History.FromString(data).events)) for wid, data in chunk]
    return [asdict(o) for o in asyncio.run(replay_serially(histories))]


async def replay(
    histories: Sequence[WorkflowHistory],
    workflows: Sequence[type] | None = None,
    progress: Callable[[ReplayOutcome], None] | None = None,
    processes: int | None = None,
) -> list[ReplayOutcome]:
    """Replay every history against the workflow code. Many histories are shared out over one
    process per core (each replays its share in one Replayer)."""
    processes = processes or min(os.cpu_count() or 1, max(1, len(histories) // 20))
    if processes <= 1 or workflows is not None:
        return await replay_serially(histories, workflows, progress)
    texts = [(h.workflow_id, History(events=h.events).SerializeToString()) for h in histories]
    chunks = [texts[i::processes] for i in range(processes)]
    loop = asyncio.get_running_loop()
    # A fork server with the engine preloaded starts replay processes in milliseconds, and never
    # forks a process that already runs Temporal's core threads.
    context = get_context("forkserver")
    context.set_forkserver_preload(["audit.replay", "workflows.registry"])
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        parts = await asyncio.gather(*(loop.run_in_executor(pool, _replay_chunk, c) for c in chunks))
    outcomes = [ReplayOutcome(**o) for part in parts for o in part]
    order = {(h.workflow_id, h.run_id): i for i, h in enumerate(histories)}
    outcomes.sort(key=lambda o: order.get((o.workflow_id, o.run_id), 0))
    if progress:
        for outcome in outcomes:
            progress(outcome)
    return outcomes
