"""Record the golden histories under tests/histories/ (`make histories`).

Run only when a workflow change is *meant* to change what new histories look like. Once a
deployment exists, old files must keep replaying (that is what `workflow.patched` is for): record
new ones into a folder of their own beside them instead of overwriting these.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

#: Recordings of today's code (before 1.0 no deployment exists, so no older generation is kept).
HISTORIES = Path(__file__).resolve().parent / "histories"
BIN = Path(sys.executable).parent


async def signed_partnership(client: Client, task_queue: str, wid: str, schedule: bool = True):
    from engine.bootstrap import bootstrap
    from tests.helpers import effects_done
    from workflows.partnership import PartnershipWorkflow

    await bootstrap(client, task_queue, wid, schedule=schedule)
    handle = client.get_workflow_handle(wid)
    await effects_done(handle, PartnershipWorkflow.pending_effects)
    return handle


async def real_server(client: Client, task_queue: str) -> dict[str, str | tuple[str, str]]:
    """Scenarios without long timers, on the dev server."""
    from models.amendment import AmendmentConsent, AmendmentDecline, AmendmentProposal
    from models.identities import Identity
    from models.partnership import TerminationNotice
    from tests.helpers import effects_done, eventually, signed, withdrawal
    from workflows.amendment import AmendmentWorkflow
    from workflows.partnership import PartnershipWorkflow

    await signed_partnership(client, task_queue, "partnership-signed")

    amended = await signed_partnership(client, task_queue, "partnership-amended")
    first = await amended.execute_update(
        PartnershipWorkflow.propose_amendment,
        signed(
            AmendmentProposal(filed_by=Identity.UK, paragraphs=[7], text="Twice a year.", summary="Forum"), to=amended
        ),
    )
    await client.get_workflow_handle(first.amendment_id).execute_update(
        AmendmentWorkflow.consent,
        signed(AmendmentConsent(filed_by=Identity.ROK, amendment_id=first.amendment_id), to=first.amendment_id),
    )
    second = await amended.execute_update(
        PartnershipWorkflow.propose_amendment,
        signed(AmendmentProposal(filed_by=Identity.ROK, paragraphs=[28], text="Shared costs."), to=amended),
    )
    await client.get_workflow_handle(second.amendment_id).execute_update(
        AmendmentWorkflow.decline,
        signed(
            AmendmentDecline(filed_by=Identity.UK, amendment_id=second.amendment_id, reason="No"),
            to=second.amendment_id,
        ),
    )
    for ident in (first.amendment_id, second.amendment_id):
        await client.get_workflow_handle(ident).result()

    async def settled():
        return (await amended.query(PartnershipWorkflow.status)).pending_amendments == []

    await eventually(settled)
    await effects_done(amended, PartnershipWorkflow.pending_effects)

    withdrawn = await signed_partnership(client, task_queue, "partnership-notice-withdrawn")
    await withdrawn.execute_update(
        PartnershipWorkflow.give_termination_notice, signed(TerminationNotice(filed_by=Identity.UK), to=withdrawn)
    )
    await withdrawn.execute_update(
        PartnershipWorkflow.withdraw_termination_notice,
        signed(await withdrawal(withdrawn, Identity.UK), to=withdrawn),
    )
    await effects_done(withdrawn, PartnershipWorkflow.pending_effects)
    action_id, consultation_id = await programmes(client, task_queue)
    keys = await keys_and_checkpoint(client, task_queue)
    continued, withdrawn_consultation = await continued_as_new(client, task_queue)
    return {
        "partnership-continued": continued,
        "consultation-withdrawn": withdrawn_consultation,
        "partnership-keys": keys,
        "partnership-programmes": "partnership-programmes",
        "joint-action-completed": action_id,
        "consultation-resolved": consultation_id,
        "partnership-signed": "partnership-signed",
        "partnership-amended": "partnership-amended",
        "amendment-in-effect": first.amendment_id,
        "amendment-declined": second.amendment_id,
        "partnership-notice-withdrawn": "partnership-notice-withdrawn",
    }


async def continued_as_new(client: Client, task_queue: str) -> tuple[tuple[str, str], str]:
    """A Partnership that continues as new with a closed consultation: before it does, it asks
    Temporal whether the consultation has closed (check_child), then carries on without it. The
    first run is recorded, and the consultation's (the closure audit checks its roll-ups against it)."""
    from datetime import date

    from engine.bootstrap import start_partnership, text_sha256
    from engine.keys import public_keys
    from models.consultation import ConsultationRequest, ConsultationWithdrawal
    from models.identities import PARTICIPANTS, Identity
    from models.partnership import PartnershipState, SignPartnership, TerminationNotice
    from tests.helpers import effects_done, signed, withdrawal
    from workflows.consultation import ConsultationWorkflow
    from workflows.partnership import PartnershipWorkflow

    # Named as its file: a replay takes the workflow id from the file name, and child ids derive from it.
    state = PartnershipState(keys=public_keys(), text_sha256=text_sha256(), continue_as_new_at_length=70)
    handle = await start_partnership(client, task_queue, "partnership-continued", state)
    first_run = (await handle.describe()).run_id
    for participant in PARTICIPANTS:
        sign = SignPartnership(filed_by=participant, signed_on=date(2023, 11, 22), text_sha256=text_sha256())
        await handle.execute_update(PartnershipWorkflow.sign, signed(sign, to=handle))
    request = ConsultationRequest(filed_by=Identity.UK, about="28", summary="Costs")
    receipt = await handle.execute_update(PartnershipWorkflow.open_consultation, signed(request, to=handle))
    consultation = client.get_workflow_handle(receipt.consultation_id)
    filing = ConsultationWithdrawal(filed_by=Identity.UK, consultation_id=receipt.consultation_id)
    await consultation.execute_update(ConsultationWorkflow.withdraw, signed(filing, to=consultation))
    await consultation.result()
    while (await handle.describe()).run_id == first_run:  # filings grow the history to the limit
        await effects_done(handle, PartnershipWorkflow.pending_effects)
        notice = signed(TerminationNotice(filed_by=Identity.UK), to=handle)
        await handle.execute_update(PartnershipWorkflow.give_termination_notice, notice)
        await effects_done(handle, PartnershipWorkflow.pending_effects)
        await handle.execute_update(
            PartnershipWorkflow.withdraw_termination_notice, signed(await withdrawal(handle, Identity.UK), to=handle)
        )
    return (handle.id, first_run), receipt.consultation_id


