"""Asking Temporal about the governed things and their Partnership: the effects that read rather
than write. A child's roll-up, and a message to a child, are unsigned; Temporal's own record of the
workflow started under an id, and what that workflow answers of its state, are not."""

from __future__ import annotations

import asyncio

from temporalio import activity
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from models.names import CHECK_CHILD, CHECK_SENDER, TOOK
from models.records import ChildCheck, SenderCheck


@activity.defn(name=CHECK_CHILD)
async def check_child(check: ChildCheck) -> bool | None:
    """True: the workflow under `child_id` has closed, or is not the one this Partnership started;
    False: it is this Partnership's child and still running; None: Temporal would not say (the
    worker's credentials may not describe workflows, or the server did not answer). Never an
    error: a check that kept failing would keep the run from continuing as new."""
    try:
        described = await activity.client().get_workflow_handle(check.child_id).describe()
    except RPCError as err:
        # Not found: its history is gone (retention), so it closed long ago.
        return True if err.status is RPCStatusCode.NOT_FOUND else None
    if described.parent_id != activity.info().workflow_id:
        return True  # not the workflow this Partnership started: that one is gone
    return described.status is not WorkflowExecutionStatus.RUNNING


@activity.defn(name=CHECK_SENDER)
async def check_sender(check: SenderCheck) -> bool:
    """Whether the Partnership took the decision resting on these instruments, as its own `took`
    query answers from its state: Temporal's record of that workflow, which no signal can forge.
    A Partnership that does not answer now (the server, its worker) is asked again, as every effect
    is retried; one that is gone took nothing this child can still act on. A worker stopping stops
    answering queries too, so the ask gives up at once then, to be asked again (review 10), rather
    than hold the stop for its whole grace."""
    asked = asyncio.ensure_future(activity.client().get_workflow_handle(check.sender).query(TOOK, check.instruments))
    stopping = asyncio.ensure_future(activity.wait_for_worker_shutdown())
    await asyncio.wait({asked, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not asked.done():
        asked.cancel()
        raise RuntimeError("the worker is stopping: asked again once a worker runs")
    try:
        return bool(asked.result())
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            return False
        raise
