"""`partnership audit verify`: the register's hash chain holds, every decision in the register was
recorded by a workflow (its history shows the completed `record_decision`), every decision a
history recorded is in the register, with the same content, the archive holds every closed
history, unedited, no governed workflow is stuck on a failing workflow task (audit/health.py), and
the histories are closed under the rules (audit/closure.py: nothing from outside them)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import Session, select
from temporalio.client import Client, WorkflowHistory

from activities.register import chain_problems, decisions, every_closed_entry, read_only_engine
from audit.archive import (
    archive_problems,
    archived_count,
    ended_chains,
    histories_and_rewrites,
    histories_of,
    not_yet_archived,
    started_by,
)
from audit.checkpoint import checkpoint_problems
from audit.closure import Finding, closure
from audit.errors import ArchiveMissing, RegisterUnreachable
from audit.health import stuck_workflows
from audit.history import activity_calls
from audit.keys import key_report
from engine import config
from models import names
from models.archive import ARCHIVED_KIND, ArchiveLingering, ArchiveSweep
from models.names import FILE_CLOSED, RECORD_DECISION, STORE_TEXT
from models.records import aware_utc
from models.register import FailedEffect, StoredTextRow, encode_details


def reachable_register() -> Engine:
    """The register read-only, once it has answered; else RegisterUnreachable in one line naming
    where it was looked for (a password in the URL is not shown)."""
    from sqlalchemy import text
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    try:
        where = config.shown_database_url()
    except ArgumentError:
        raise RegisterUnreachable("DATABASE_URL is not a database URL (e.g. postgresql+psycopg://…)") from None
    try:
        engine = read_only_engine()
        with engine.connect():
            pass
    except (SQLAlchemyError, ImportError) as err:  # no such file or server, a driver not installed
        raise RegisterUnreachable(
            f"no register at {where} ({reason_of(err)}): run this where the register is, or point DATABASE_URL "
            "(or PARTNERSHIP_DATA_DIR) at it"
        ) from None
    try:  # SQLite opens any file: a damaged one, or another database, fails at the first read
        with engine.connect() as connection:
            connection.execute(text("SELECT seq FROM decisions ORDER BY seq DESC LIMIT 1")).all()
    except SQLAlchemyError as err:
        reason = reason_of(err)
        if "no such table" in reason or "does not exist" in reason:  # SQLite's words, PostgreSQL's
            raise RegisterUnreachable(
                f"the database at {where} holds no register (no decisions table): nothing recorded there yet, "
                "or another database"
            ) from None
        raise RegisterUnreachable(f"the register at {where} cannot be read ({reason})") from None
    return engine


def reason_of(err: BaseException) -> str:
    from sqlalchemy.exc import DBAPIError

    return str(err.orig if isinstance(err, DBAPIError) else err).strip().splitlines()[0][:200]


class VerifyReport(BaseModel):
    rows: int
    histories: int
    decisions_in_histories: int
    problems: list[str]
    archived: int = 0  # histories in the archive
    unarchived: list[str] = []  # closed runs of register workflows the archive does not hold yet
    unchecked_workflows: int = 0  # --from-archive: workflows still running, so not in the archive
    unchecked_rows: int = 0  # --from-archive: their rows no archived run recorded (the running run's)
    findings: list[Finding] = []  # events the rules did not produce (issue 11)
    unchecked_events: int = 0  # --from-archive: events whose sender or parent is not archived yet
    key_history: list[str] = []  # every key of each identity and the interval it was valid in
    revoked_later: list[str] = []  # filings valid when received, made with a key revoked since

    @property
    def ok(self) -> bool:
        return not self.problems and not self.findings


def recorded_decisions(history: WorkflowHistory) -> dict[str, dict[str, Any]]:
    """decision_id -> the DecisionRecord a completed `record_decision` activity wrote."""
    return {
        call.value["decision_id"]: call.value
        for call in activity_calls(history)
        if call.name == RECORD_DECISION and call.completed is not None
    }


def recording_under_way(histories: list[WorkflowHistory]) -> set[str]:
    """The decisions whose `record_decision` has not completed in these histories: a live audit
    may find the row written before the history records the activity as done."""
    return {
        call.value["decision_id"]
        for history in histories
        for call in activity_calls(history)
        if call.name == RECORD_DECISION and call.under_way and isinstance(call.value, dict)
    }


def filed_closed(histories: list[WorkflowHistory]) -> tuple[dict[str, list[dict[str, Any]]], set[str]]:
    """entry id -> every ClosedEntry a completed `file_closed` activity wrote for it (a later report
    files the same entry again, replacing the row); and the entries whose filing is under way (its
    row may already be written before the history records the activity as completed)."""
    filed: dict[str, list[dict[str, Any]]] = {}
    filing: set[str] = set()
    for history in histories:
        for call in activity_calls(history):
            if call.name != FILE_CLOSED or not isinstance(call.value, dict):
                continue
            if call.completed is not None:
                filed.setdefault(call.value.get("entry_id", ""), []).append(call.value)
            elif call.under_way:
                filing.add(call.value.get("entry_id", ""))
    return filed, filing


def closed_entry_problems(engine: Engine, histories: list[WorkflowHistory], covered: set[str] | None) -> list[str]:
    """The closed entries (what `status`, `partnership text` and the lists show of closed things) are
    each one a history filed, as filed: an inserted or edited row would change what the reads
    show with the register's chain intact; a deleted one would make a closed thing vanish."""
    filed, filing = filed_closed(histories)
    problems = []
    in_table = set()
    for row in every_closed_entry(engine):
        if covered is not None and row.partnership_id not in covered or row.entry_id in filing:
            continue
        in_table.add(row.entry_id)
        versions = filed.get(row.entry_id, [])
        as_filed = [v for v in versions if (v.get("kind"), v.get("partnership_id")) == (row.kind, row.partnership_id)]
        if not versions:
            problems.append(f"closed entry {row.entry_id}: no workflow history filed it; it was inserted")
        elif not any(json.dumps(v.get("summary"), sort_keys=True) == row.summary_json for v in as_filed):
            problems.append(
                f"closed entry {row.entry_id}: it differs from what {row.partnership_id} filed; it was edited"
            )
    for entry_id, versions in filed.items():
        partnership_id = versions[-1].get("partnership_id")
        if entry_id not in in_table and (covered is None or partnership_id in covered):
            problems.append(
                f"closed entry {entry_id}: filed by {partnership_id} but missing from the register; it was deleted"
            )
    return problems


