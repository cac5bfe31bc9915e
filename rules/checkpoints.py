"""The anchored register (issue 14): after each Forum, both Participants co-sign a checkpoint of
the decision register. The text says nothing of registers; these rules are the engine's.

The Partnership cannot read the register (only the offices' activities write it), so a call is
answered by time: a checkpoint first filed at or after the call was signed on the register as
each office read it then, which holds everything the Forum recorded.
"""

from __future__ import annotations

from datetime import datetime

from models.checkpoint import CheckpointCall, CheckpointStatus
from models.identities import PARTICIPANTS
from rules.tags import decided

TOPIC = "The anchored register"


@decided("7", TOPIC, "each Forum that closes calls both Participants to co-sign a checkpoint of the register")
def checkpoint_call(status: CheckpointStatus, forum_id: str, year: int, now: datetime) -> CheckpointCall | None:
    """The call a closed Forum makes; None when a call was made after this Forum or a later one
    already (a report heard twice calls once). A later Forum's call replaces an unanswered one:
    the checkpoint that answers it answers both."""
    if status.called_after is not None and year <= status.called_after:
        return None
    return after_signing(CheckpointCall(forum_id=forum_id, year=year, since=now, awaiting=list(PARTICIPANTS)), status)


@decided("7", TOPIC, "a call stands until a checkpoint first filed at or after it is co-signed by both")
def after_signing(call: CheckpointCall, status: CheckpointStatus) -> CheckpointCall | None:
    """The call as the checkpoints now stand: None once answered; else awaiting each Participant
    that has not signed the pending checkpoint filed since the call (one filed before it, or a
    newer view of the register by the other side, needs its signature again)."""
    latest, pending = status.latest, status.pending
    if latest is not None and latest.filed_at >= call.since:
        return None
    signed = pending.filings if pending is not None and pending.filed_at >= call.since else {}
    return call.model_copy(update={"awaiting": [p for p in PARTICIPANTS if p not in signed]})
