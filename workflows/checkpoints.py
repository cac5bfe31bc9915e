"""The anchored register (issue 14): both Participants co-sign a checkpoint of the decision register
(row count, head hash) as a signed filing on the Partnership, which records it in the register and
keeps it in its own history, where a register cut back or rewritten cannot reach it. Each Forum
that closes calls for one: the Partnership mails both offices, and each office's
`partnership checkpoint watch` (the embedded stack runs one per key it holds) signs it there, with
its own key and on its own register; the worker never signs for a Participant.

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
    from models.identities import PARTICIPANTS
    from models.messages import ForumClosed
    from models.partnership import PartnershipState
    from rules.checkpoints import after_signing, checkpoint_call
    from rules.messages import forum_closed_problem
    from workflows.handlers import governed_signal, governed_update


class Checkpoints:
    """Mixin of PartnershipWorkflow; it relies on the GovernedWorkflow plumbing and `_state`."""

    _state: PartnershipState
    _cosigned_here: bool  # set by PartnershipWorkflow for each run

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
            self._cosigned_here = True
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
        if status.due is not None:
            status.due = after_signing(status.due, status)
        return status

    def _continue_as_new_due(self) -> bool:
        """Decided: a run that holds a co-signed checkpoint closes behind it (continues as new), so
        the archive's next pass stores it: `audit verify --from-archive` can then hold the register
        to that checkpoint and check every row before it, long after the server has forgotten."""
        return super()._continue_as_new_due() or self._cosigned_here  # type: ignore[misc]

    @governed_signal(
        lambda wf, closed: forum_closed_problem(wf._state.forums.get(closed.forum_id), closed, wf._state.keys),
        confirm=lambda wf, closed: closed.forum_id,  # the cycle the rule found this Partnership started
    )
    def forum_closed(self, closed: ForumClosed) -> None:
        """A Forum cycle closed on both Participants' approvals of its minutes: a checkpoint of the
        register is due from each office."""
        status = self._state.checkpoints
        year = self._state.forums[closed.forum_id].year  # the rule saw it; the year is ours, not the message's
        call = checkpoint_call(status, closed.forum_id, year, workflow.now())
        if call is None:
            return
        status.due, status.called_after = call, year
        self._notify(
            f"checkpoint-due/{closed.forum_id}",
            list(PARTICIPANTS),
            f"Checkpoint of the register due after the Forum {year}",
            f"The Forum {year} has closed. Each Participant's office co-signs a checkpoint of the decision "
            "register as it reads it now (row count, head hash), so that a register cut back later shows.\n"
            "Run `partnership checkpoint sign --as UK` (or ROK) from your office, or leave "
            "`partnership checkpoint watch --as UK` running there to sign each one as it falls due.",
            paragraph=CHECKPOINT_PARAGRAPH,
        )

    @workflow.query
    def checkpoint(self) -> CheckpointStatus:
        return self._state.checkpoints
