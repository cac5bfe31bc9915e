"""The worker: runs every governance workflow and activity on the partnership task queue.

`python worker.py` (or `partnership worker`) connects wherever `temporalio.envconfig` says, so N
copies of it on N machines share the work of one Temporal cluster or Temporal Cloud namespace.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.notify import notify
from activities.register import record_decision
from engine import config
from engine.logs import configure as configure_logs
from workflows.amendment import AmendmentWorkflow
from workflows.consultation import ConsultationWorkflow
from workflows.forum import ForumCycleWorkflow
from workflows.forum_schedule import ForumScheduleWorkflow
from workflows.joint_action import JointActionWorkflow
from workflows.partnership import PartnershipWorkflow

WORKFLOWS = [
    PartnershipWorkflow,
    AmendmentWorkflow,
    JointActionWorkflow,
    ConsultationWorkflow,
    ForumCycleWorkflow,
    ForumScheduleWorkflow,
]
ACTIVITIES = [notify, record_decision]


def workflow_runner() -> SandboxedWorkflowRunner:
    """The sandbox, with our models and their crypto passed through (they are pure)."""
    restrictions = SandboxRestrictions.default.with_passthrough_modules(
        "models", "cryptography", "pydantic", "pydantic_core", "annotated_types"
    )
    return SandboxedWorkflowRunner(restrictions=restrictions)


def build_worker(client: Client, task_queue: str | None = None) -> Worker:
    return Worker(
        client,
        task_queue=task_queue or config.task_queue(),
        workflows=WORKFLOWS,
        activities=ACTIVITIES,
        workflow_runner=workflow_runner(),
        activity_executor=ThreadPoolExecutor(max_workers=16),
    )


async def run_worker(address: str | None = None) -> None:
    from engine.client import connect

    client = await connect(address)
    async with build_worker(client):
        await asyncio.Event().wait()


def main() -> None:
    configure_logs()
    try:
        asyncio.run(run_worker())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
