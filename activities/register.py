"""The decision register: one row per decision, idempotent by decision id, hash-chained."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from functools import cache

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, create_engine, select
from temporalio import activity

from engine import config
from models.names import RECORD_DECISION
from models.records import DecisionRecord, RegisterEntry
from models.register import GENESIS, Decision, chain_hash, encode_details, hash_of, row_content

_CREATING = threading.Lock()


@cache
def engine_for(url: str) -> Engine:
    """One engine per database URL, tables created on first use (by one thread: activities run
    concurrently, and two `CREATE TABLE`s would race)."""
    with _CREATING:
        return _create(url)


def _create(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        config.data_dir().mkdir(parents=True, exist_ok=True)
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


def as_utc(moment: datetime) -> datetime:
    """Stored form of a time: aware UTC, so its hash input reads the same back from any DB."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def append_decision(engine: Engine, decision: DecisionRecord) -> RegisterEntry:
    """Insert the decision at the end of the chain, or return the row already there."""
    details_json = encode_details(decision.details)
    decided_at = as_utc(decision.decided_at)
    for _ in range(20):
        with Session(engine) as session:
            existing = session.exec(select(Decision).where(Decision.decision_id == decision.decision_id)).first()
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


@activity.defn(name=RECORD_DECISION)
def record_decision(decision: DecisionRecord) -> RegisterEntry:
    """Record one decision in the register; a retry returns the row already written. A plain
    function: it blocks on the database, so it runs on the worker's activity thread pool."""
    entry = append_decision(register_engine(), decision)
    activity.logger.info(
        "decision recorded" if entry.created else "decision already recorded",
        extra={"decision_id": entry.decision_id, "seq": entry.seq, "paragraph": decision.paragraph},
    )
    return entry
