"""The archiving activity (DESIGN §2, "The record outlives the server"): store the full history of
every closed governed run into the register database before Temporal's retention deletes it.

It only adds: a `histories` row and a register row anchoring its SHA-256, never an update or a
delete, so it cannot alter a governed record. Safe to retry: a run already archived is skipped
(the unique run id), and its register row is idempotent by decision id.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from functools import cache

from sqlalchemy import Engine, func
from sqlalchemy.exc import DataError, DBAPIError
from sqlmodel import Session, SQLModel, select
from temporalio import activity
from temporalio.api.history.v1 import History
from temporalio.client import Client, WorkflowExecution

from activities.failures import describe, set_aside
from activities.register import append_decision, register_engine
from models.archive import (
    ARCHIVED_KIND,
    ARCHIVED_PARAGRAPH,
    ArchivedHistory,
    ArchiveLingering,
    ArchiveSweep,
    archived_decision_id,
    pack,
)
from models.archive_pass import ArchiveBatch, ArchivedRun, ArchiveRequest
from models.records import DecisionRecord, aware_utc
from models.register import ClosedEntryRow, FailedEffect
from workflows.registry import GOVERNED

#: A pass lists what closed since the start of the last pass, less this: visibility may show a
#: closed run a little after it closed.
VISIBILITY_MARGIN = timedelta(hours=1)
#: Histories fetched from the server at once.
FETCHING = 8

_CREATING = threading.Lock()


@cache
def _tables_on(engine: Engine) -> Engine:
    with _CREATING:
        tables = [ArchivedHistory.__table__, ArchiveSweep.__table__, ArchiveLingering.__table__]
        SQLModel.metadata.create_all(engine, tables=tables)
    return engine


def archive_engine() -> Engine:
    """The register's engine, with the archive's tables (created on first use)."""
    return _tables_on(register_engine())


def running_query(task_queue: str) -> str:
    return f"{GOVERNED} AND TaskQueue = '{task_queue}' AND ExecutionStatus = 'Running'"


async def lingering(client: Client, engine: Engine, task_queue: str) -> list[str]:
    """The governed things still running whose closed entry the register holds already: the run
    its Partnership started, still sending its last mails. A run under that id which the
    Partnership did not start (an outsider's, once the real history was deleted) is not one: it
    would keep the audit from calling the lost history lost for as long as it ran."""
    parents = {e.id: e.parent_id async for e in client.list_workflows(running_query(task_queue))}
    if not parents:
        return []
    closed = await asyncio.to_thread(closed_among, engine, list(parents))
    return sorted(wid for wid, partnership_id in closed.items() if parents[wid] == partnership_id)


def closed_among(engine: Engine, workflow_ids: list[str]) -> dict[str, str]:
    """Which of these the register holds a closed entry of, with the Partnership that filed it
    (their ids only, not every entry). Asked a thousand at a time: anyone with namespace access can
    start runs of a governed type, and PostgreSQL takes at most 65,535 parameters a statement."""
    found: dict[str, str] = {}
    with Session(engine) as session:
        closed = select(ClosedEntryRow.entry_id, ClosedEntryRow.partnership_id)
        for start in range(0, len(workflow_ids), 1000):
            chunk = workflow_ids[start : start + 1000]
            found.update(session.exec(closed.where(ClosedEntryRow.entry_id.in_(chunk))).all())
    return found


def closed_query(task_queue: str, since: datetime | None) -> str:
    """Closed governed runs of this engine (its task queue), closed since `since` if given."""
    where = f"{GOVERNED} AND TaskQueue = '{task_queue}' AND ExecutionStatus != 'Running'"
    if since is not None:
        where += f" AND CloseTime >= '{since.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}'"
    return where


def last_sweep_start(engine: Engine, task_queue: str) -> datetime | None:
    with Session(engine) as session:
        started = session.exec(
            # A pass cannot have begun after it finished: a row that says so (written before passes
            # were dated by their own clock) must not hide every run closed before its date.
            select(func.max(ArchiveSweep.started_at)).where(
                ArchiveSweep.task_queue == task_queue, ArchiveSweep.started_at <= ArchiveSweep.finished_at
            )
        ).one()
    return aware_utc(started) if started else None


def already_archived(engine: Engine, run_ids: list[str]) -> set[str]:
    """The runs archived, and those set aside as the database refused them: a pass does not wait
    for them again, or more of them than a batch holds would keep it going for ever (review 7, F3)."""
    with Session(engine) as session:
        stored = set(session.exec(select(ArchivedHistory.run_id).where(ArchivedHistory.run_id.in_(run_ids))))
        aside = [f"archive/{run_id}" for run_id in run_ids]
        refused = session.exec(select(FailedEffect.effect_id).where(FailedEffect.effect_id.in_(aside)))
        return stored | {effect_id.removeprefix("archive/") for effect_id in refused}


def store(engine: Engine, execution: WorkflowExecution, history_bytes: bytes, events: int) -> ArchivedRun | None:
    """Store the history and the register row anchoring it, in one transaction; None if another
    pass stored it first (its anchor is found by decision id)."""
    sha256, compressed = pack(history_bytes)
    close_time = aware_utc(execution.close_time or datetime.now(UTC))
    status = execution.status.name if execution.status else "CLOSED"
    row = ArchivedHistory(
        run_id=execution.run_id,
        workflow_id=execution.id,
        workflow_type=execution.workflow_type,
        status=status,
        start_time=aware_utc(execution.start_time),
        close_time=close_time,
        events=events,
        sha256=sha256,
        size=len(history_bytes),
        compressed=compressed,
        archived_at=datetime.now(UTC),
    )
    anchor = DecisionRecord(
        decision_id=archived_decision_id(execution.id, execution.run_id),
        workflow_id=execution.id,
        kind=ARCHIVED_KIND,
        paragraph=ARCHIVED_PARAGRAPH,
        decided_at=close_time,
        summary=f"History of {execution.workflow_type} {execution.id} run {execution.run_id} archived ({status}).",
        details={"run_id": execution.run_id, "sha256": sha256, "events": events, "size": len(history_bytes)},
    )
    if not append_decision(engine, anchor, also=[row]).created:
        return None
    return ArchivedRun(workflow_id=execution.id, run_id=execution.run_id, sha256=sha256)


async def history_bytes(client: Client, execution: WorkflowExecution) -> tuple[bytes, int]:
    history = await client.get_workflow_handle(execution.id, run_id=execution.run_id).fetch_history()
    return History(events=history.events).SerializeToString(), len(history.events)


async def archive_batch(client: Client, engine: Engine, request: ArchiveRequest) -> ArchiveBatch:
    """Store up to `batch_size` closed runs not yet archived; `more` if it stopped at that size."""
    since = None
    if not request.full and (last := await asyncio.to_thread(last_sweep_start, engine, request.task_queue)):
        since = last - VISIBILITY_MARGIN
    executions = [e async for e in client.list_workflows(closed_query(request.task_queue, since))]
    stored = await asyncio.to_thread(already_archived, engine, [e.run_id for e in executions])
    waiting = [e for e in executions if e.run_id not in stored]
    batch = ArchiveBatch(already=len(executions) - len(waiting), more=len(waiting) > request.batch_size)
    for start in range(0, min(len(waiting), request.batch_size), FETCHING):
        chunk = waiting[start : min(start + FETCHING, request.batch_size)]
        fetched = await asyncio.gather(*(history_bytes(client, e) for e in chunk))
        for execution, (data, events) in zip(chunk, fetched, strict=True):
            try:
                done = await asyncio.to_thread(store, engine, execution, data, events)
            except DataError as err:
                # A run the database cannot take as it is (a value it refuses) would fail every
                # attempt and every later pass: set aside and reported, the pass goes on.
                run = ArchivedRun(workflow_id=execution.id, run_id=execution.run_id, sha256="")
                reason = f"the archive cannot store this run: {type(err.orig).__name__}"
                await asyncio.to_thread(set_aside, f"archive/{execution.run_id}", "archive", run, reason)
                continue
            if done is None:
                batch.already += 1
            else:
                batch.archived.append(done)
        activity.heartbeat(len(batch.archived))
    if not batch.more:
        still = await lingering(client, engine, request.task_queue)
        await asyncio.to_thread(record_sweep, engine, request, len(batch.archived), still)
    return batch


def record_sweep(engine: Engine, request: ArchiveRequest, archived: int, still: list[str] = ()) -> None:
    finished = datetime.now(UTC)
    started = min(aware_utc(request.sweep_started), finished)
    with Session(engine) as session:
        session.add(
            ArchiveSweep(task_queue=request.task_queue, started_at=started, finished_at=finished, archived=archived)
        )
        session.add_all(ArchiveLingering(started_at=started, workflow_id=wid) for wid in still)
        session.commit()


@activity.defn
async def archive_closed_histories(request: ArchiveRequest) -> ArchiveBatch:
    """One batch of the archive: closed governed runs on this task queue, not yet archived."""
    try:
        batch = await archive_batch(activity.client(), archive_engine(), request)
    except DBAPIError as err:  # retried; said without the statement's parameters (whole histories)
        raise RuntimeError(f"the register did not take the archive's write: {describe(err.orig)}") from None
    activity.logger.info(
        "histories archived", extra={"archived": len(batch.archived), "already": batch.already, "more": batch.more}
    )
    return batch