async def cosign_checkpoint(client: Client, handle, keys: dict | None = None) -> tuple[str, str]:
    """Both Participants sign the register as it stands (issue 14), each with its key now. The run
    that holds the co-signed checkpoint continues as new behind it: returns that run (id, run id)."""
    from temporalio.client import WorkflowExecutionStatus

    from activities.register import decisions, register_engine
    from engine.keys import load_private_key
    from models.checkpoint import RegisterCheckpoint
    from models.identities import PARTICIPANTS
    from models.signing import sign
    from tests.helpers import effects_done, eventually
    from workflows.partnership import PartnershipWorkflow

    await effects_done(handle, PartnershipWorkflow.pending_effects)
    cosigning = client.get_workflow_handle(handle.id, run_id=(await handle.describe()).run_id)
    rows = decisions(register_engine())
    for by in PARTICIPANTS:
        filing = RegisterCheckpoint(filed_by=by, addressed_to=handle.id, rows=len(rows), head_hash=rows[-1].hash)
        key = (keys or {}).get(by) or load_private_key(by)
        await handle.execute_update(PartnershipWorkflow.sign_checkpoint, sign(filing, key))

    async def continued():
        return (await cosigning.describe()).status == WorkflowExecutionStatus.CONTINUED_AS_NEW

    await eventually(continued)
    await effects_done(handle, PartnershipWorkflow.pending_effects)
    return handle.id, cosigning.run_id


