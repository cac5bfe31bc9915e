"""Issue 17: at the end of the run, every history the test servers hold is replayed against
today's code (not only the golden ones), so a history that only a worker with a warm cache could
have written fails the run.

The dev server lists its executions. The time-skipping server cannot list, so its client records
every workflow a test starts, and the runs those started (children, continued runs) are found in
their histories.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from temporalio.api.enums.v1 import EventType
from temporalio.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    StartWorkflowInput,
    WorkflowHandle,
    WorkflowHistory,
)
from temporalio.service import RPCError

from audit.replay import replay
from workflows.registry import GOVERNED


class StartedWorkflows(Interceptor):
    """A client interceptor that remembers every workflow run started through the client."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, str | None]] = []

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        runs = self.runs

        class Remember(OutboundInterceptor):
            async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle:
                handle = await super().start_workflow(input)
                runs.append((handle.id, handle.first_execution_run_id or handle.result_run_id))
                return handle

        return Remember(next)


async def histories_reached_from(client: Client, runs: Iterable[tuple[str, str | None]]) -> list[WorkflowHistory]:
    """The histories of these runs and of every run they started or continued into (fetched a
    few at a time: one by one, the hundreds a test server holds at the end took seconds)."""
    limit = asyncio.Semaphore(16)

    async def fetched(run: tuple[str, str | None]) -> WorkflowHistory | None:
        async with limit:
            try:
                return await client.get_workflow_handle(run[0], run_id=run[1]).fetch_history()
            except RPCError:
                return None  # a test terminated and reset it, or it never started

    seen: set[tuple[str, str | None]] = set()
    found: list[WorkflowHistory] = []
    wave = list(runs)
    while wave:
        wave = [run for run in dict.fromkeys(wave) if run not in seen]
        seen.update(wave)
        reached: list[tuple[str, str | None]] = []
        for run, history in zip(wave, await asyncio.gather(*(fetched(run) for run in wave)), strict=True):
            if history is None:
                continue
            found.append(history)
            for event in history.events:
                if event.event_type == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
                    child = event.child_workflow_execution_started_event_attributes.workflow_execution
                    reached.append((child.workflow_id, child.run_id))
                elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
                    attributes = event.workflow_execution_continued_as_new_event_attributes
                    reached.append((run[0], attributes.new_execution_run_id))
        wave = reached
    return found


async def listed_histories(client: Client) -> list[WorkflowHistory]:
    runs = [(w.id, w.run_id) async for w in client.list_workflows(GOVERNED)]
    return await histories_reached_from(client, runs)


async def replay_problems(histories: list[WorkflowHistory]) -> list[str]:
    # Histories that tests wedged on purpose (issue 17's stuck-workflow report) are marked by id.
    kept = [h for h in histories if "deliberately-stuck" not in h.workflow_id]
    outcomes = await replay(kept, processes=1)
    return [f"{o.workflow_id} ({o.workflow_type}, run {o.run_id}): {o.problem}" for o in outcomes if not o.ok]


def served_histories_replay(address: str) -> None:
    """Every governed history the server at `address` holds replays against today's code, else
    the run fails naming each one: for the end-to-end tests, whose stacks are servers of their own
    and whose workers keep workflows in memory."""
    from temporalio.contrib.pydantic import pydantic_data_converter

    async def problems() -> list[str]:
        client = await Client.connect(address, data_converter=pydantic_data_converter)
        histories = await listed_histories(client)
        assert histories, f"no governed workflow listed at {address}: nothing was replayed"
        return await replay_problems(histories)

    found = asyncio.run(problems())
    assert not found, f"histories at {address} that do not replay:\n" + "\n".join(found)
