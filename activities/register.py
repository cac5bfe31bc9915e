"""The decision register: one row per decision, idempotent by decision id, hash-chained."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, create_engine, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import effect
from engine import config
from models.names import FILE_CLOSED, RECORD_DECISION, STORE_TEXT
from models.records import ClosedEntry, DecisionRecord, RegisterEntry, StoredText, aware_utc
from models.register import (
    GENESIS,
    ClosedEntryRow,
    Decision,
    StoredTextRow,
    chain_hash,
    encode_details,
    hash_of,
    row_content,
)

_CREATING = threading.Lock()


@cache
def engine_for(url: str) -> Engine:
    """One engine per database URL, tables created on first use (by one thread: activities run
    concurrently, and two `CREATE TABLE`s would race)."""
    with _CREATING:
        return _create(url)


def _create(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        config.make_data_dir()
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    else:
        engine = create_engine(url, pool_pre_ping=True)
    SQLModel.metadata.create_all(engine)
    return engine


def register_engine() -> Engine:
    return engine_for(config.database_url())


def read_only_engine() -> Engine:
    """For auditors: SQLite opened read-only (nothing is created or changed); other databases
    rely on the auditor's database role having read rights only."""
    url = config.database_url()
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        return create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    return create_engine(url, pool_pre_ping=True)


class DecisionConflict(ValueError):
    """The register holds a decision under this id that says something else."""


def append_decision(
    engine: Engine, decision: DecisionRecord, also: Sequence[SQLModel] = (), same_only: bool = False
) -> RegisterEntry:
    """Insert the decision at the end of the chain, or return the row already there. `also`: rows
    written in the same transaction, only with a new decision (an archived history and its anchor).
    `same_only`: the row there must say what this decision says, else DecisionConflict."""
    details_json = encode_details(decision.details)
    decided_at = aware_utc(decision.decided_at)
    for _ in range(20):
        with Session(engine) as session:
            existing = session.exec(select(Decision).where(Decision.decision_id == decision.decision_id)).first()
            said = (decision.workflow_id, decision.kind, decision.summary, details_json)
            if existing is not None and same_only and said != row_said(existing):
                raise DecisionConflict(
                    f"the register already holds decision {decision.decision_id} (row {existing.seq}) saying something "
                    "else: it is ahead of this server's histories (restored from an older backup of the server?)"
                )
            if existing is not None:
                return RegisterEntry(
                    seq=existing.seq or 0,
                    decision_id=existing.decision_id,
                    hash=existing.hash,
                    created=False,
                )
            last = session.exec(select(Decision).order_by(Decision.seq.desc()).limit(1)).first()
            prev_hash = last.hash if last else GENESIS
            content = row_content(
                decision.decision_id,
                decision.workflow_id,
                decision.kind,
                decision.paragraph,
                decided_at,
                decision.summary,
                details_json,
            )
            row = Decision(
                **content | {"decided_at": decided_at},
                prev_hash=prev_hash,
                hash=chain_hash(prev_hash, content),
            )
            session.add(row)
            session.add_all(also)
            try:
                session.commit()
            except IntegrityError:
                # Another writer took this place in the chain (or this decision) first: look again.
                session.rollback()
                continue
            session.refresh(row)
            return RegisterEntry(seq=row.seq or 0, decision_id=row.decision_id, hash=row.hash, created=True)
    raise RuntimeError("the register is too busy to append; the activity will retry")


def chain_problems(engine: Engine) -> list[str]:
    """Every place where the stored chain does not hold, in register order."""
    problems: list[str] = []
    expected_prev = GENESIS
    with Session(engine) as session:
        for row in session.exec(select(Decision).order_by(Decision.seq)):
            if row.prev_hash != expected_prev:
                problems.append(
                    f"row {row.seq} ({row.decision_id}): its link does not match the row before "
                    "it; a row was deleted or inserted here"
                )
            if hash_of(row) != row.hash:
                problems.append(f"row {row.seq} ({row.decision_id}): its content was edited")
            expected_prev = row.hash
    return problems


def decisions(engine: Engine) -> list[Decision]:
    with Session(engine) as session:
        return list(session.exec(select(Decision).order_by(Decision.seq)))


def row_said(row: Decision) -> tuple[str, str, str, str]:
    return row.workflow_id, row.kind, row.summary, row.details_json


