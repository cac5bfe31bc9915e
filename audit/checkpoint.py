"""`audit verify` holds the register to its latest checkpoint co-signed by both Participants
(issue 14): the hash chain cannot show its last rows cut off, or the whole tail rewritten into a
new chain; the checkpoint, kept in the Partnership's history, can."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from activities.register import decisions
from models.checkpoint import CHECKPOINT_KIND


def latest_checkpoint(recorded: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The co-signed checkpoint with the most rows among the decisions the histories recorded."""
    checkpoints = [r for r in recorded.values() if r["kind"] == CHECKPOINT_KIND]
    return max(checkpoints, key=lambda r: r["details"]["rows"], default=None)


def checkpoint_problems(engine: Engine, recorded: dict[str, dict[str, Any]]) -> list[str]:
    checkpoint = latest_checkpoint(recorded)
    if checkpoint is None:
        return []
    count, head = checkpoint["details"]["rows"], checkpoint["details"]["head_hash"]
    signed = f"the checkpoint co-signed by UK and ROK on {checkpoint['decided_at'][:10]} ({count} rows)"
    rows = decisions(engine)
    if len(rows) < count:
        return [f"the register has {len(rows)} rows, fewer than {signed}: its last rows were cut off"]
    if rows[count - 1].hash != head:
        return [f"row {rows[count - 1].seq} does not end the chain {signed} vouches for: the register was rewritten"]
    return []
