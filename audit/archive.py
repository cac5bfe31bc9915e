"""Auditors read the archive (DESIGN §2, "The record outlives the server"): histories from the
register database when the server no longer has them, the archive's own integrity, and its lag.
Everything here only reads.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterable
from datetime import datetime

from google.protobuf.message import DecodeError
from sqlalchemy import Engine, func
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import defer
from sqlmodel import Session, select
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import History
from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from audit.errors import ArchiveMissing
from audit.history import fetch, governed, runs_of
from models.archive import ARCHIVED_KIND, ArchivedHistory, ArchiveSweep, unpack
from models.records import ArchiveSummary, aware_utc
from models.register import Decision


def _rows(engine: Engine, where: Iterable = (), with_bytes: bool = True) -> list[ArchivedHistory]:
    statement = select(ArchivedHistory).where(*where).order_by(ArchivedHistory.workflow_id, ArchivedHistory.start_time)
    if not with_bytes:
        statement = statement.options(defer(ArchivedHistory.compressed))
    try:
        with Session(engine) as session:
            return list(session.exec(statement))
    except DBAPIError as err:
        raise ArchiveMissing(f"no archive in the register database ({err.orig})") from None


def as_history(row: ArchivedHistory) -> WorkflowHistory | None:
    """The history an archive row holds; None if its bytes are not the ones archived (an edit
    `archive_problems` reports: an altered history is no evidence, so nothing reads it)."""
    try:
        data = unpack(row.compressed)
        if hashlib.sha256(data).hexdigest() != row.sha256:
            return None
        return WorkflowHistory(row.workflow_id, list(History.FromString(data).events))
    except (zlib.error, DecodeError):
        return None


def archived(engine: Engine, workflow_id: str | None = None, run_id: str | None = None) -> list[WorkflowHistory]:
    """Intact archived histories, every run of a chain, oldest first; of one workflow or run if named."""
    where = []
    if workflow_id is not None:
        where.append(ArchivedHistory.workflow_id == workflow_id)
    if run_id is not None:
        where.append(ArchivedHistory.run_id == run_id)
    return [h for h in map(as_history, _rows(engine, where)) if h is not None]


async def histories_of(
    client: Client | None, engine: Engine, workflow_id: str, run_id: str | None = None
) -> list[WorkflowHistory]:
    """Every run of a workflow (or the one named): from the server where it still has the run,
    else from the archive. Without a client, from the archive alone."""
    found: dict[str, WorkflowHistory] = {}
    try:
        found = {h.run_id: h for h in archived(engine, workflow_id, run_id)}
    except ArchiveMissing:
        if client is None:
            raise
    if client is not None:
        runs = [run_id] if run_id else await runs_of(client, workflow_id)
        for run in runs:
            try:
                found[run] = await fetch(client, workflow_id, run)
            except RPCError as err:
                if err.status is not RPCStatusCode.NOT_FOUND:
                    raise
    return sorted(found.values(), key=lambda h: h.events[0].event_time.ToDatetime() if h.events else datetime.min)


def readable_archive(engine: Engine) -> None:
    """Raise ArchiveMissing unless the register's archive can be read (a query that finds nothing)."""
    _rows(engine, (ArchivedHistory.seq < 0,), with_bytes=False)


def archived_beyond(engine: Engine, seen: dict[str, str], only_seen_workflows: bool) -> list[WorkflowHistory]:
    """The archived runs not in `seen` (run id -> workflow id, what the server gave); only of the
    workflows seen if asked (a query's export). None if the register holds no archive."""
    try:
        found = archived(engine)
    except ArchiveMissing:
        return []
    workflows = set(seen.values())
    return [h for h in found if h.run_id not in seen and (not only_seen_workflows or h.workflow_id in workflows)]


