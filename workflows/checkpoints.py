"""The anchored register (issue 14): both Participants co-sign a checkpoint of the decision register
(row count, head hash) as a signed filing on the Partnership, which records it in the register and
keeps it in its own history, where a register cut back or rewritten cannot reach it.

Mixed into PartnershipWorkflow; kept in its own module so the Partnership's file stays about ¶31–33.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.checkpoint import (
        CHECKPOINT_KIND,
        CHECKPOINT_PARAGRAPH,
        Checkpoint,
        CheckpointStatus,
        RegisterCheckpoint,
        checkpoint_problem,
    )
    from models.partnership import PartnershipState
    from workflows.handlers import governed_update


class Checkpoints:
    """Mixin of PartnershipWorkflow; it relies on the GovernedWorkflow plumbing and `_state`."""

    _state: PartnershipState

    @governed_update(lambda wf, filing: checkpoint_problem(wf._state.checkpoints, filing))
    async def sign_checkpoint(self, filing: RegisterCheckpoint) -> CheckpointStatus:
        """One side's signature on the register as it stands; the other side's matching signature
        makes it the checkpoint `audit verify` holds the register to."""
        now = self._accept(filing)
        status = self._state.checkpoints
        pending = status.pending
        same = pending and (pending.rows, pending.head_hash) == (filing.rows, filing.head_hash)
        if same and filing.filed_by not in pending.filings:
            pending.filings[filing.filed_by] = filing.filing_id
            pending.cosigned_at = now
            status.latest, status.pending = pending, None
            self._record(
                f"{CHECKPOINT_KIND}/{pending.rows}",
                CHECKPOINT_KIND,
                now,
                f"UK and ROK co-signed the register as it stood at {pending.rows} rows.",
                {"rows": pending.rows, "head_hash": pending.head_hash, "filings": dict(pending.filings)},
                paragraph=CHECKPOINT_PARAGRAPH,
            )
        else:  # a first signature, or a newer view of the register: it waits for the other side
            status.pending = Checkpoint(
                rows=filing.rows, head_hash=filing.head_hash, filings={filing.filed_by: filing.filing_id}, filed_at=now
            )
        return status

    @workflow.query
    def checkpoint(self) -> CheckpointStatus:
        return self._state.checkpoints