@effect(RECORD_DECISION)
def record_decision(decision: DecisionRecord) -> RegisterEntry:
    """Record one decision in the register; a retry returns the row already written. A plain
    function: it blocks on the database, so it runs on the worker's activity thread pool. A row
    under the same id saying something else is not taken for this one (a two-ministry
    walkthrough: a register kept from after a server's backup held decisions the restored server
    never took, and a later decision reusing an id was silently dropped): set aside and reported."""
    try:
        entry = append_decision(register_engine(), decision, same_only=True)
    except Exception as err:
        from activities.failures import permanent_reason, set_aside  # it records through this module

        if (reason := str(err) if isinstance(err, DecisionConflict) else permanent_reason(err)) is None:
            raise
        # The row can never be written: set it aside, so the decisions after it are recorded.
        set_aside(decision.decision_id, "decision", decision, reason)
        return RegisterEntry(seq=0, decision_id=decision.decision_id, hash="", created=False)
    activity.logger.info(
        "decision recorded" if entry.created else "decision already recorded",
        extra={"decision_id": entry.decision_id, "seq": entry.seq, "paragraph": decision.paragraph},
    )
    return entry


# Issue 12: what the Partnership no longer carries -----------------------------------------------


@effect(STORE_TEXT)
def store_text(stored: StoredText) -> None:
    """Keep a long text under its SHA-256; a retry (or the same text again) finds it there."""
    if hashlib.sha256(stored.text.encode()).hexdigest() != stored.sha256:
        raise ApplicationError("the text does not have the SHA-256 it is filed under", non_retryable=True)
    _set_aside_if_permanent(f"text/{stored.sha256}", "text", stored, _store_text, stored)


def _store_text(stored: StoredText) -> None:
    with Session(register_engine()) as session:
        if session.get(StoredTextRow, stored.sha256) is None:
            session.add(StoredTextRow(sha256=stored.sha256, text=stored.text))
            try:
                session.commit()
            except IntegrityError:  # another attempt stored it first: the same text
                session.rollback()


@effect(FILE_CLOSED)
def file_closed(entry: ClosedEntry) -> None:
    """Keep a closed thing's last summary; filing it again replaces the row (idempotent)."""
    _set_aside_if_permanent(f"closed/{entry.entry_id}", "closed-entry", entry, _file_closed, entry)


def _set_aside_if_permanent(effect_id: str, kind: str, effect: BaseModel, write: Callable, *args: Any) -> None:
    """Like `record_decision`: a row the register can never store is set aside, so the lane goes on."""
    try:
        write(*args)
    except Exception as err:
        from activities.failures import permanent_reason, set_aside  # it records through this module

        if (reason := permanent_reason(err)) is None:
            raise
        set_aside(effect_id, kind, effect, reason)


def _file_closed(entry: ClosedEntry) -> None:
    row = ClosedEntryRow(
        entry_id=entry.entry_id,
        kind=entry.kind,
        partnership_id=entry.partnership_id,
        summary_json=json.dumps(entry.summary, sort_keys=True),
    )
    with Session(register_engine()) as session:
        session.merge(row)
        try:
            session.commit()
        except IntegrityError:  # another attempt inserted it first: replace it now
            session.rollback()
            session.merge(row)
            session.commit()


def stored_text(engine: Engine, sha256: str) -> str | None:
    with Session(engine) as session:
        row = session.get(StoredTextRow, sha256)
        return row.text if row is not None else None


def every_closed_entry(engine: Engine) -> list[ClosedEntryRow]:
    """Every closed entry of every Partnership, as the table holds it (for the audit)."""
    with Session(engine) as session:
        return list(session.exec(select(ClosedEntryRow).order_by(ClosedEntryRow.entry_id)))


def closed_entries(engine: Engine, partnership_id: str, kind: str) -> list[dict]:
    """The summaries of `kind` the Partnership `partnership_id` has closed, oldest filed first."""
    with Session(engine) as session:
        rows = session.exec(
            select(ClosedEntryRow)
            .where(ClosedEntryRow.partnership_id == partnership_id, ClosedEntryRow.kind == kind)
            .order_by(ClosedEntryRow.entry_id)
        )
        return [json.loads(r.summary_json) for r in rows]
