"""The archive's pass (DESIGN §2, "The record outlives the server"): an hourly Temporal Schedule,
created at bootstrap, or `partnership archive now`, runs this workflow, which stores every closed
governed history not yet archived, batch by batch.

It changes no governed state (it sends no signal, files nothing, and its activity only adds rows),
so it carries no signature; its own history lists what each batch archived, with the hashes.
Anyone who can start a workflow can start one, so nothing in its input may steer what later passes
do: the task queue is its own, the batch size is bounded, and when a pass began (from which the next
pass looks for runs closed since) is this run's clock, or a run of the same pass it continued from.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from models.archive_pass import ArchiveBatch, ArchiveOutcome, ArchiveRequest, ArchiveSettings

#: Batches in one run before it continues as new, so a first pass over decades stays a short history.
BATCHES_PER_RUN = 100
#: Closed runs stored in one batch at most (a batch size given outside 1…BATCH_MAX is brought inside).
BATCH_MAX = 1000


@workflow.defn
class ArchiveWorkflow:
    @workflow.run
    async def run(self, settings: ArchiveSettings) -> ArchiveOutcome:
        now, carried = workflow.now(), workflow.info().continued_run_id is not None
        # A pass dated in the future would make every later pass look past every run closed before
        # that date (adversarial review 2, F1): only the pass's own earlier run dates it.
        started = min(settings.sweep_started, now) if carried and settings.sweep_started else now
        outcome = (carried and settings.so_far) or ArchiveOutcome(archived=0, already=0, batches=0)
        size = min(max(settings.batch_size, 1), BATCH_MAX)  # below 1 it looped for ever (F2)
        for _ in range(BATCHES_PER_RUN):
            batch: ArchiveBatch = await workflow.execute_activity(
                "archive_closed_histories",
                ArchiveRequest(
                    task_queue=workflow.info().task_queue,
                    sweep_started=started,
                    batch_size=size,
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
