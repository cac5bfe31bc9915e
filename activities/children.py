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
async def check_child(check: ChildCheck) -> bool:
    """True unless the workflow under `child_id` is this Partnership's child and still running."""
    try:
        described = await activity.client().get_workflow_handle(check.child_id).describe()
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            return True  # its history is gone (retention): it closed long ago
        raise
    if described.parent_id != activity.info().workflow_id:
        return True  # not the workflow this Partnership started: that one is gone
    return described.status is not WorkflowExecutionStatus.RUNNING
