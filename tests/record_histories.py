"""Record the golden histories under tests/histories/ (`make histories`).

Run only when a workflow change is *meant* to change what new histories look like; the old files
must keep replaying (that is what `workflow.patched` is for), so add new files beside them.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import uuid
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

HISTORIES = Path(__file__).resolve().parent / "histories"


async def partnership_signed(client: Client, task_queue: str) -> tuple[str, str]:
    from engine.bootstrap import bootstrap
    from tests.helpers import effects_done
    from workflows.partnership import PartnershipWorkflow

    wid = "partnership"
    await bootstrap(client, task_queue, wid)
    handle = client.get_workflow_handle(wid)
    await effects_done(handle, PartnershipWorkflow.pending_effects)
    return "partnership-signed", wid


SCENARIOS = [partnership_signed]


async def main() -> None:
    os.environ["PARTNERSHIP_DATA_DIR"] = tempfile.mkdtemp(prefix="histories-")
    from models.search import ALL
    from worker import build_worker

    bin_dir = Path(sys.executable).parent
    async with await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=str(bin_dir / "temporal"),
        search_attributes=ALL,
    ) as env:
        task_queue = f"histories-{uuid.uuid4()}"
        async with build_worker(env.client, task_queue):
            for scenario in SCENARIOS:
                name, wid = await scenario(env.client, task_queue)
                history = await env.client.get_workflow_handle(wid).fetch_history()
                (HISTORIES / f"{name}.json").write_text(history.to_json())
                print(f"recorded {name}.json ({len(history.events)} events)")


if __name__ == "__main__":
    asyncio.run(main())
