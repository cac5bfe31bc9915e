"""The anchored register (issue 14): a checkpoint co-signed by both Participants, kept in the
Partnership's history, shows a register cut back behind it, which the hash chain alone cannot."""

from __future__ import annotations

from sqlalchemy import text

from activities.register import decisions, register_engine
from audit.verify import verify
from models.checkpoint import CHECKPOINT_KIND, RegisterCheckpoint
from models.identities import Identity
from models.partnership import TerminationNotice
from tests.helpers import effects_done, rejected, signed
from workflows.partnership import PartnershipWorkflow


def checkpoint(by: Identity, rows: int, head_hash: str) -> RegisterCheckpoint:
    return signed(RegisterCheckpoint(filed_by=by, rows=rows, head_hash=head_hash))


def head() -> tuple[int, str]:
    rows = decisions(register_engine())
    return len(rows), rows[-1].hash


async def test_a_register_cut_back_behind_a_cosigned_checkpoint_is_reported(local_env, partnership):
    await partnership.execute_update(
        PartnershipWorkflow.give_termination_notice, signed(TerminationNotice(filed_by=Identity.UK), to=partnership)
    )
    await effects_done(partnership, PartnershipWorkflow.pending_effects)
    rows, head_hash = head()
    assert rows == 2
    uk = await partnership.execute_update(PartnershipWorkflow.sign_checkpoint, checkpoint(Identity.UK, 2, head_hash))
    assert uk.latest is None and uk.pending.filings.keys() == {Identity.UK}
    both = await partnership.execute_update(PartnershipWorkflow.sign_checkpoint, checkpoint(Identity.ROK, 2, head_hash))
    assert both.pending is None and both.latest.rows == 2 and both.latest.filings.keys() == {Identity.UK, Identity.ROK}
    await effects_done(partnership, PartnershipWorkflow.pending_effects)
    assert [r.kind for r in decisions(register_engine())][-1] == CHECKPOINT_KIND
    query = f"WorkflowId = '{partnership.id}'"
    assert (await verify(local_env.client, register_engine(), query)).ok

    behind = checkpoint(Identity.UK, 1, decisions(register_engine())[0].hash)
    message = await rejected(partnership, PartnershipWorkflow.sign_checkpoint, behind)
    assert message.startswith("the register was checkpointed at 2 rows on ")
    assert message.endswith("a checkpoint of 1 rows would go back behind it")
    secretariat = checkpoint(Identity.SECRETARIAT, 3, head()[1])
    message = await rejected(partnership, PartnershipWorkflow.sign_checkpoint, secretariat)
    assert message == "only a Participant (UK or ROK) signs a register checkpoint, not SECRETARIAT"

    with register_engine().begin() as conn:  # the last two rows go, the checkpoint's own row with them
        conn.execute(text("DELETE FROM decisions WHERE seq >= 2"))
    problems = (await verify(local_env.client, register_engine(), query)).problems
    cosigned = both.latest.cosigned_at
    assert (
        f"the register has 1 rows, fewer than the checkpoint co-signed by UK and ROK on {cosigned:%Y-%m-%d} (2 rows): "
        "its last rows were cut off"
    ) in problems
