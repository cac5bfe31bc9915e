"""Keeping the record (DESIGN §2, "The record outlives the server"): the namespace's retention on
the embedded stack, the hourly Schedule that runs the archive, and a pass on demand.

`PARTNERSHIP_ARCHIVE_EVERY`: minutes between passes (default 60); `off` creates no schedule (an
operator who runs the archive some other way, and the test suite, which runs it by hand).
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import TYPE_CHECKING

import structlog
from google.protobuf.duration_pb2 import Duration
from temporalio.api.namespace.v1 import NamespaceConfig
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, UpdateNamespaceRequest
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleHandle,
    ScheduleIntervalSpec,
    SchedulePolicy,
    ScheduleSpec,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.service import RPCError

from engine import config

if TYPE_CHECKING:
    from models.archive_pass import ArchiveOutcome

log = structlog.get_logger("archive")

#: The embedded stack keeps closed histories this long; the archive keeps them beyond.
TEN_YEARS = timedelta(days=3653)


def archive_every() -> timedelta | None:
    value = os.environ.get("PARTNERSHIP_ARCHIVE_EVERY", "60").strip().lower()
    if value in ("off", "0", ""):
        return None
    return timedelta(minutes=float(value))


async def retention(client: Client) -> timedelta:
    described = await client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace=client.namespace))
    return described.config.workflow_execution_retention_ttl.ToTimedelta()


def retention_note(kept: timedelta) -> str | None:
    """What `partnership start` says of a namespace that forgets closed histories soon (a cluster's
    default is a day): the archive keeps the record, but an auditor is better off with both."""
    if kept >= timedelta(days=90):  # Temporal Cloud's most
        return None
    span = f"{kept.days} day{'s' * (kept.days != 1)}" if kept.days else str(kept)
    return (
        f"note: this namespace keeps a closed workflow's history {span}; the hourly archive keeps the record, "
        'but set a longer retention too (README, "Retention and the archive")'
    )


async def keep_histories(client: Client, keep: timedelta = TEN_YEARS) -> None:
    """Set the namespace's retention (on the embedded dev server, whose default is a day). On a
    cluster or Cloud the operator sets it (README, "Retention and the archive"); a refusal there
    is logged, not fatal: the archive keeps the record either way."""
    duration = Duration()
    duration.FromTimedelta(keep)
    try:
        await client.workflow_service.update_namespace(
            UpdateNamespaceRequest(
                namespace=client.namespace, config=NamespaceConfig(workflow_execution_retention_ttl=duration)
            )
        )
    except RPCError as err:
        log.warning("retention not set", namespace=client.namespace, reason=err.message)


def schedule_id(task_queue: str) -> str:
    return f"{task_queue}-archive-schedule"


async def ensure_archive_schedule(client: Client, task_queue: str | None = None) -> ScheduleHandle | None:
    """The schedule that runs an archive pass every `archive_every()`; created once, kept after."""
    from models.archive_pass import ArchiveSettings
    from workflows.archive import ArchiveWorkflow

    every = archive_every()
    queue = task_queue or config.task_queue()
    if every is None:
        return None
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            ArchiveWorkflow.run, ArchiveSettings(task_queue=queue), id=f"{queue}-archive", task_queue=queue
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        # One pass at a time; a pass missed while the server was down is not worth several.
        policy=SchedulePolicy(catchup_window=every),
    )
    try:
        return await client.create_schedule(schedule_id(queue), schedule)
    except ScheduleAlreadyRunningError:
        return client.get_schedule_handle(schedule_id(queue))


def on_demand_id(task_queue: str | None = None) -> str:
    return f"{task_queue or config.task_queue()}-archive-now"


async def why_not_finished(client: Client, task_queue: str | None = None) -> str:
    """What kept `archive now` waiting: the pass it joined, if one runs, and whether its workflow
    task fails (a pass anyone started with input no worker can run), else no worker took it."""
    from temporalio.service import RPCError

    ident = on_demand_id(task_queue)
    try:
        described = await client.get_workflow_handle(ident).describe()
    except RPCError:
        described = None
    task = described.raw_description.pending_workflow_task if described else None
    if described and task and task.attempt > 1:
        return (
            f"the archive pass {ident} (started {described.start_time:%Y-%m-%d %H:%M}Z) cannot run: its workflow "
            f"task has failed {task.attempt - 1} time(s); if neither `archive now` nor the schedule started it, "
            f"`temporal workflow terminate --workflow-id {ident}` ends it and the next `archive now` starts afresh"
        )
    return "is a worker running (`partnership up` or `partnership worker`)?"


async def archive_now(client: Client, task_queue: str | None = None, full: bool = False) -> ArchiveOutcome:
    """Run a pass and wait for it; a pass already running on demand is joined, not doubled."""
    from models.archive_pass import ArchiveSettings
    from workflows.archive import ArchiveWorkflow

    queue = task_queue or config.task_queue()
    return await client.execute_workflow(
        ArchiveWorkflow.run,
        ArchiveSettings(task_queue=queue, full=full),
        id=on_demand_id(queue),
        task_queue=queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )
