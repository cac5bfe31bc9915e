"""`audit verify` holds the register to its latest checkpoint co-signed by both Participants
(issue 14): the hash chain cannot show its last rows cut off, or the whole tail rewritten into a
new chain; the checkpoint, kept in the Partnership's history, can."""

from __future__ import annotations

from typing import Any

from models.checkpoint import CHECKPOINT_KIND
from models.register import Decision


def latest_checkpoint(recorded: dict[str, dict[str, Any]], partnership_id: str) -> dict[str, Any] | None:
    """The co-signed checkpoint with the most rows among those the Partnership's histories recorded."""
    checkpoints = [r for r in recorded.values() if r["kind"] == CHECKPOINT_KIND and r["workflow_id"] == partnership_id]
    return max(checkpoints, key=lambda r: r["details"]["rows"], default=None)


def checkpoint_problems(rows: list[Decision], recorded: dict[str, dict[str, Any]], ours: str) -> list[str]:
    """The register against the latest checkpoint of the Partnership it serves (`ours`, the id the
    CLI files on: not whichever signed first, which an outsider can race for, review 9). Anyone
    with access to the namespace can start a second Partnership on the engine's task queue, with
    keys of its own, and co-sign whatever it likes there (adversarial review 5): its checkpoints
    say nothing of this register, and a register holding one is said. `rows`: the register's, in order."""
    others = sorted({r["workflow_id"] for r in recorded.values() if r["kind"] == CHECKPOINT_KIND} - {ours})
    problems = [
        f"{other} recorded a register checkpoint, but the register serves {ours}: a second Partnership runs on "
        "the engine's task queue; its checkpoints are not held against this register"
        for other in others
    ]
    checkpoint = latest_checkpoint(recorded, ours)
    if checkpoint is None:
        return problems
    count, head = checkpoint["details"]["rows"], checkpoint["details"]["head_hash"]
    signed = f"the checkpoint co-signed by UK and ROK on {checkpoint['decided_at'][:10]} ({count} rows)"
    if len(rows) < count:
        problems.append(f"the register has {len(rows)} rows, fewer than {signed}: its last rows were cut off")
    elif rows[count - 1].hash != head:
        last = rows[count - 1].seq
        problems.append(f"row {last} does not end the chain {signed} vouches for: the register was rewritten")
    return problems
