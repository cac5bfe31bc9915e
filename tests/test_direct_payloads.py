"""Issue 12, "direct bad payload decode error": anyone with access to the namespace can send a
governed workflow an Update or a signal whose payload does not decode into the handler's model
(`temporal workflow update execute --name propose_amendment --input '{"x":1}'`). Such a message
must be refused or dropped without failing a workflow task: the SDK rejects an Update whose
argument does not decode before its validator runs, and drops a signal whose argument does not
decode (logging it). This test holds the engine to that for every Update and signal name of every
governed workflow, and then files a good instrument with each."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.common import RawValue
from temporalio.service import RPCError

from models.amendment import AmendmentWithdrawal
from models.calendar import local_date
from models.consultation import ConsultationRequest, ConsultationRound
from models.forum import AgendaItemFiling
from models.identities import Identity
from models.joint_action import ActionAgreement
from tests.helpers import effects_done, signed
from tests.test_fuzz_filings import open_governed
from workflows.amendment import AmendmentWorkflow
from workflows.consultation import ConsultationWorkflow
from workflows.forum import ForumCycleWorkflow
from workflows.joint_action import JointActionWorkflow
from workflows.partnership import PartnershipWorkflow

pytestmark = pytest.mark.timeout(240)

WORKFLOWS = {
    "partnership": PartnershipWorkflow,
    "amendment": AmendmentWorkflow,
    "action": JointActionWorkflow,
    "consultation": ConsultationWorkflow,
    "forum": ForumCycleWorkflow,
}

#: Payloads that decode into no model: the wrong shape, the wrong type, empty, and bytes that are
#: not JSON at all (what a client with another converter, or none, might send).
GARBAGE = [
    {"x": 1},
    {},
    "garbage",
    None,
    [],
    42,
    {"filed_by": "UK", "filing_id": "\x00" * 500},
    RawValue(Payload(metadata={"encoding": b"json/plain"}, data=b"\xff{not json")),
    RawValue(Payload(metadata={"encoding": b"binary/unknown"}, data=b"\x00\x01")),
]


def names(cls) -> tuple[list[str], list[str]]:
    defn = workflow._Definition.from_class(cls)
    return sorted(n for n in defn.updates if n), sorted(n for n in defn.signals if n)


async def failed_tasks(handle) -> list[str]:
    history = await handle.fetch_history()
    return [
        str(e.workflow_task_failed_event_attributes.failure.message)
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    ]


async def test_garbage_to_every_update_and_signal_fails_no_workflow_task(local_env, partnership):
    handles, targets = await open_governed(local_env.client, partnership, date.today().year)
    for kind, cls in WORKFLOWS.items():
        handle = handles[kind]
        await effects_done(handle, "pending_effects")
        updates, signals = names(cls)
        for name in [*updates, "no_such_update"]:
            for garbage in GARBAGE:
                with pytest.raises((WorkflowUpdateFailedError, RPCError)):
                    await handle.execute_update(name, garbage)
        for name in [*signals, "no_such_signal"]:
            for garbage in GARBAGE:
                await handle.signal(name, garbage)
        # The workflow has taken every one of them in (a query answers only after the signals
        # before it are applied), and no workflow task failed for any.
        await effects_done(handle, "pending_effects")
        assert await failed_tasks(handle) == [], f"{kind}: a garbage payload failed a workflow task"

    # A null payload decodes to None whatever the type: refused in one line by the type check.
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await partnership.execute_update("propose_amendment", None)
    assert refused.value.cause.message == "propose_amendment takes AmendmentProposal, not NoneType: nothing was changed"
    count = (await partnership.query(PartnershipWorkflow.refused_messages)).count
    assert count >= len(names(PartnershipWorkflow)[1]), "each null signal is counted as refused"

    # Each still takes a good filing afterwards.
    await partnership.execute_update(
        PartnershipWorkflow.open_consultation,
        signed(ConsultationRequest(filed_by=Identity.ROK, about="29", summary="After the garbage"), to=partnership),
    )
    await handles["action"].execute_update(
        JointActionWorkflow.agree, signed(ActionAgreement(filed_by=Identity.UK, action_id=targets["action_id"]))
    )
    await handles["consultation"].execute_update(
        ConsultationWorkflow.note,
        signed(
            ConsultationRound(
                filed_by=Identity.ROK,
                consultation_id=targets["consultation_id"],
                held_on=local_date(datetime.now(UTC), Identity.ROK),  # ROK's today: not before it opened
                attendees=[],
                note="Met",
            )
        ),
    )
    await handles["forum"].execute_update(
        ForumCycleWorkflow.add_item,
        signed(AgendaItemFiling(filed_by=Identity.UK, forum_id=targets["forum_id"], title="Telecoms", ref="9b")),
    )
    await handles["amendment"].execute_update(
        AmendmentWorkflow.withdraw,
        signed(AmendmentWithdrawal(filed_by=Identity.UK, amendment_id=targets["amendment_id"])),
    )
    for kind, handle in handles.items():
        await effects_done(handle, "pending_effects")
        assert await failed_tasks(handle) == [], f"{kind}: a workflow task failed after the garbage"