def text_problems(engine: Engine, histories: list[WorkflowHistory]) -> list[str]:
    """The long texts the register keeps by SHA-256 (an amendment's wording, which the consolidated
    text reads once its workflow is gone): each hashes to its key, and each a workflow stored is
    there, unless it was set aside (audit walkthrough 4, F3)."""
    with Session(engine) as session:
        kept = {row.sha256: row.text for row in session.exec(select(StoredTextRow))}
        aside = set(session.exec(select(FailedEffect.effect_id).where(FailedEffect.kind == "text")))
    problems = [
        f"stored text {sha}: its bytes do not hash to its key; it was edited"
        for sha, text in sorted(kept.items())
        if hashlib.sha256(text.encode()).hexdigest() != sha
    ]
    for history in histories:
        for call in activity_calls(history):
            if call.name != STORE_TEXT or call.completed is None or not isinstance(call.value, dict):
                continue
            sha = call.value.get("sha256", "")
            if sha not in kept and f"text/{sha}" not in aside:
                problems.append(
                    f"stored text {sha}: stored by {history.workflow_id} but missing from the register; it was deleted"
                )
    return problems


def lost_before_archiving(engine: Engine, every: list[Any], absent: set[str]) -> list[str]:
    """From the archive alone, a workflow with register rows and no archived run may still be
    running; but one the register also holds a closed entry of has closed, so its history belongs
    in the archive once an archive pass has run since its last decision: without it, it was lost
    before a pass stored it (walkthrough 2). One that closed after the last pass is not yet
    archived, not lost (review 5). `every`: the register's rows, archive anchors among them. A pass
    is dated by the anchors it wrote and by its sweep row, so one that archived nothing counts too
    (audit walkthrough 4, F14); one the latest pass found still running (its last effects under
    way, a mail retrying) is not lost (review 8, R8-2)."""
    sweeps, still_running = swept(engine)
    passes = [r.decided_at for r in every if r.kind == ARCHIVED_KIND] + sweeps
    last_pass = aware_utc(max(passes)) if passes else None
    absent = absent - still_running
    latest: dict[str, Any] = {}
    for row in every:
        latest[row.workflow_id] = max(latest.get(row.workflow_id, row.decided_at), row.decided_at)
    closed = {row.entry_id: row for row in every_closed_entry(engine) if row.entry_id in absent}
    return [
        f"{entry_id}: the register holds its closed entry ({row.kind} of {row.partnership_id}) but the archive "
        "holds no history of it, though a pass ran a day after its last decision: it was lost before it was "
        "archived"
        for entry_id, row in sorted(closed.items())
        if last_pass and entry_id in latest and aware_utc(latest[entry_id]) + SETTLING < last_pass
    ]


