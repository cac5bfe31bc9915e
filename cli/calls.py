"""The queries and updates the everyday commands send, by name and result type, so that a read or
a filing does not import the workflows (their rules, every other workflow, Temporal's workflow
module) only to name a handler (issue 15: a command imports what it needs).

Each entry is named as the workflow's own handler (`Partnership.status` sends the query
`PartnershipWorkflow.status` does) and decodes into the same pydantic model; tests/test_cli_lazy.py
holds every entry to its workflow's handler, so a renamed handler or a changed result type fails
there. A command may still pass the workflow's method itself: `query` and `update` take either.
"""

from __future__ import annotations

import importlib
from typing import Any

from temporalio.client import WorkflowHandle


class Handler:
    """A workflow's query or update, named as the attribute it is assigned to. Its result type is
    named as `module:Model` (`many`: a list of them) and imported when the handler is first used,
    so that a command imports only the models it reads (issue 15)."""

    def __init__(self, result: str, many: bool = False) -> None:
        self.where = result
        self.many = many
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @property
    def result(self) -> Any:
        module, _, model = self.where.partition(":")
        found = getattr(importlib.import_module(f"models.{module}"), model)
        return list[found] if self.many else found


class Query(Handler):
    pass


class Update(Handler):
    pass


class Partnership:
    """PartnershipWorkflow's handlers."""

    status = Query("partnership:PartnershipStatus")
    key_ring = Query("keyring:KeyRing")
    actions = Query("joint_action:ActionSummary", many=True)
    amendments = Query("amendment:AmendmentSummary", many=True)
    consultations = Query("consultation:ConsultationSummary", many=True)
    forums = Query("forum:ForumSummary", many=True)
    groups = Query("working_group:GroupReport", many=True)
    checkpoint = Query("checkpoint:CheckpointStatus")
    wind_down_filings = Query("joint:JointFilings")
    pending_revocations = Query("keyring:KeyRevocation", many=True)
    propose_joint_action = Update("joint_action:ActionReceipt")
    wind_down = Update("joint_action:ActionSummary", many=True)
    withdraw_joint_filing = Update("joint:JointFilings")


class JointAction:
    """JointActionWorkflow's handlers."""

    show = Query("joint_action:ActionView")
    agree = Update("joint_action:ActionView")
    report = Update("joint_action:ActionView")
    cost_share = Update("joint_action:ActionView")
    close = Update("joint_action:ActionView")
    withdraw_joint_filing = Update("joint_action:ActionView")


class Amendment:
    """AmendmentWorkflow's handlers."""

    show = Query("amendment:AmendmentView")


class Consultation:
    """ConsultationWorkflow's handlers."""

    show = Query("consultation:ConsultationView")


class ForumCycle:
    """ForumCycleWorkflow's handlers."""

    show = Query("forum:ForumView")


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
