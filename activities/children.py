"""Asking Temporal about the governed things a Partnership started: the one effect that reads
rather than writes. A child's roll-up is unsigned; Temporal's own record of the workflow the
Partnership started under an id is not."""

from __future__ import annotations

from temporalio import activity
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from models.names import CHECK_CHILD
from models.records import ChildCheck


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
