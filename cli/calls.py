"""The queries and updates the everyday commands send, by name and result type, so that a read or
a filing does not import the workflows (their rules, every other workflow, Temporal's workflow
module) only to name a handler (issue 15: a command imports what it needs).

Each entry is named as the workflow's own handler (`Partnership.status` sends the query
`PartnershipWorkflow.status` does) and decodes into the same pydantic model; tests/test_cli_lazy.py
holds every entry to its workflow's handler, so a renamed handler or a changed result type fails
there. A command may still pass the workflow's method itself: `query` and `update` take either.
"""

from __future__ import annotations

from typing import Any

from temporalio.client import WorkflowHandle

from models.amendment import AmendmentSummary, AmendmentView
from models.checkpoint import CheckpointStatus
from models.consultation import ConsultationSummary, ConsultationView
from models.forum import ForumSummary, ForumView
from models.joint import JointFilings
from models.joint_action import ActionSummary, ActionView
from models.keyring import KeyRing
from models.partnership import ActionReceipt, PartnershipStatus
from models.working_group import GroupReport


class Handler:
    """A workflow's query or update, named as the attribute it is assigned to."""

    def __init__(self, result: Any) -> None:
        self.result = result
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name


class Query(Handler):
    pass


class Update(Handler):
    pass


class Partnership:
    """PartnershipWorkflow's handlers."""

    status = Query(PartnershipStatus)
    key_ring = Query(KeyRing)
    actions = Query(list[ActionSummary])
    amendments = Query(list[AmendmentSummary])
    consultations = Query(list[ConsultationSummary])
    forums = Query(list[ForumSummary])
    groups = Query(list[GroupReport])
    checkpoint = Query(CheckpointStatus)
    wind_down_filings = Query(JointFilings)
    propose_joint_action = Update(ActionReceipt)
    wind_down = Update(list[ActionSummary])
    withdraw_joint_filing = Update(JointFilings)


class JointAction:
    """JointActionWorkflow's handlers."""

    show = Query(ActionView)
    agree = Update(ActionView)
    report = Update(ActionView)
    cost_share = Update(ActionView)
    close = Update(ActionView)
    withdraw_joint_filing = Update(ActionView)


class Amendment:
    """AmendmentWorkflow's handlers."""

    show = Query(AmendmentView)


class Consultation:
    """ConsultationWorkflow's handlers."""

    show = Query(ConsultationView)


class ForumCycle:
    """ForumCycleWorkflow's handlers."""

    show = Query(ForumView)


#: Each table above and the workflow whose handlers it names (module, class).
WORKFLOWS = {
    Partnership: ("workflows.partnership", "PartnershipWorkflow"),
    JointAction: ("workflows.joint_action", "JointActionWorkflow"),
    Amendment: ("workflows.amendment", "AmendmentWorkflow"),
    Consultation: ("workflows.consultation", "ConsultationWorkflow"),
    ForumCycle: ("workflows.forum", "ForumCycleWorkflow"),
}


async def query(handle: WorkflowHandle, handler: Any) -> Any:
    """Send a query: an entry above, or a workflow's query method."""
    if isinstance(handler, Query):
        return await handle.query(handler.name, result_type=handler.result)
    return await handle.query(handler)


async def update(handle: WorkflowHandle, handler: Any, arg: Any, id: str | None = None) -> Any:
    """Send an update (with this update id) and wait for its result: an entry above, or a
    workflow's update method."""
    if isinstance(handler, Update):
        return await handle.execute_update(handler.name, arg, id=id, result_type=handler.result)
    return await handle.execute_update(handler, arg, id=id)
