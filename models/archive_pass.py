"""The archiving workflow's inputs and outputs (issue 14), apart from the archive's tables
(models/archive.py) so that workflows and the CLI load them without the database layer."""

from __future__ import annotations

from datetime import datetime

from models.base import Model


class ArchiveRequest(Model):
    """One batch of the archiving workflow. `sweep_started` is the workflow's time at the start of
    its pass (the same for every batch of the pass); `full` lists every closed run, not only those
    closed since the last pass."""

    task_queue: str
    sweep_started: datetime
    batch_size: int = 100
    full: bool = False


class ArchivedRun(Model):
    workflow_id: str
    run_id: str
    sha256: str


class ArchiveBatch(Model):
    """What one batch stored; `more` when it stopped at its size and closed runs remain."""

    archived: list[ArchivedRun] = []
    already: int = 0
    more: bool = False


class ArchiveOutcome(Model):
    archived: int
    already: int
    batches: int


class ArchiveSettings(Model):
    """The input of ArchiveWorkflow, as the schedule (or `partnership archive now`) starts it.
    `sweep_started` and `so_far` are carried across continue-as-new within one pass, and read only
    there; the pass runs on its own task queue whatever `task_queue` says (workflows/archive.py)."""

    task_queue: str
    batch_size: int = 100
    full: bool = False
    sweep_started: datetime | None = None
    so_far: ArchiveOutcome | None = None
