"""The register as the CLI's everyday reads see it (issue 15): the summaries and texts the
Partnership no longer carries (issue 12), the effects set aside (DESIGN §2) and the archive's lag.

A SQLite register (the embedded default) is read here with the standard library, opened read-only:
SQLAlchemy and sqlmodel take about a third of a second to import, more than `partnership status`
spends on everything else it does. Any other database (DATABASE_URL) is read through the ORM, with
the functions the register's writers and auditors use. tests/test_register_reads.py holds the two
ways to the same answers, so the table and column names here cannot drift from models/.

Every read answers "nothing" where this machine has no register (an office that only files) or the
register has no such table yet: the reads then show the Partnership's own answers.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ValidationError

from cli.output import echo
from engine import config
from models import names
from models.records import ArchiveSummary, EffectSetAside, aware_utc

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


def closed_summaries(partnership_id: str, kind: str) -> list[dict[str, Any]]:
    """The summaries of `kind` the Partnership has closed, oldest filed first."""

    def sqlite(db: sqlite3.Connection) -> list[dict[str, Any]]:
        found = db.execute(
            "SELECT summary_json FROM closed_entries WHERE partnership_id = ? AND kind = ? ORDER BY entry_id",
            (partnership_id, kind),
        )
        return [json.loads(summary) for (summary,) in found]

    def orm(engine: Any) -> list[dict[str, Any]]:
        from activities.register import closed_entries

        return closed_entries(engine, partnership_id, kind)

    return _read(sqlite, orm, [])


def closed_here(entry_id: str) -> str | None:
    """What to say of a governed thing the server no longer has but the register holds closed
    (retention deleted its workflow): not "no such thing" (audit walkthrough 4, F5)."""

    def sqlite(db: sqlite3.Connection) -> str | None:
        found = db.execute("SELECT kind FROM closed_entries WHERE entry_id = ?", (entry_id,)).fetchone()
        return found[0] if found else None

    def orm(engine: Any) -> str | None:
        from sqlmodel import Session

        from models.register import ClosedEntryRow

        with Session(engine) as session:
            row = session.get(ClosedEntryRow, entry_id)
            return row.kind if row is not None else None

    if (kind := _read(sqlite, orm, None)) is None:
        return None
    listing = {"action": "action list", "consultation": "consult list", "forum": "forum list"}.get(kind, f"{kind} list")
    return (
        f"{entry_id} has closed and its workflow is no longer on the server: `partnership {listing}` shows its "
        f"last summary, `partnership audit timeline {entry_id}` its record (from the archive)"
    )


def stored_text(sha256: str) -> str | None:
    """A long text (an amendment's wording) by its SHA-256, where the register has it."""

    def sqlite(db: sqlite3.Connection) -> str | None:
        found = db.execute("SELECT text FROM texts WHERE sha256 = ?", (sha256,)).fetchone()
        return found[0] if found else None

    def orm(engine: Any) -> str | None:
        from activities.register import stored_text

        return stored_text(engine, sha256)

    return _read(sqlite, orm, None) if sha256 else None


def effects_set_aside() -> list[EffectSetAside]:
    """Effects that could never succeed, oldest first."""

    def sqlite(db: sqlite3.Connection) -> list[EffectSetAside]:
        found = db.execute(
            "SELECT effect_id, workflow_id, kind, reason, failed_at, effect_json FROM failed_effects ORDER BY failed_at"
        )
        return [
            EffectSetAside(
                effect_id=effect_id,
                workflow_id=workflow_id,
                kind=kind,
                reason=reason,
                failed_at=_stored_time(failed_at),
                effect_json=effect_json,
            )
            for effect_id, workflow_id, kind, reason, failed_at, effect_json in found
        ]

    def orm(engine: Any) -> list[EffectSetAside]:
        from activities.failures import failed_effects

        return [EffectSetAside.model_validate(row, from_attributes=True) for row in failed_effects(engine)]

    return _read(sqlite, orm, [])


def archive_summary() -> ArchiveSummary | None:
    """How much the archive holds and how far behind it is; None before its first pass."""

    def sqlite(db: sqlite3.Connection) -> ArchiveSummary:
        count, size, newest = db.execute(
            "SELECT count(seq), coalesce(sum(length(compressed)), 0), max(close_time) FROM histories"
        ).fetchone()
        (last,) = db.execute("SELECT max(finished_at) FROM archive_sweeps").fetchone()
        return ArchiveSummary(
            histories=count,
            bytes=size,
            newest_close_time=_stored_time(newest) if newest else None,
            last_pass=_stored_time(last) if last else None,
        )

    def orm(engine: Any) -> ArchiveSummary | None:
        from audit.archive import summary
        from audit.errors import ArchiveMissing

        try:
            return summary(engine)
        except ArchiveMissing:
            return None

    return _read(sqlite, orm, None)


def _sqlite_file() -> Path | None:
    """The file of a SQLite register read with the standard library, or None for any other
    database: a SQLite URL with a query or %-escapes is read as SQLAlchemy reads it, by the ORM."""
    url = config.database_url()
    if not url.startswith("sqlite:///") or any(c in url for c in "?%"):
        return None
    return Path(url.removeprefix("sqlite:///"))


def no_register_here() -> str | None:
    """Where this machine has no SQLite register (an office that only files), where it looked."""
    path = _sqlite_file()
    return str(path) if path is not None and not path.exists() else None


def _read(sqlite: Callable[[sqlite3.Connection], T], orm: Callable[[Any], T], nothing: T) -> T:
    """`sqlite` on a read-only connection to a SQLite register, `orm` on any other; `nothing` where
    this machine has no register, or the register cannot answer (no such table yet)."""
    path = _sqlite_file()
    if path is None:
        from sqlalchemy.exc import SQLAlchemyError

        from activities.register import read_only_engine

        try:
            return orm(read_only_engine())
        except SQLAlchemyError:
            return nothing
    if not path.exists():
        return nothing
    try:
        # Quoted: a `#` in a folder's name would otherwise end the path, and SQLite would open (and
        # create) another file, read-write.
        with closing(sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=30)) as db:
            answer = sqlite(db)
    except sqlite3.Error as err:
        if not str(err).startswith("no such table"):  # damaged, or not a register: said (walkthrough 4, F9)
            _unreadable["why"] = f"{path} cannot be read ({err})"
        return nothing
    _unreadable.pop("why", None)
    return answer