def merged(server: list[WorkflowHistory], archive: list[WorkflowHistory]) -> list[WorkflowHistory]:
    """The server's histories, and the archived runs the server no longer has."""
    have = {h.run_id for h in server}
    every = server + [h for h in archive if h.run_id not in have]
    return sorted(every, key=lambda h: (h.workflow_id, h.events[0].event_time.ToDatetime() if h.events else 0))


async def all_histories(
    client: Client | None, engine: Engine, query: str | None = None, from_archive: bool = False
) -> list[WorkflowHistory]:
    """Every governed run's history: the server's, and the archive's for runs it no longer has.
    A visibility query can only be asked of the server: with one, it is the workflows the server
    finds and those they started (a Partnership's actions, amendments…), each from the server
    or the archive. `from_archive`: the archive alone (no server needed)."""
    return (await histories_and_rewrites(client, engine, query, from_archive))[0]


async def histories_and_rewrites(
    client: Client | None, engine: Engine, query: str | None = None, from_archive: bool = False
) -> tuple[list[WorkflowHistory], list[str]]:
    """`all_histories`, and each archived run the server still holds whose events are not the
    server's: whoever can write the register database can rewrite an archived history and
    recompute its hash, its anchor and the chain after it; only the server's own copy, while it
    has one, shows it (adversarial review 2, F4)."""
    from audit.history import fetch_all

    if from_archive or client is None:
        return archived(engine), []
    server = await fetch_all(client, query)
    try:
        archive = archived(engine)
    except ArchiveMissing:
        archive = []
    if query:
        found = {h.workflow_id for h in server}
        for child in sorted(started_by(server) - found):
            server += await histories_of(client, engine, child)  # its runs, from the server or the archive
        covered = found | started_by(server)
        archive = [h for h in archive if h.workflow_id in covered]
    return merged(server, archive), rewritten(server, archive)


def rewritten(server: list[WorkflowHistory], archive: list[WorkflowHistory]) -> list[str]:
    """The archived runs that differ, event for event, from the server's history of the same run."""
    held = {h.run_id: h for h in server}
    return [
        f"archived history {h.workflow_id} run {h.run_id} differs from the server's history of that run; "
        "the archive was rewritten"
        for h in archive
        if h.run_id in held and History(events=h.events) != History(events=held[h.run_id].events)
    ]


# Integrity --------------------------------------------------------------------------------------


def archive_problems(engine: Engine, workflow_ids: set[str] | None = None) -> list[str]:
    """Each archived history hashes to its SHA-256, and that SHA-256 is the one its register row
    anchors; every register row of an archived history has its history in the archive. Only of
    `workflow_ids` if given (a partial audit)."""
    problems: list[str] = []
    try:
        rows = _rows(engine)
    except ArchiveMissing:
        rows = []
    with Session(engine) as session:
        anchors = {d.decision_id: d for d in session.exec(select(Decision).where(Decision.kind == ARCHIVED_KIND))}
    if workflow_ids is not None:
        rows = [r for r in rows if r.workflow_id in workflow_ids]
        anchors = {k: d for k, d in anchors.items() if d.workflow_id in workflow_ids}
    anchored = set()
    for row in rows:
        where = f"archived history {row.workflow_id} run {row.run_id} (archive row {row.seq})"
        try:
            actual = hashlib.sha256(unpack(row.compressed)).hexdigest()
        except zlib.error:
            actual = None
        if actual != row.sha256:
            problems.append(f"{where}: its bytes do not hash to its SHA-256; it was edited")
        anchor = anchors.get(f"{row.workflow_id}/{ARCHIVED_KIND}/{row.run_id}")
        if anchor is None:
            problems.append(f"{where}: no register row anchors it; it was inserted or its row deleted")
            continue
        anchored.add(anchor.decision_id)
        if _anchored_sha256(anchor) != row.sha256:
            problems.append(f"{where}: its SHA-256 differs from register row {anchor.seq}; it was replaced")
        elif edited := described_otherwise(row, anchor):
            problems.append(f"{where}: its {', '.join(edited)} differ from register row {anchor.seq}; it was edited")
    for decision_id, anchor in anchors.items():
        if decision_id not in anchored:
            problems.append(
                f"row {anchor.seq} ({decision_id}): the archived history it anchors is missing from the archive; "
                "it was deleted"
            )
    return problems


