"""The decision register: one row per decision however often it is recorded; a hash chain that
shows any edited, deleted or inserted row."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from temporalio.testing import ActivityEnvironment

from activities.register import append_decision, chain_problems, decisions, record_decision, register_engine
from models.records import DecisionRecord

ROOT = Path(__file__).resolve().parent.parent


def decision(n: int) -> DecisionRecord:
    return DecisionRecord(
        decision_id=f"partnership/test-{n}",
        workflow_id="partnership",
        kind="test",
        paragraph="33",
        decided_at=datetime(2026, 1, n, 9, 30, tzinfo=UTC),
        summary=f"decision {n}",
        details={"n": n},
    )


async def test_a_retried_activity_writes_one_row(register_db):
    env = ActivityEnvironment()
    first = env.run(record_decision, decision(1))
    again = env.run(record_decision, decision(1))
    assert first.created and not again.created
    assert again.seq == first.seq and again.hash == first.hash
    assert [r.decision_id for r in decisions(register_engine())] == ["partnership/test-1"]


def test_the_chain_holds_and_links_each_row_to_the_one_before(register_db):
    engine = register_engine()
    entries = [append_decision(engine, decision(n)) for n in (1, 2, 3)]
    rows = decisions(engine)
    assert [r.hash for r in rows] == [e.hash for e in entries]
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash
    assert chain_problems(engine) == []


def test_an_edited_row_is_detected(register_db):
    engine = register_engine()
    for n in (1, 2, 3):
        append_decision(engine, decision(n))
    with engine.begin() as conn:
        conn.execute(text("UPDATE decisions SET summary = 'something else' WHERE seq = 2"))
    assert chain_problems(engine) == ["row 2 (partnership/test-2): its content was edited"]


def test_a_deleted_row_is_detected(register_db):
    engine = register_engine()
    for n in (1, 2, 3):
        append_decision(engine, decision(n))
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM decisions WHERE seq = 2"))
    problems = chain_problems(engine)
    assert len(problems) == 1 and problems[0].startswith("row 3 (partnership/test-3)")
    assert "deleted or inserted" in problems[0]


def test_concurrent_writers_never_fork_the_chain(register_db):
    """Several workers appending at once: every decision lands once and the chain stays linear."""
    from concurrent.futures import ThreadPoolExecutor

    engine = register_engine()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: append_decision(engine, decision(n % 28 + 1)), range(56)))
    rows = decisions(engine)
    assert len(rows) == 28 and len({r.decision_id for r in rows}) == 28
    assert chain_problems(engine) == []


#: In an interpreter of its own (this one's tests have long since used the register): a worker,
#: built, with no activity run yet. The Worker itself is stubbed: only what is done before it counts.
BUILT_ONLY = """
import json, worker
from sqlmodel import SQLModel
worker.Worker = lambda *args, **kwargs: None
def names(configured):
    return [m.class_.__name__ for m in SQLModel._sa_registry.mappers if m.configured is configured]
before = names(True)
worker.build_worker(None, "tq")
print(json.dumps({"before": before, "unconfigured": names(False)}))
"""


@pytest.mark.timeout(60)
def test_a_worker_configures_the_register_before_any_effect_runs():
    """A stopping worker has the SDK raise inside each running activity's thread; raised while
    SQLAlchemy configured the mappers on first use, it left them failed for every later effect of
    the process. The worker configures them before it takes any activity."""
    done = subprocess.run(
        [sys.executable, "-c", BUILT_ONLY], cwd=ROOT, capture_output=True, text=True, timeout=50, check=True
    )
    seen = json.loads(done.stdout)
    assert seen["before"] == [], "the mappers were configured on import: this test checks nothing"
    assert seen["unconfigured"] == []
