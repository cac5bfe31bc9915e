"""cli/register_reads.py reads a SQLite register with the standard library and any other database
through the ORM (issue 15): both ways must give the same answers from the same rows, and the
everyday reads must not load SQLAlchemy where the register is SQLite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from activities.register import engine_for
from cli import register_reads
from models.archive import ArchivedHistory, ArchiveSweep
from models.register import ClosedEntryRow, FailedEffect, StoredTextRow

ROOT = Path(__file__).resolve().parent.parent
WHEN = datetime(2026, 11, 29, 11, 30, 15, 123456, tzinfo=UTC)


def reads() -> dict:
    return {
        "amendments": register_reads.closed_summaries("partnership", "amendment"),
        "actions": register_reads.closed_summaries("partnership", "action"),
        "other partnership": register_reads.closed_summaries("other", "amendment"),
        "text": register_reads.stored_text("a" * 64),
        "no text": register_reads.stored_text("b" * 64),
        "set aside": register_reads.effects_set_aside(),
        "archive": register_reads.archive_summary(),
    }


def written(path: Path) -> None:
    """A register as the activities write it: through the ORM."""
    engine = engine_for(f"sqlite:///{path}")
    with Session(engine) as session:
        for n, (kind, partnership) in enumerate([("amendment", "partnership"), ("action", "partnership")] * 2):
            session.add(
                ClosedEntryRow(
                    entry_id=f"{partnership}-{kind}-{n}",
                    kind=kind,
                    partnership_id=partnership,
                    summary_json=json.dumps({"id": n, "title": "Ünïcode ¶9"}),
                )
            )
        session.add(ClosedEntryRow(entry_id="x", kind="amendment", partnership_id="other", summary_json='{"id": 9}'))
        session.add(StoredTextRow(sha256="a" * 64, text="Twice a year.\n"))
        for n in (2, 1):
            session.add(
                FailedEffect(
                    effect_id=f"effect-{n}",
                    workflow_id="partnership",
                    kind="notification",
                    reason="the mail server refused it (550)",
                    failed_at=WHEN + timedelta(minutes=n),
                    effect_json='{"key": "k"}',
                )
            )
        for n in (1, 2):
            session.add(
                ArchivedHistory(
                    run_id=f"run-{n}",
                    workflow_id="partnership",
                    workflow_type="PartnershipWorkflow",
                    status="COMPLETED",
                    start_time=WHEN,
                    close_time=WHEN + timedelta(hours=n),
                    events=3,
                    sha256="c" * 64,
                    size=10,
                    compressed=b"x" * (n * 7),
                    archived_at=WHEN,
                )
            )
        session.add(ArchiveSweep(task_queue="q", started_at=WHEN, finished_at=WHEN + timedelta(days=1), archived=2))
        session.commit()


@pytest.mark.timeout(60)
def test_sqlite_read_without_the_orm_answers_as_the_orm_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "register.db"
    written(path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    plain = reads()
    monkeypatch.setenv("DATABASE_URL", f"sqlite+pysqlite:///{path}")  # any other URL: through the ORM
    assert reads() == plain
    assert [a["id"] for a in plain["amendments"]] == [0, 2] and plain["amendments"][0]["title"] == "Ünïcode ¶9"
    assert [a["id"] for a in plain["actions"]] == [1, 3]
    assert plain["other partnership"] == [{"id": 9}]
    assert (plain["text"], plain["no text"]) == ("Twice a year.\n", None)
    assert [(f.effect_id, f.failed_at) for f in plain["set aside"]] == [
        ("effect-1", WHEN + timedelta(minutes=1)),
        ("effect-2", WHEN + timedelta(minutes=2)),
    ]
    archive = plain["archive"]
    assert (archive.histories, archive.bytes) == (2, 21)
    assert (archive.newest_close_time, archive.last_pass) == (WHEN + timedelta(hours=2), WHEN + timedelta(days=1))


@pytest.mark.timeout(60)
def test_a_register_without_the_tables_reads_as_empty_both_ways(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "register.db"
    path.write_bytes(b"")  # a SQLite file with no table yet
    empty = {
        "amendments": [],
        "actions": [],
        "other partnership": [],
        "text": None,
        "no text": None,
        "set aside": [],
        "archive": None,
    }
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    assert reads() == empty
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'absent.db'}")
    assert reads() == empty
    assert not (tmp_path / "absent.db").exists()  # a read never creates a register


@pytest.mark.timeout(60)
def test_status_reads_of_a_sqlite_register_never_load_sqlalchemy(tmp_path: Path):
    written(tmp_path / "register.db")
    code = """
import sys
from cli.archive import archive_json, archive_line
import cli.status
from cli.register_reads import closed_summaries, effects_set_aside, stored_text
print(archive_line().split(",")[0], archive_json()["histories"], len(effects_set_aside()), stored_text("a" * 64)[:5])
print([entry["id"] for entry in closed_summaries("partnership", "amendment")])
print(sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "sqlmodel")))
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "PARTNERSHIP_", "DATABASE_"))}
    env |= {"PARTNERSHIP_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == ["archive: 2 histories 2 2 Twice", "[0, 2]", "[]"]


@pytest.mark.timeout(60)
def test_a_data_dir_whose_name_holds_uri_characters_is_read_and_never_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A `#` in a folder's name must not cut the path short: SQLite would open another file,
    read-write, and create it."""
    folder = tmp_path / "office #1"
    folder.mkdir()
    written(folder / "register.db")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{folder / 'register.db'}")
    assert register_reads.stored_text("a" * 64) == "Twice a year.\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["office #1"]
