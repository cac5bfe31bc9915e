"""Search attributes let the Web UI and `temporal workflow list --query` find governed things."""

from __future__ import annotations

import asyncio
import uuid

from engine.bootstrap import bootstrap
from tests.helpers import effects_done
from workflows.partnership import PartnershipWorkflow


async def test_the_partnership_is_found_by_state_and_paragraph(local_env, local_worker, data_dir, task_queue):
    wid = f"partnership-{uuid.uuid4().hex}"
    status = await bootstrap(local_env.client, task_queue, wid)
    assert status.state == "IN_EFFECT"
    query = f"WorkflowId = '{wid}' AND GovernanceState = 'IN_EFFECT' AND ParagraphRefs = '31'"
    async with asyncio.timeout(30):  # visibility is eventually consistent
        while not [w async for w in local_env.client.list_workflows(query)]:
            await asyncio.sleep(0.2)
    handle = local_env.client.get_workflow_handle(wid)
    assert (await handle.query(PartnershipWorkflow.status)).in_effect_since.isoformat() == "2023-11-22"


async def test_bootstrap_twice_changes_nothing(local_env, local_worker, data_dir, task_queue):
    wid = f"partnership-{uuid.uuid4().hex}"
    await bootstrap(local_env.client, task_queue, wid)
    handle = local_env.client.get_workflow_handle(wid)
    await effects_done(handle, PartnershipWorkflow.pending_effects)
    before = len((await handle.fetch_history()).events)
    again = await bootstrap(local_env.client, task_queue, wid)
    assert again.state == "IN_EFFECT"
    assert len((await handle.fetch_history()).events) == before
