"""The archive of closed histories (DESIGN §2, "The record outlives the server"): its table in the
register database, and the inputs and outputs of the archiving activity.

Temporal deletes a closed history after the namespace's retention (a day on the dev server, at
most 90 days on Cloud); the engine keeps every governed run's full history here, compressed, next
to the decisions it explains. Each archived history is also a register row (`ARCHIVED_KIND`), so
its SHA-256 sits in the hash chain and an edit of the archive is evident.
"""

from __future__ import annotations

import hashlib
import zlib
from datetime import datetime

from sqlalchemy import Column, LargeBinary, Text
from sqlmodel import Field, SQLModel

#: The kind of the register row that anchors one archived history in the hash chain.
ARCHIVED_KIND = "history-archived"
#: Not a ¶ of the agreement: the archive keeps the record behind all of them.
ARCHIVED_PARAGRAPH = "record"


class ArchivedHistory(SQLModel, table=True):
    """One closed run's full history: the bytes of Temporal's `History` protobuf, zlib-compressed.
    The SHA-256 is over the uncompressed bytes, so it names the history, not the compression."""

    __tablename__ = "histories"

    seq: int | None = Field(default=None, primary_key=True)
    # A run id names one run in the namespace; unique, so a second archiving of a run stores nothing.
    run_id: str = Field(unique=True, index=True, max_length=64)
    # Unbounded, as the server's own limit may change: an id longer than a column let one closed
    # run fail every pass on PostgreSQL (adversarial review 3, F5).
    workflow_id: str = Field(sa_column=Column(Text, index=True, nullable=False))
    workflow_type: str = Field(max_length=200)
    status: str = Field(max_length=40)
    start_time: datetime
    close_time: datetime = Field(index=True)
    events: int
    sha256: str = Field(max_length=64)
    size: int  # uncompressed bytes
    compressed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    archived_at: datetime


class ArchiveSweep(SQLModel, table=True):
    """A finished pass over the closed executions; the next pass lists only what closed since the
    start of the last one (less a margin for visibility's lag)."""

    __tablename__ = "archive_sweeps"

    seq: int | None = Field(default=None, primary_key=True)
    task_queue: str = Field(index=True, max_length=200)
    started_at: datetime
    finished_at: datetime
    archived: int


class ArchiveLingering(SQLModel, table=True):
    """A governed thing a pass found still running though the register holds its closed entry
    (filed before its run ends; a mail retrying can keep it running for days): not lost, only not
    yet archived (review 8, R8-2). Written with the pass's sweep, by the pass's start."""

    __tablename__ = "archive_lingering"

    seq: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(index=True)
    workflow_id: str = Field(sa_column=Column(Text, nullable=False))


def pack(history_bytes: bytes) -> tuple[str, bytes]:
    """SHA-256 of a history's bytes, and the bytes as stored."""
    return hashlib.sha256(history_bytes).hexdigest(), zlib.compress(history_bytes, 9)


def unpack(compressed: bytes) -> bytes:
    return zlib.decompress(compressed)


def archived_decision_id(workflow_id: str, run_id: str) -> str:
    return f"{workflow_id}/{ARCHIVED_KIND}/{run_id}"
