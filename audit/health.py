"""Issue 17: say when a governed workflow is stuck. A workflow whose task keeps failing (its code
cannot replay its own history, or a handler raises) takes no filing and runs no timer; Temporal
retries the task for ever and answers every filing "Workflow Task in failed state". Nothing else in
the engine notices, so `partnership status` and `audit verify` ask for it here.

Two signs, either enough: Temporal's `TemporalReportedProblems` search attribute (set after a few
consecutive workflow-task failures or timeouts), and, for each running governed workflow, a
pending workflow task on its third attempt or later whose last recorded failure says why.
"""

from __future__ import annotations

import asyncio

from pydantic import BaseModel
from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause
from temporalio.client import Client
from temporalio.service import RPCError

from models.names import GOVERNED

#: What the Web UI itself lists as "workflow task problems".
REPORTED = '("category=WorkflowTaskFailed", "category=WorkflowTaskTimedOut")'
#: A task retried this often is not a worker that was restarted once: it keeps failing.
STUCK_AT_ATTEMPT = 3


class StuckWorkflow(BaseModel):
    workflow_id: str
    workflow_type: str
    attempt: int  # of the pending workflow task (0: Temporal reported it, no task pending now)
    reason: str

    def line(self) -> str:
        attempt = f", attempt {self.attempt}" if self.attempt else ""
        return f"{self.workflow_id} ({self.workflow_type}) is stuck: its workflow task fails{attempt}: {self.reason}"


async def stuck_workflows(
    client: Client, query: str | None = None, look_at: list[str] | None = None
) -> list[StuckWorkflow]:
    """Running governed workflows (matching `query`, visibility syntax) whose workflow task keeps
    failing, with the reason its last failure gave. Every running one is examined, unless
    `look_at` names the few to examine beside those Temporal reported (a quick look for `status`)."""
    running = f"{GOVERNED} AND ExecutionStatus = 'Running'" + (f" AND ({query})" if query else "")
    reported: dict[str, str] = {}
    try:
        problems = f"{running} AND TemporalReportedProblems IN {REPORTED}"
        reported = {w.id: w.workflow_type async for w in client.list_workflows(problems)}
    except RPCError:
        pass  # a server without the attribute: the pending task's attempt still tells
    if look_at is None:
        candidates = {w.id: w.workflow_type async for w in client.list_workflows(running)} | reported
    else:
        candidates = reported | {ident: "" for ident in look_at if ident not in reported}
    found = await asyncio.gather(*(_diagnose(client, i, t, i in reported) for i, t in candidates.items()))
    return sorted((s for s in found if s is not None), key=lambda s: s.workflow_id)


async def _diagnose(client: Client, workflow_id: str, workflow_type: str, reported: bool) -> StuckWorkflow | None:
    handle = client.get_workflow_handle(workflow_id)
    try:
        description = await handle.describe()
    except RPCError:
        return None  # closed meanwhile
    if description.status is None or description.status.name != "RUNNING":
        return None
    pending = description.raw_description.pending_workflow_task
    attempt = pending.attempt if pending.scheduled_time.seconds else 0
    if attempt < STUCK_AT_ATTEMPT and not reported:
        return None
    return StuckWorkflow(
        workflow_id=workflow_id,
        workflow_type=workflow_type or description.workflow_type,
        attempt=attempt,
        reason=await _last_failure(handle),
    )


async def _last_failure(handle) -> str:
    """The cause and message of the last workflow-task failure the history recorded."""
    reason = "its workflow task times out (no worker completes it)"
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            attrs = event.workflow_task_failed_event_attributes
            cause = WorkflowTaskFailedCause.Name(attrs.cause).removeprefix("WORKFLOW_TASK_FAILED_CAUSE_")
            message = attrs.failure.message.splitlines()[0] if attrs.failure.message else ""
            reason = f"{cause} at event {event.event_id}: {message}"[:400]
    return reason
