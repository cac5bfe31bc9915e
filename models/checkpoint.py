"""The anchored register (issue 14): a checkpoint of the decision register (its first `rows` rows,
the last of them hashing to `head_hash`) co-signed by both Participants.

The hash chain shows a row edited, deleted or inserted in the middle, but not the last rows cut off
together with the histories that recorded them. A checkpoint signed by both lives in the
Partnership's history (and the archive), outside the register's reach, so `audit verify` can hold
the register to it.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from models.base import Model
from models.identities import Identity
from models.signing import Filing

CHECKPOINT_KIND = "register-checkpoint"
#: Not a ¶ of the agreement: like the archive (models/archive.py), it keeps the record behind them.
CHECKPOINT_PARAGRAPH = "record"


class RegisterCheckpoint(Filing):
    """A Participant's signature on the register as its office reads it."""

    rows: int = Field(ge=1, le=10**12)
    head_hash: str = Field(pattern=r"^[0-9a-f]{64}$")


class Checkpoint(Model):
    """A checkpoint filed by one side (pending) or both (co-signed)."""

    rows: int
    head_hash: str
    filings: dict[Identity, str]  # participant -> filing id
    filed_at: datetime
    cosigned_at: datetime | None = None


class CheckpointCall(Model):
    """A checkpoint due after a Forum: the offices still to sign the register as it stood at or
    after `since` (the Partnership heard the Forum close then). Only the latest call is kept: a
    signature that answers it answers every earlier one too."""

    forum_id: str
    year: int
    since: datetime
    awaiting: list[Identity]


class CheckpointStatus(Model):
    """The latest checkpoint signed by both, one awaiting the other side's signature, and the
    checkpoint due after the latest Forum (until both offices have answered it)."""

    latest: Checkpoint | None = None
    pending: Checkpoint | None = None
    due: CheckpointCall | None = None
    called_after: int | None = None  # the Forum year of the latest call, answered or not


def checkpoint_problem(status: CheckpointStatus, filing: RegisterCheckpoint) -> str | None:
    """Only a Participant signs; a checkpoint never goes back behind the latest co-signed one."""
    if not filing.filed_by.is_participant:
        return f"only a Participant (UK or ROK) signs a register checkpoint, not {filing.filed_by}"
    latest = status.latest
    if latest and filing.rows < latest.rows:
        return (
            f"the register was checkpointed at {latest.rows} rows on {latest.cosigned_at:%Y-%m-%d}; "
            f"a checkpoint of {filing.rows} rows would go back behind it"
        )
    if latest and filing.rows == latest.rows:
        if filing.head_hash != latest.head_hash:
            return f"row {latest.rows} was checkpointed with another hash; the register differs from the checkpoint"
        return f"the register is already checkpointed at {latest.rows} rows by both"
    return None
