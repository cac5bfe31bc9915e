"""Asking Temporal about the governed things a Partnership started: the one effect that reads
rather than writes. A child's roll-up is unsigned; Temporal's own record of the workflow the
Partnership started under an id is not."""

from __future__ import annotations

from temporalio import activity
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from models.names import CHECK_CHILD
from models.records import ChildCheck

#: Answers no retry changes (the worker's credentials may not describe workflows): the child is
#: kept, so the run can still continue as new; a check that never ended would keep it from it.
KEEP_ON = (
    RPCStatusCode.PERMISSION_DENIED,
    RPCStatusCode.UNAUTHENTICATED,
    RPCStatusCode.UNIMPLEMENTED,
    RPCStatusCode.INVALID_ARGUMENT,
)


@activity.defn(name=CHECK_CHILD)
async def check_child(check: ChildCheck) -> bool:
    """True unless the workflow under `child_id` is this Partnership's child and still running."""
    try:
        described = await activity.client().get_workflow_handle(check.child_id).describe()
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            return True  # its history is gone (retention): it closed long ago
        if err.status in KEEP_ON:
            return False  # unknown for good here: kept, as still running, rather than hold up the run
        raise  # the server unreachable for now: asked again
    if described.parent_id != activity.info().workflow_id:
        return True  # not the workflow this Partnership started: that one is gone
    return described.status is not WorkflowExecutionStatus.RUNNING