#: Why the SQLite register could not be read the last time it was (a damaged file, another
#: database), which "nothing" would otherwise hide: `archive_line` says it.
_unreadable: dict[str, str] = {}


def unreadable() -> str | None:
    return _unreadable.get("why")


def _stored_time(value: str) -> datetime:
    """A time as SQLAlchemy stores it in SQLite: text, naive, the UTC wall time."""
    return aware_utc(datetime.fromisoformat(value))


def closed_in_register(kind: str, model: type[M]) -> list[M]:
    """Issue 12: the closed amendments, joint actions, consultations or Forum cycles the running
    Partnership no longer carries, from the register where this machine has it (none in an office
    that only files: the Partnership's own list)."""
    closed = []
    for summary in closed_summaries(names.PARTNERSHIP_ID, kind):
        try:
            closed.append(model.model_validate(summary))
        except ValidationError:  # an edited row: left out, and said (`audit verify` names it)
            echo(f"a closed {kind} entry in the register does not read as one; run partnership audit verify", err=True)
    return closed


def numbered(thing_id: str) -> tuple[str, int]:
    """Sort key of an id: `…-amendment-10` after `…-amendment-9`."""
    stem, _, number = thing_id.rpartition("-")
    return (stem, int(number)) if number.isdecimal() else (thing_id, 0)
