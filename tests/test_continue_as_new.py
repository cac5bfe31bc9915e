"""The Partnership lasts decades: it continues as new and carries its whole state across runs."""

from __future__ import annotations

from datetime import date

from temporalio.client import WorkflowExecutionStatus

from models.identities import Identity
from models.partnership import Stage
from tests.helpers import effects_done, signed_partnership
from workflows.partnership import PartnershipWorkflow


async def test_continue_as_new_keeps_signatures_and_effects(time_env, time_worker, keys, task_queue):
    # A low history limit forces what the server would suggest after many years of events.
    first, first_run = await signed_partnership(time_env.client, task_queue, keys, continue_as_new_at_length=12)
    wid = first.id

    latest = time_env.client.get_workflow_handle(wid)
    await effects_done(latest, PartnershipWorkflow.pending_effects)
    description = await latest.describe()
    assert description.run_id != first_run
    first_description = await time_env.client.get_workflow_handle(wid, run_id=first_run).describe()
    assert first_description.status is WorkflowExecutionStatus.CONTINUED_AS_NEW

    status = await latest.query(PartnershipWorkflow.status)
    assert status.state is Stage.IN_EFFECT
    assert status.in_effect_since == date(2023, 11, 22)
    assert [s.participant for s in status.signatories] == [Identity.UK, Identity.ROK]
