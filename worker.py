"""The worker: runs every governance workflow and activity on the partnership task queue.

`python worker.py` (or `partnership worker`) connects wherever `temporalio.envconfig` says, so N
copies of it on N machines share the work of one Temporal cluster or Temporal Cloud namespace.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import os
import signal
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import configure_mappers
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions
from temporalio.workflow import _Definition as WorkflowDefinition

from activities.archive import archive_closed_histories
from activities.children import check_child, check_sender
from activities.notify import notify
from activities.register import file_closed, record_decision, store_text
from engine import config
from engine.logs import configure as configure_logs
from models.base import build_all
from workflows.registry import WORKFLOWS

ACTIVITIES = [notify, record_decision, store_text, file_closed, check_child, check_sender, archive_closed_histories]
#: The activities are plain functions that block on the database, SMTP or the disk; they run on
#: this pool, one per process, shared by every worker the process builds (the tests build many).
ACTIVITY_POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="activity")
#: How long a stopping worker (Ctrl-C, SIGTERM) lets the effects it has begun finish and report
#: before the SDK cancels them (review 9): each is short, and one cut off is only retried.
SHUTDOWN_GRACE = timedelta(seconds=30)


def workflow_runner(strict: bool | None = None) -> SandboxedWorkflowRunner:
    """The sandbox. Our models, rules and their crypto are passed through (pure code). So are the
    workflow modules themselves, unless `strict` (or PARTNERSHIP_STRICT_SANDBOX=1, as in the
    tests): re-importing them for every open workflow costs about 85 KiB each, too much for a
    worker holding thousands of joint actions. The strict sandbox, which also guards the workflow
    modules' own calls, runs the whole test suite; production runs the same code."""
    if strict is None:
        strict = os.environ.get("PARTNERSHIP_STRICT_SANDBOX") == "1"
    return _runner(strict)


@functools.cache
def _runner(strict: bool) -> SandboxedWorkflowRunner:
    # Our models are built on first use (models/base.py); none may be first used in here.
    build_all()
    shared = ["models", "rules", "cryptography", "pydantic", "pydantic_core", "annotated_types"]
    if not strict:
        shared.append("workflows")
    return ValidatedOnce(restrictions=SandboxRestrictions.default.with_passthrough_modules(*shared))


@dataclasses.dataclass(frozen=True)
class ValidatedOnce(SandboxedWorkflowRunner):
    """A sandbox that validates each workflow class once in a process. A new Worker validates every
    workflow it runs by importing its module afresh in a sandbox, with nothing kept from the last
    time: the same class, the same restrictions, the same answer. A deployed worker builds one
    Worker, so this changes nothing there; the tests build hundreds, and in the strict sandbox the
    validation was a tenth of their CPU. Each workflow run still gets a sandbox of its own."""

    _validated: set[tuple] = dataclasses.field(default_factory=set, init=False, compare=False, repr=False)

    def prepare_workflow(self, defn: WorkflowDefinition) -> None:
        # Validation also reads the failure types the last Worker set on this shared runner.
        key = (defn.cls, tuple(self._worker_level_failure_exception_types))
        if key not in self._validated:
            super().prepare_workflow(defn)
            self._validated.add(key)


def cold_replay() -> bool:
    """PARTNERSHIP_WORKER_CACHE=0: keep no workflow in memory between tasks."""
    return os.environ.get("PARTNERSHIP_WORKER_CACHE") == "0"


def build_worker(
    client: Client,
    task_queue: str | None = None,
    cold: bool | None = None,
    extra_workflows: Sequence[type] = (),
    **options: Any,
) -> Worker:
    """A worker for every governance workflow and activity (and `extra_workflows`, with Worker
    `options`, for a benchmark's own comparison workflows). `cold` (or PARTNERSHIP_WORKER_CACHE=0,
    as in the tests and the soak) caches no workflow, so every workflow task replays the whole
    history from scratch, as the first task after a worker restart does: a command order that
    depends on what a worker happened to have in memory shows up at once as a nondeterminism
    error instead of months later after a crash."""
    if cold is None:
        cold = cold_replay()
    # The register's mappers are configured here, before any activity runs: SQLAlchemy configures
    # them on first use, and a cancelled activity (a worker stopping) has the SDK raise inside its
    # thread, wherever it is; raised during that first configuration, it left the mappers failed
    # for good, and every later effect in the process failed with them.
    configure_mappers()
    settings: dict[str, Any] = {"workflow_runner": workflow_runner(), "activity_executor": ACTIVITY_POOL}
    if cold:
        settings["max_cached_workflows"] = 0
    return Worker(
        client,
        task_queue=task_queue or config.task_queue(),
        workflows=[*WORKFLOWS, *extra_workflows],
        activities=ACTIVITIES,
        **(settings | options),
    )


async def run_worker(address: str | None = None) -> None:
    from engine.client import connect

    client = await connect(address)
    target = client.service_client.config.target_host
    # Ctrl-C, and SIGTERM (what systemd, docker and Kubernetes send), stop it the same way: the
    # effects begun run to their end first. Handlers, not KeyboardInterrupt: a worker started in the
    # background by a shell script inherits SIGINT ignored, and SIGTERM would otherwise kill it.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with build_worker(client, graceful_shutdown_timeout=SHUTDOWN_GRACE) as worker:
        # An operator starting a worker by hand wants to know it is serving, where, and where it writes.
        print(
            f"worker ready: Temporal at {target}, namespace {client.namespace}, "
            f"task queue {worker.task_queue}; {config.effects_go_to()}. Ctrl-C stops.",
            file=sys.stderr,
            flush=True,
        )
        try:
            await stop.wait()
        finally:
            print("worker stopping: effects begun finish first", file=sys.stderr, flush=True)
    print("worker stopped", file=sys.stderr, flush=True)


def main() -> None:
    from engine.client import Unreachable

    configure_logs()
    try:
        asyncio.run(run_worker())
    except KeyboardInterrupt:
        pass
    except Unreachable as err:  # no server there, or settings that cannot be used: one line
        print(err, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