#: A governed thing's closed entry is filed before its run ends (its last effects, a mail retrying
#: while the mail server is down, may keep it running for hours): only a pass this long after its
#: last decision shows that its history should have been found closed (review 7, F5).
SETTLING = timedelta(days=1)


def swept(engine: Engine) -> tuple[list[datetime], set[str]]:
    """When each archive pass started, and the governed things the latest found still running
    though their closed entry was filed; nothing where no pass has run (no tables yet)."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    with Session(engine) as session:
        try:
            starts = list(session.exec(select(ArchiveSweep.started_at)))
        except (OperationalError, ProgrammingError):  # no pass has ever run
            return [], set()
        if not starts:
            return [], set()
        try:
            latest = select(ArchiveLingering.workflow_id).where(ArchiveLingering.started_at == max(starts))
            return starts, set(session.exec(latest))
        except (OperationalError, ProgrammingError):  # a register from before passes recorded them
            return starts, set()


def differences(row: Any, record: dict[str, Any]) -> list[str]:
    expected = {
        "workflow_id": record["workflow_id"],
        "kind": record["kind"],
        "paragraph": record["paragraph"],
        "summary": record["summary"],
        "details_json": encode_details(record.get("details", {})),
        "decided_at": aware_utc(datetime.fromisoformat(record["decided_at"].replace("Z", "+00:00"))),
    }
    return [
        field
        for field, value in expected.items()
        if (aware_utc(getattr(row, field)) if field == "decided_at" else getattr(row, field)) != value
    ]


async def verify(
    client: Client | None,
    engine: Engine,
    query: str | None = None,
    from_archive: bool = False,
    partnership_id: str | None = None,
) -> VerifyReport:
    """Also the archive (DESIGN §2): histories the server no longer has are read from it, each
    archived history must hash to the SHA-256 its register row anchors, and every closed run of a
    workflow in the register must be archived. `from_archive`: the archive alone, no server.
    `partnership_id`: the Partnership the register serves (the CLI's, `partnership`), whose
    checkpoints the register is held to and whose key history is told."""
    partnership_id = partnership_id or names.PARTNERSHIP_ID
    problems = chain_problems(engine)
    histories, rewrites = await histories_and_rewrites(client, engine, query, from_archive)
    problems += rewrites
    recorded: dict[str, dict[str, Any]] = {}
    for history in histories:
        recorded |= recorded_decisions(history)
    every = decisions(engine)
    rows = [r for r in every if r.kind != ARCHIVED_KIND]  # anchors: see archive_problems
    covered = None
    if query:  # a partial audit: the workflows it finds and those they started (found or not)
        covered = {h.workflow_id for h in histories} | started_by(histories)
    elif from_archive:  # only workflows whose archived chain has ended (the others are still running)
        covered = ended_chains(histories)
        if not every:  # a wiped register, or another database: nothing agrees because nothing is there
            problems.append("the register holds no decision at all: nothing could be checked against the archive")
    unchecked = unchecked_rows = 0
    if covered is not None:
        outside = {r.workflow_id for r in rows} - covered
        if from_archive and not query:
            anchored = {r.workflow_id for r in every if r.kind == ARCHIVED_KIND}  # archive_problems says those
            problems += lost_before_archiving(engine, every, outside - {h.workflow_id for h in histories} - anchored)
        unchecked = len(outside)
        # A chain still running has closed, archived runs too (the Partnership's, each time it
        # continued as new): what they recorded is final, and checked (audit walkthrough 4, F1).
        final = recorded if from_archive and not query else {}
        unchecked_rows = sum(r.workflow_id not in covered and r.decision_id not in final for r in rows)
        rows = [r for r in rows if r.workflow_id in covered or r.decision_id in final]
    known = {h.workflow_id for h in histories}
    recording = recording_under_way(histories)
    in_register = set()
    agreeing = 0
    for row in rows:
        in_register.add(row.decision_id)
        record = recorded.get(row.decision_id)
        changed = differences(row, record) if record is not None else []
        agreeing += record is not None and not changed
        if record is None and row.decision_id in recording:
            continue  # written, its completion not yet in the history fetched
        if record is None and row.workflow_id not in known:
            problems.append(
                f"row {row.seq} ({row.decision_id}): the history of {row.workflow_id} is neither on the server "
                "nor in the archive; it was lost before it was archived, or the row was inserted"
            )
        elif record is None:
            problems.append(f"row {row.seq} ({row.decision_id}): no workflow history recorded it; it was inserted")
        elif changed:
            problems.append(
                f"row {row.seq} ({row.decision_id}): {', '.join(changed)} "
                f"differ{'s' if len(changed) == 1 else ''} from the history"
            )
    if rows and recorded and not agreeing and client is not None:
        # Not one row agrees: most likely another Partnership's server (audit walkthrough 4, F12).
        where = client.service_client.config.target_host
        problems.insert(
            0,
            f"not one of the register's {len(rows)} rows agrees with what the histories at {where} recorded: that "
            "server runs another Partnership (point TEMPORAL_ADDRESS at this register's, or use --from-archive), "
            "or every row was rewritten",
        )
    for decision_id, record in recorded.items():
        if decision_id not in in_register and (covered is None or record["workflow_id"] in covered or from_archive):
            problems.append(
                f"{decision_id}: recorded by {record['workflow_id']} but missing from the register; it was deleted"
            )
    problems += closed_entry_problems(engine, histories, covered)
    problems += archive_problems(engine, covered if query else None)  # every archived run is final
    problems += checkpoint_problems(every, recorded, partnership_id)
    problems += text_problems(engine, histories)
    key_history, revoked_later = key_report(histories, partnership_id)
    if client is not None:  # the archive alone cannot say whether a live workflow is stuck
        problems += [stuck.line() for stuck in await stuck_workflows(client, query)]
    closed = await closure(histories, partial(_runs_of, client, engine), partial=from_archive)
    return VerifyReport(
        rows=len(rows),
        histories=len(histories),
        decisions_in_histories=len(recorded),
        problems=problems,
        archived=archived_count(engine),
        unarchived=not_yet_archived(histories, engine, {r.workflow_id for r in rows}),
        unchecked_workflows=unchecked,
        unchecked_rows=unchecked_rows,
        findings=closed.findings,
        unchecked_events=len(closed.unchecked),
        key_history=key_history,
        revoked_later=revoked_later,
    )


async def _runs_of(client: Client | None, engine: Engine, workflow_id: str) -> list[WorkflowHistory]:
    """Every run of a sender or parent outside the audit's scope, wherever it still is."""
    try:
        return await histories_of(client, engine, workflow_id)
    except ArchiveMissing:
        return []
