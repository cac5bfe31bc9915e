"""The archive's pass (DESIGN §2, "The record outlives the server"): an hourly Temporal Schedule,
created at bootstrap, or `partnership archive now`, runs this workflow, which stores every closed
governed history not yet archived, batch by batch.

It changes no governed state (it sends no signal, files nothing, and its activity only adds rows),
so it carries no signature; its own history lists what each batch archived, with the hashes.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from models.archive_pass import ArchiveBatch, ArchiveOutcome, ArchiveRequest, ArchiveSettings

#: Batches in one run before it continues as new, so a first pass over decades stays a short history.
BATCHES_PER_RUN = 100


@workflow.defn
class ArchiveWorkflow:
    @workflow.run
    async def run(self, settings: ArchiveSettings) -> ArchiveOutcome:
        started = settings.sweep_started or workflow.now()
        outcome = settings.so_far or ArchiveOutcome(archived=0, already=0, batches=0)
        for _ in range(BATCHES_PER_RUN):
            batch: ArchiveBatch = await workflow.execute_activity(
                "archive_closed_histories",
                ArchiveRequest(
                    task_queue=settings.task_queue,
                    sweep_started=started,
                    batch_size=settings.batch_size,
                    full=settings.full,
                ),
                result_type=ArchiveBatch,
                start_to_close_timeout=timedelta(minutes=10),
                heartbeat_timeout=timedelta(minutes=2),
                retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=5)),
            )
            outcome = ArchiveOutcome(
                archived=outcome.archived + len(batch.archived),
                already=outcome.already + batch.already,
                batches=outcome.batches + 1,
            )
            if not batch.more:
                return outcome
        workflow.continue_as_new(settings.model_copy(update={"sweep_started": started, "so_far": outcome}))