async def keys_and_checkpoint(client: Client, task_queue: str) -> tuple[str, str]:
    """The key registry's filings on the Partnership (issue 13): ROK's office pins UK's key, UK
    rotates its key, UK revokes ROK's lost key; then both co-sign a checkpoint with their new keys."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from engine.keys import load_private_key
    from models.identities import Identity
    from models.keyring import KeyPin
    from models.signing import public_key_text, sign
    from tests.helpers import effects_done, signed
    from tests.test_keyring import revocation, rotation
    from workflows.partnership import PartnershipWorkflow

    handle = await signed_partnership(client, task_queue, "partnership-keys")
    ring = await handle.query(PartnershipWorkflow.key_ring)
    pin = KeyPin(filed_by=Identity.ROK, identity=Identity.UK, fingerprint=ring.current(Identity.UK).fingerprint)
    await handle.execute_update(PartnershipWorkflow.record_pin, signed(pin, to=handle))
    uk_new, rok_new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    await handle.execute_update(
        PartnershipWorkflow.rotate_key, rotation(Identity.UK, load_private_key(Identity.UK), uk_new, to=handle.id)
    )
    rok_old = public_key_text(load_private_key(Identity.ROK))
    revoked = revocation(Identity.UK, uk_new, Identity.ROK, rok_old, rok_new)
    await handle.execute_update(
        PartnershipWorkflow.revoke_key, sign(revoked.model_copy(update={"addressed_to": handle.id}), uk_new)
    )
    await effects_done(handle, PartnershipWorkflow.pending_effects)
    return await cosign_checkpoint(client, handle, {Identity.UK: uk_new, Identity.ROK: rok_new})


async def programmes(client: Client, task_queue: str) -> tuple[str, str]:
    """A joint action through its whole life, and a consultation resolved."""
    from models.consultation import ConsultationRequest, ResolutionAcceptance, ResolutionProposal
    from models.identities import Identity
    from models.joint_action import (
        ActionAgreement,
        ActionClosure,
        CostArrangement,
        JointActionProposal,
        Progress,
        ProgressReport,
    )
    from models.working_group import GroupLeads
    from tests.helpers import effects_done, eventually, signed
    from workflows.consultation import ConsultationWorkflow
    from workflows.joint_action import JointActionWorkflow
    from workflows.partnership import PartnershipWorkflow

    partnership = await signed_partnership(client, task_queue, "partnership-programmes")
    for by in (Identity.UK, Identity.ROK):
        leads = GroupLeads(filed_by=by, area="telecoms", lead_uk="A. Smith", lead_rok="J. Kim")
        await partnership.execute_update(PartnershipWorkflow.set_group_leads, signed(leads, to=partnership))
    receipt = await partnership.execute_update(
        PartnershipWorkflow.propose_joint_action,
        signed(JointActionProposal(filed_by=Identity.UK, ref="9b", title="Open RAN testbed"), to=partnership),
    )
    action = client.get_workflow_handle(receipt.action_id)
    ident = receipt.action_id
    await action.execute_update(
        JointActionWorkflow.agree, signed(ActionAgreement(filed_by=Identity.ROK, action_id=ident), to=action)
    )
    await action.execute_update(
        JointActionWorkflow.report,
        signed(ProgressReport(filed_by=Identity.UK, action_id=ident, status=Progress.ON_TRACK, percent=40), to=action),
    )
    for by in (Identity.UK, Identity.ROK):  # a new cadence for the group reaches the open action
        leads = GroupLeads(filed_by=by, area="telecoms", lead_uk="A. Smith", lead_rok="J. Kim", cadence_months=2)
        await partnership.execute_update(PartnershipWorkflow.set_group_leads, signed(leads, to=partnership))

    async def cadence_reached() -> bool:
        return (await action.query(JointActionWorkflow.show)).cadence_months == 2

    await eventually(cadence_reached)
    for by in (Identity.UK, Identity.ROK):
        cost = CostArrangement(filed_by=by, action_id=ident, arrangement="UK travel; ROK equipment.")
        await action.execute_update(JointActionWorkflow.cost_share, signed(cost, to=action))
    for by in (Identity.UK, Identity.ROK):
        closure = ActionClosure(filed_by=by, action_id=ident, outcome="complete")
        await action.execute_update(JointActionWorkflow.close, signed(closure, to=action))
    await action.result()

    opened = await partnership.execute_update(
        PartnershipWorkflow.open_consultation,
        signed(ConsultationRequest(filed_by=Identity.ROK, about="28", summary="Costs"), to=partnership),
    )
    consultation = client.get_workflow_handle(opened.consultation_id)
    cid = opened.consultation_id
    await consultation.execute_update(
        ConsultationWorkflow.propose,
        signed(ResolutionProposal(filed_by=Identity.ROK, consultation_id=cid, resolution="Split."), to=consultation),
    )
    await consultation.execute_update(
        ConsultationWorkflow.accept,
        signed(ResolutionAcceptance(filed_by=Identity.UK, consultation_id=cid, proposal=1), to=consultation),
    )
    await consultation.result()
    await effects_done(partnership, PartnershipWorkflow.pending_effects)
    return ident, cid


async def forum_started_by_its_calendar(env: WorkflowEnvironment, task_queue: str) -> str:
    """¶7: the secretariat sets the Forum's usual date; the Partnership's own timer starts the
    cycle 90 days before it."""
    from models.forum import ForumCalendar
    from models.identities import Identity
    from tests.helpers import eventually, signed, sleep_until
    from workflows.partnership import PartnershipWorkflow

    partnership = await signed_partnership(env.client, task_queue, "partnership-forum-scheduled", schedule=False)
    usual = (await env.get_current_time() + timedelta(days=100)).date()
    calendar = ForumCalendar(filed_by=Identity.SECRETARIAT, month=usual.month, day=usual.day)
    view = await partnership.execute_update(PartnershipWorkflow.set_forum_calendar, signed(calendar, to=partnership))
    await sleep_until(env, view.next_cycle_starts + timedelta(hours=1))
    await eventually(lambda: partnership.query(PartnershipWorkflow.forums))
    return partnership.id


async def forum_cycle(env: WorkflowEnvironment, partnership, task_queue: str) -> str:
    """A Forum cycle from the call for items to published minutes."""
    from models.forum import (
        AgendaItemFiling,
        Convening,
        DecisionTabled,
        ForumConvocation,
        MinutesFiling,
    )
    from models.identities import Identity
    from tests.helpers import (
        agenda_agreement,
        decision_agreement,
        effects_done,
        minutes_approval,
        nomination,
        signed,
        sleep_until,
    )
    from workflows.forum import ForumCycleWorkflow
    from workflows.partnership import PartnershipWorkflow

    now = await env.get_current_time()
    on = (now + timedelta(days=120)).date()
    receipt = await partnership.execute_update(
        PartnershipWorkflow.start_forum,
        signed(ForumConvocation(filed_by=Identity.SECRETARIAT, year=on.year, on=on, venue="London"), to=partnership),
    )
    forum = env.client.get_workflow_handle(receipt.forum_id)
    fid = receipt.forum_id
    await forum.execute_update(
        ForumCycleWorkflow.add_item, signed(AgendaItemFiling(filed_by=Identity.UK, forum_id=fid, title="AI"), to=forum)
    )
    chairs = {Identity.UK: "Minister of State", Identity.ROK: "Vice Minister of Science and ICT"}
    for side, title in chairs.items():
        await forum.execute_update(
            ForumCycleWorkflow.nominate,
            signed(nomination(side, side.value, title), to=forum),
        )
        await forum.execute_update(
            ForumCycleWorkflow.agree_agenda, signed(await agenda_agreement(forum, side), to=forum)
        )
    await sleep_until(env, datetime.combine(on + timedelta(days=1), datetime.min.time(), tzinfo=UTC))
    await forum.execute_update(
        ForumCycleWorkflow.convene,
        signed(Convening(filed_by=Identity.SECRETARIAT, forum_id=fid, attendees=["A"]), to=forum),
    )
    await forum.execute_update(
        ForumCycleWorkflow.table_decision,
        signed(
            DecisionTabled(filed_by=Identity.SECRETARIAT, forum_id=fid, text="Review done", kind="review"), to=forum
        ),
    )
    await forum.execute_update(
        ForumCycleWorkflow.table_decision,
        signed(
            DecisionTabled(
                filed_by=Identity.SECRETARIAT,
                forum_id=fid,
                text="Leads of the AI working group",
                ref="ai",
                kind="set-group-leads",
                lead_uk="A. Smith",
                lead_rok="J. Park",
            ),
            to=forum,
        ),
    )
    for number in (1, 2):
        for side in chairs:
            await forum.execute_update(
                ForumCycleWorkflow.agree_decision,
                signed(await decision_agreement(forum, side, number), to=forum),
            )
    await forum.execute_update(
        ForumCycleWorkflow.file_minutes,
        signed(MinutesFiling(filed_by=Identity.SECRETARIAT, forum_id=fid, text="M"), to=forum),
    )
    for side in chairs:
        await forum.execute_update(
            ForumCycleWorkflow.approve_minutes, signed(await minutes_approval(forum, side), to=forum)
        )
    await forum.result()
    await effects_done(partnership, PartnershipWorkflow.pending_effects)
    return fid


async def skipping_server(env: WorkflowEnvironment, task_queue: str) -> dict[str, str | tuple[str, str]]:
    """Scenarios whose timers fire: six months of notice, an unanswered proposal."""
    from models.amendment import AmendmentProposal
    from models.identities import Identity
    from models.joint_action import ActionAgreement, JointActionProposal, WindDown
    from models.partnership import Stage, TerminationNotice
    from tests.helpers import effects_done, eventually, signed, sleep_until
    from workflows.amendment import AmendmentWorkflow
    from workflows.joint_action import JointActionWorkflow
    from workflows.partnership import PartnershipWorkflow

    client = env.client
    terminated = await signed_partnership(client, task_queue, "partnership-terminated", schedule=False)
    continuing = await terminated.execute_update(
        PartnershipWorkflow.propose_joint_action,
        signed(JointActionProposal(filed_by=Identity.ROK, ref="25e", title="IoT security labels"), to=terminated),
    )
    await client.get_workflow_handle(continuing.action_id).execute_update(
        JointActionWorkflow.agree,
        signed(ActionAgreement(filed_by=Identity.UK, action_id=continuing.action_id), to=continuing.action_id),
    )
    lapsing = await terminated.execute_update(
        PartnershipWorkflow.propose_amendment,
        signed(AmendmentProposal(filed_by=Identity.UK, paragraphs=[7], text="Twice a year."), to=terminated),
    )
    receipt = await terminated.execute_update(
        PartnershipWorkflow.give_termination_notice, signed(TerminationNotice(filed_by=Identity.ROK), to=terminated)
    )
    await sleep_until(env, receipt.effective_at + timedelta(hours=1))

    async def ended():
        return (await terminated.query(PartnershipWorkflow.status)).state is Stage.TERMINATED

    await eventually(ended)
    for by in (Identity.UK, Identity.ROK):
        await terminated.execute_update(
            PartnershipWorkflow.wind_down,
            signed(WindDown(filed_by=by, actions=[continuing.action_id]), to=terminated),
        )
    await client.get_workflow_handle(continuing.action_id).result()
    await effects_done(terminated, PartnershipWorkflow.pending_effects)
    await effects_done(client.get_workflow_handle(lapsing.amendment_id), AmendmentWorkflow.pending_effects)
    forum_partnership = await signed_partnership(client, task_queue, "partnership-forum", schedule=False)
    forum_id = await forum_cycle(env, forum_partnership, task_queue)

    # The closed Forum called for a checkpoint (issue 14); both offices answer it.
    async def called():
        return (await forum_partnership.query(PartnershipWorkflow.checkpoint)).due

    await eventually(called)
    cosigned = await cosign_checkpoint(env.client, forum_partnership)
    assert (await forum_partnership.query(PartnershipWorkflow.checkpoint)).due is None
    return {
        "forum-cycle-closed": forum_id,
        "partnership-forum": cosigned,
        "partnership-forum-scheduled": await forum_started_by_its_calendar(env, task_queue),
        "partnership-terminated": "partnership-terminated",
        "amendment-lapsed": lapsing.amendment_id,
        "joint-action-wound-down-after-termination": continuing.action_id,
    }


async def archive_pass(client: Client, task_queue: str) -> dict[str, str]:
    """An archive pass over the closed runs the scenarios above left (issue 14)."""
    from engine.archive import archive_now

    outcome = await archive_now(client, task_queue)
    assert outcome.archived > 0
    return {"archive-pass": f"{task_queue}-archive-now"}


async def record(client: Client, recorded: dict[str, str | tuple[str, str]]) -> None:
    """Each named history: a workflow's latest run, or (workflow id, run id) for one run."""
    for name, which in recorded.items():
        wid, run_id = which if isinstance(which, tuple) else (which, None)
        history = await client.get_workflow_handle(wid, run_id=run_id).fetch_history()
        HISTORIES.mkdir(parents=True, exist_ok=True)
        (HISTORIES / f"{name}.json").write_text(history.to_json())
        print(f"recorded {name}.json ({len(history.events)} events)")


async def main() -> None:
    os.environ["PARTNERSHIP_DATA_DIR"] = tempfile.mkdtemp(prefix="histories-")
    from engine.bootstrap import ensure_search_attributes
    from models.search import ALL
    from worker import build_worker

    async with await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=str(BIN / "temporal"),
        search_attributes=ALL,
    ) as env:
        task_queue = f"histories-{uuid.uuid4()}"
        async with build_worker(env.client, task_queue):
            await record(env.client, await real_server(env.client, task_queue))
            await record(env.client, await archive_pass(env.client, task_queue))
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=str(BIN / "temporal-test-server")
    ) as env:
        await ensure_search_attributes(env.client, strict=True)
        task_queue = f"histories-{uuid.uuid4()}"
        async with build_worker(env.client, task_queue):
            await record(env.client, await skipping_server(env, task_queue))


if __name__ == "__main__":
    asyncio.run(main())
