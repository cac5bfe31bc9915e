"""The decision register's tables (sqlmodel) and its hash chain.

Each row stores the hash of the row before it and its own hash over its content and that link, so
an edited, deleted or inserted row breaks the chain where it happened.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Field, SQLModel

from models.signing import canonical_json

GENESIS = "0" * 64


class Decision(SQLModel, table=True):
    __tablename__ = "decisions"

    seq: int | None = Field(default=None, primary_key=True)
    decision_id: str = Field(unique=True, index=True)
    workflow_id: str = Field(index=True)
    kind: str
    paragraph: str = Field(index=True)
    decided_at: datetime
    summary: str
    details_json: str
    # Unique: two writers racing for the same predecessor cannot both win, so the chain never forks.
    prev_hash: str = Field(unique=True)
    hash: str


class SentNotification(SQLModel, table=True):
    """Ledger of sent notifications: the Message-ID is checked here before anything is sent."""

    __tablename__ = "sent_notifications"

    message_id: str = Field(primary_key=True)
    recipients: str
    subject: str
    channel: str
    sent_at: datetime


def encode_details(details: dict[str, Any]) -> str:
    """A decision's details as the register stores them. `record_decision` writes with it and
    `audit verify` compares with it, so the two can never drift (a drift reads as an edit)."""
    return json.dumps(details, sort_keys=True, default=str)


def row_content(
    decision_id: str,
    workflow_id: str,
    kind: str,
    paragraph: str,
    decided_at: datetime,
    summary: str,
    details_json: str,
) -> dict[str, Any]:
    return {
        "decision_id": decision_id,
        "workflow_id": workflow_id,
        "kind": kind,
        "paragraph": paragraph,
        "decided_at": decided_at.astimezone(UTC).isoformat(),
        "summary": summary,
        "details_json": details_json,
    }


def chain_hash(prev_hash: str, content: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + canonical_json(content)).hexdigest()


def hash_of(row: Decision) -> str:
    """The hash a row should carry, given its content and its stored link."""
    content = row_content(
        row.decision_id,
        row.workflow_id,
        row.kind,
        row.paragraph,
        row.decided_at,
        row.summary,
        row.details_json,
    )
    return chain_hash(row.prev_hash, content)


class FailedEffect(SQLModel, table=True):
    """An effect that can never succeed (a permanent SMTP or header error, a value the register
    refuses), set aside so that its lane goes on; `partnership status` lists these."""

    __tablename__ = "failed_effects"

    effect_id: str = Field(primary_key=True)  # the Message-ID, or the decision id
    workflow_id: str = Field(index=True)
    kind: str  # "notification" or "decision"
    reason: str
    failed_at: datetime
    effect_json: str  # the effect as it was queued, so it can be looked at and done by hand


class StoredTextRow(SQLModel, table=True):
    """Content-addressed long texts (issue 12): an amendment's wording, by its SHA-256."""

    __tablename__ = "texts"

    sha256: str = Field(primary_key=True)
    text: str


class ClosedEntryRow(SQLModel, table=True):
    """The last summary of each closed amendment, joint action, consultation and Forum cycle: the
    Partnership no longer carries them (issue 12), the reads find them here."""

    __tablename__ = "closed_entries"

    entry_id: str = Field(primary_key=True)
    kind: str = Field(index=True)
    partnership_id: str = Field(index=True)
    summary_json: str