def described_otherwise(row: ArchivedHistory, anchor: Decision) -> list[str]:
    """The columns of an archived history that say other than the register row anchoring it (its
    time is the run's close time; its details, the events and size; its summary, the status):
    what `archive status` and the lists report of it (audit walkthrough 4, F15)."""
    try:
        details = json.loads(anchor.details_json)
    except ValueError:
        details = {}
    edited = [name for name in ("events", "size") if getattr(row, name) != details.get(name)]
    if aware_utc(row.close_time) != aware_utc(anchor.decided_at):
        edited.append("close time")
    if not anchor.summary.endswith(f"({row.status})."):
        edited.append("status")
    return edited


def _anchored_sha256(anchor: Decision) -> str | None:
    try:
        return json.loads(anchor.details_json).get("sha256")
    except ValueError:
        return None


# Lag ---------------------------------------------------------------------------------------------


def summary(engine: Engine) -> ArchiveSummary:
    try:
        with Session(engine) as session:
            count, size, newest = session.exec(
                select(
                    func.count(ArchivedHistory.seq),
                    func.coalesce(func.sum(func.length(ArchivedHistory.compressed)), 0),
                    func.max(ArchivedHistory.close_time),
                )
            ).one()
            last = session.exec(select(func.max(ArchiveSweep.finished_at))).one()
    except DBAPIError as err:
        raise ArchiveMissing(f"no archive in the register database ({err.orig})") from None
    return ArchiveSummary(
        histories=count,
        bytes=size,
        newest_close_time=aware_utc(newest) if newest else None,
        last_pass=aware_utc(last) if last else None,
    )


def archived_count(engine: Engine) -> int:
    try:
        return summary(engine).histories
    except ArchiveMissing:
        return 0


CLOSING = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
}


def closed(history: WorkflowHistory) -> bool:
    return bool(history.events) and history.events[-1].event_type in CLOSING


def started_by(histories: list[WorkflowHistory]) -> set[str]:
    """The workflows these histories started as children (a Partnership's actions, amendments…):
    a partial audit covers them too, so one whose history was lost is still missed."""
    return {
        e.start_child_workflow_execution_initiated_event_attributes.workflow_id
        for h in histories
        for e in h.events
        if e.event_type == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED
    }


def ended_chains(histories: list[WorkflowHistory]) -> set[str]:
    """Workflows whose latest run has closed without continuing as new: their chain is whole."""
    latest: dict[str, WorkflowHistory] = {}
    for h in histories:  # oldest first within a workflow
        latest[h.workflow_id] = h
    return {
        wid
        for wid, h in latest.items()
        if closed(h) and h.events[-1].event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    }


def not_yet_archived(histories: list[WorkflowHistory], engine: Engine, workflow_ids: set[str]) -> list[str]:
    """Closed runs of these workflows that the archive does not hold yet ("workflow-id run-id"):
    the next pass stores them; until then only the server has them."""
    try:
        have = {r.run_id for r in _rows(engine, with_bytes=False)}
    except ArchiveMissing:
        have = set()
    return [
        f"{h.workflow_id} {h.run_id}"
        for h in histories
        if h.workflow_id in workflow_ids and closed(h) and h.run_id not in have
    ]


async def awaiting_archive(client: Client, engine: Engine) -> list[str]:
    """Closed governed runs the server still has and the archive does not hold yet ("workflow-id
    run-id"): the next pass stores them."""
    try:
        have = {r.run_id for r in _rows(engine, with_bytes=False)}
    except ArchiveMissing:
        have = set()
    closed_runs = client.list_workflows(f"{governed(None)} AND ExecutionStatus != 'Running'")
    return [f"{w.id} {w.run_id}" async for w in closed_runs if w.run_id not in have]
