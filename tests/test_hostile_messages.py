"""Messages no filer would send (a second adversarial review): anyone with access to the namespace
can send a governed workflow a signal, and no signal may stop it. A value its rule cannot even
check is refused like any other bad message, and a workflow whose history the signals have grown
long continues as new, whichever kind it is."""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from engine.keys import load_private_key
from engine.stack import QUICK_ACKS
from models.amendment import AmendmentConsent, AmendmentStatus, AmendmentSummary
from models.calendar import local_midnight
from models.identities import Identity
from models.joint import JointWithdrawal
from models.joint_action import ActionAgreement, ActionState, WindDown
from models.limits import ENTRIES_MAX, LINE_MAX
from models.messages import AmendmentOutcome, JointWindDown, TerminationTaken
from models.partnership import Termination, TerminationNotice
from models.records import RefusedMessages
from models.search import ALL as SEARCH_ATTRIBUTES
from models.signing import public_key_text, sign
from rules.messages import earliest_effect
from tests.conftest import bootstrapped
from tests.helpers import eventually, signed
from tests.test_amendments import consent, in_force, propose
from tests.test_joint_actions import propose as propose_action
from tests.test_keyring import revocation, rotation
from worker import build_worker
from workflows.amendment import AmendmentWorkflow
from workflows.handlers import ASKS_MAX, message_problem
from workflows.joint_action import JointActionWorkflow
from workflows.partnership import PartnershipWorkflow

pytestmark = pytest.mark.timeout(120)


def failed_tasks(history) -> int:
    return sum(e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED for e in history.events)


async def refusals(handle) -> int:
    return (await handle.query(JointActionWorkflow.refused_messages)).count


def termination(notice: TerminationNotice, **fields) -> TerminationTaken:
    """A termination as the Partnership would send it, with `fields` set as no rule would let them
    be (built without validation, as a hand-written JSON payload is)."""
    values = {
        "given_by": Identity.UK,
        "recipient": Identity.ROK,
        "filing_id": notice.filing_id,
        "received_at": datetime(2026, 1, 1, tzinfo=UTC),
        "effective_on": date(2026, 7, 2),
        "effective_at": datetime(2026, 7, 1, 15, tzinfo=UTC),
    }
    return TerminationTaken.model_construct(notice=notice, termination=Termination.model_construct(**values | fields))


async def test_a_termination_no_rule_could_check_stops_no_joint_action(local_env, partnership):
    """F2: a genuine undated notice copied from the history, sent with year 1 as its date (Seoul's
    midnight of it is before the calendar begins) or to the SECRETARIAT (which has no time zone),
    failed every workflow task of the action it reached."""
    action = await propose_action(partnership, local_env.client)
    notice = await partnership.execute_update(
        PartnershipWorkflow.give_termination_notice, signed(TerminationNotice(filed_by=Identity.UK), to=partnership)
    )
    assert notice is not None
    genuine = signed(TerminationNotice(filed_by=Identity.UK), to=partnership)
    year_one = termination(genuine, effective_on=date(1, 1, 1), effective_at=datetime(1, 1, 1, tzinfo=UTC))
    to_secretariat = termination(genuine, recipient=Identity.SECRETARIAT)
    before = await refusals(action)
    await action.signal(JointActionWorkflow.partnership_terminated, year_one)  # does not decode: dropped
    await action.signal(JointActionWorkflow.partnership_terminated, to_secretariat)
    await eventually(lambda: refusals_above(action, before))
    refused = (await action.query(JointActionWorkflow.refused_messages)).latest
    assert [r.signal for r in refused] == ["partnership_terminated"]
    assert "is given to ROK, not SECRETARIAT" in refused[-1].reason

    await action.execute_update(
        JointActionWorkflow.agree, signed(ActionAgreement(filed_by=Identity.ROK, action_id=action.id), to=action)
    )
    view = await action.query(JointActionWorkflow.show)
    assert view.summary.state is ActionState.ACTIVE and view.partnership_terminated_on is None
    assert failed_tasks(await action.fetch_history()) == 0


async def refusals_above(handle, before: int) -> bool:
    return await refusals(handle) > before


def test_a_rule_that_cannot_check_a_message_refuses_it_and_a_defect_of_ours_stays_loud():
    def raises(_wf, _message):
        return date(1, 1, 1) - date(2, 1, 1) + date.min  # OverflowError, as a message's date can cause

    said = message_problem(raises, None, object())
    assert said is not None and said.startswith("its contents cannot be checked (OverflowError")

    def restricted(_wf, _message):
        raise workflow.NondeterminismError("a rule that reads the clock")

    with pytest.raises(workflow.NondeterminismError):
        message_problem(restricted, None, object())


@pytest.fixture
async def suggesting_env(data_dir: Path):
    """A dev server of this test's own that suggests continuing as new after 60 events (Temporal's
    default is 4,096: as many refused signals as an outsider cares to send)."""
    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
        search_attributes=SEARCH_ATTRIBUTES,
        dev_server_extra_args=[*QUICK_ACKS, "--dynamic-config-value", "limit.historyCount.suggestContinueAsNew=60"],
    )
    try:
        yield env
    finally:
        await env.shutdown()


async def test_signals_that_grow_a_history_long_never_stop_an_amendment_or_a_joint_action(suggesting_env):
    """F3: an amendment told to continue as new failed every task (it had no state to carry)."""
    env = suggesting_env
    task_queue = f"tq-{uuid.uuid4()}"
    async with build_worker(env.client, task_queue, cold=False):
        partnership = await bootstrapped(env, task_queue)
        receipt, amendment = await propose(partnership, env.client)
        action = await propose_action(partnership, env.client)
        unsigned = TerminationNotice(filed_by=Identity.UK, addressed_to=partnership.id)
        for handle in (amendment, action):
            first_run = (await handle.describe()).run_id
            for _ in range(40):  # each refused and counted, each adding to the history
                await handle.signal("partnership_terminated", termination(unsigned))

            async def continued(handle=handle, first_run=first_run) -> bool:
                return (await env.client.get_workflow_handle(handle.id).describe()).run_id != first_run

            await eventually(continued, timeout=60)
            latest = env.client.get_workflow_handle(handle.id)
            assert (await latest.query(AmendmentWorkflow.refused_messages)).count >= 1
            assert failed_tasks(await latest.fetch_history()) == 0

        amendment = env.client.get_workflow_handle(receipt.amendment_id, result_type=AmendmentSummary)
        await amendment.execute_update(AmendmentWorkflow.consent, consent(receipt.amendment_id))
        assert (await amendment.result()).status is AmendmentStatus.IN_EFFECT
        action = env.client.get_workflow_handle(action.id)
        await action.execute_update(
            JointActionWorkflow.agree, signed(ActionAgreement(filed_by=Identity.ROK, action_id=action.id), to=action)
        )
        assert (await action.query(JointActionWorkflow.show)).summary.state is ActionState.ACTIVE


async def test_a_consent_signed_with_a_retired_key_and_sent_by_hand_brings_no_amendment_into_effect(
    local_env, partnership
):
    """F1: the Partnership took a consent carried in a hand-sent `amendment_changed` if any key its
    filer ever held verified it, so the key a Participant lost (revoked) or rotated away still
    consented for it. A consent first told of must be signed with a key valid as it is told."""
    client = local_env.client
    uk, rok = load_private_key(Identity.UK), load_private_key(Identity.ROK)
    by_uk, _ = await propose(partnership, client)  # ROK is to respond
    by_rok, _ = await propose(partnership, client, by=Identity.ROK, paragraphs=[20])  # UK is to respond
    uk2, rok2 = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    lost = revocation(Identity.ROK, rok, Identity.UK, public_key_text(uk), uk2, to=partnership.id)
    await partnership.execute_update(PartnershipWorkflow.revoke_key, lost)
    await partnership.execute_update(
        PartnershipWorkflow.rotate_key, rotation(Identity.ROK, rok, rok2, to=partnership.id)
    )

    async def forged(receipt, by: Identity, key) -> str:
        [known] = [
            a for a in await partnership.query(PartnershipWorkflow.amendments) if a.amendment_id == receipt.amendment_id
        ]
        consented = known.model_copy(
            update={"status": AmendmentStatus.CONSENTED, "effective_on": earliest_effect(known)}
        )
        instrument = sign(
            AmendmentConsent(filed_by=by, amendment_id=known.amendment_id, addressed_to=known.amendment_id), key
        )
        before = (await partnership.query(PartnershipWorkflow.refused_messages)).count
        await partnership.signal(
            PartnershipWorkflow.amendment_changed, AmendmentOutcome(summary=consented, consent=instrument)
        )
        refused = await eventually(lambda: refused_since(partnership, before))
        return refused.reason

    assert "revoked on" in await forged(by_rok, Identity.UK, uk)
    assert "replaced by rotation on" in await forged(by_uk, Identity.ROK, rok)
    assert {a.status for a in await partnership.query(PartnershipWorkflow.amendments)} == {AmendmentStatus.PROPOSED}

    # The genuine consent, with the key ROK holds now, still brings its amendment into effect.
    amendment = client.get_workflow_handle(by_uk.amendment_id, result_type=AmendmentSummary)
    genuine = sign(AmendmentConsent(filed_by=Identity.ROK, amendment_id=amendment.id, addressed_to=amendment.id), rok2)
    await amendment.execute_update(AmendmentWorkflow.consent, genuine)
    status = await eventually(lambda: in_force(partnership))
    assert [a.amendment_id for a in status.amendments_in_force] == [by_uk.amendment_id]


async def refused_since(partnership, before: int):
    refused = await partnership.query(PartnershipWorkflow.refused_messages)
    return refused.latest[-1] if refused.count > before else None


def test_a_flood_of_refused_messages_logs_one_line_a_task_and_keeps_a_few():
    """F4: four thousand refused signals in one workflow task logged four thousand warnings, a
    quarter of the task's time, and the task ran past the SDK's two seconds: it failed on every
    attempt. Each is still counted; one line is logged per task, and only the latest few are kept."""
    refused, task, next_task = RefusedMessages(), datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    first = [refused.add("partnership_terminated", task, "it carries no notice") for _ in range(4000)]
    assert first == [True] + [False] * 3999
    assert refused.add("wound_down", next_task, "x" * 10_000) is True
    assert refused.count == 4001 and len(refused.latest) == ENTRIES_MAX
    assert refused.latest[-1].signal == "wound_down" and len(refused.latest[-1].reason) == LINE_MAX


async def test_a_wind_down_one_side_withdrew_ends_no_joint_action_when_sent_by_hand(local_env, partnership):
    """F5: UK filed a wind-down and withdrew it; ROK then filed the same. Nothing was decided, yet
    both genuine instruments, copied from the history into a hand-sent `wound_down`, ended the
    action: each verified. The action now acts on the message only once the Partnership says it
    took that decision; a genuine undated notice sent as a termination is likewise refused while
    the Partnership has not terminated."""
    action = await propose_action(partnership, local_env.client)
    uk = signed(WindDown(filed_by=Identity.UK, actions=[action.id], reason="pause"), to=partnership)
    await partnership.execute_update(PartnershipWorkflow.wind_down, uk)
    withdrawal = JointWithdrawal(filed_by=Identity.UK, decision="wind-down", withdraws=uk.filing_id)
    await partnership.execute_update(PartnershipWorkflow.withdraw_joint_filing, signed(withdrawal, to=partnership))
    rok = signed(WindDown(filed_by=Identity.ROK, actions=[action.id], reason="pause"), to=partnership)
    await partnership.execute_update(PartnershipWorkflow.wind_down, rok)  # awaits UK's again

    notice = signed(TerminationNotice(filed_by=Identity.UK), to=partnership)
    await partnership.execute_update(PartnershipWorkflow.give_termination_notice, notice)
    now = datetime.now(UTC)
    taken = termination(notice, effective_on=now.date(), effective_at=local_midnight(now.date(), Identity.ROK))

    before = await refusals(action)
    await action.signal(JointActionWorkflow.wound_down, JointWindDown(filings=[uk, rok]))
    await action.signal(JointActionWorkflow.partnership_terminated, taken)
    await eventually(lambda: refusals_above(action, before + 1))
    refused = (await action.query(JointActionWorkflow.refused_messages)).latest[-2:]
    assert {r.signal for r in refused} == {"wound_down", "partnership_terminated"}
    assert {r.reason for r in refused} == {f"{partnership.id} took no decision on these instruments"}
    view = await action.query(JointActionWorkflow.show)
    assert view.summary.state is ActionState.PROPOSED and view.partnership_terminated_on is None

    # The decision the Partnership does take ends it, through the same check.
    again = signed(WindDown(filed_by=Identity.UK, actions=[action.id], reason="pause"), to=partnership)
    assert await partnership.execute_update(PartnershipWorkflow.wind_down, again) == []

    async def discontinued():
        return (await action.query(JointActionWorkflow.show)).summary.state is ActionState.DISCONTINUED

    await eventually(discontinued)


async def test_copies_of_one_message_ask_its_sender_once(local_env, data_dir):
    """A flood of copies of one message, all passing their rule, would each ask the Partnership (an
    activity each), past the pending activities a workflow may have (review 5: copies differing in
    fields no rule reads, too): while one ask about that decision is pending, a copy is refused and
    the ask is made once more if the answer is no. The copies arrive while no worker runs, so all
    in one task."""
    task_queue = f"tq-{uuid.uuid4()}"
    async with build_worker(local_env.client, task_queue, cold=False):
        partnership = await bootstrapped(local_env, task_queue)
        action = await propose_action(partnership, local_env.client)
        uk = signed(WindDown(filed_by=Identity.UK, actions=[action.id], reason="pause"), to=partnership)
        rok = signed(WindDown(filed_by=Identity.ROK, actions=[action.id], reason="pause"), to=partnership)
        await partnership.execute_update(PartnershipWorkflow.wind_down, uk)
        withdrawal = JointWithdrawal(filed_by=Identity.UK, decision="wind-down", withdraws=uk.filing_id)
        await partnership.execute_update(PartnershipWorkflow.withdraw_joint_filing, signed(withdrawal, to=partnership))
    for _ in range(50):
        await action.signal(JointActionWorkflow.wound_down, JointWindDown(filings=[uk, rok]))
    async with build_worker(local_env.client, task_queue, cold=False):
        await eventually(lambda: refusals_above(action, 49))
        reasons = [r.reason for r in (await action.query(JointActionWorkflow.refused_messages)).latest]
    # One ask, and once more for the copies that came meanwhile (the genuine one may be among them).
    assert len(await asks(action)) == 2
    assert reasons[-1] == f"{partnership.id} took no decision on these instruments"
    assert set(reasons[:-1]) == {f"the same decision already awaits {partnership.id}'s word"}

    # Copies that differ where no rule looks (a termination's reminders) are one decision too; one
    # date after another are as many decisions, but only ASKS_MAX await an answer at once.
    notice = signed(TerminationNotice(filed_by=Identity.UK), to=partnership)
    day = datetime.now(UTC).date()
    for n in range(30):
        variant = termination(
            notice, reminders_sent=[f"r{n}"], effective_on=day, effective_at=local_midnight(day, Identity.ROK)
        )
        await action.signal(JointActionWorkflow.partnership_terminated, variant)
    for n in range(1, 40):
        on = day - timedelta(days=n)
        await action.signal(
            JointActionWorkflow.partnership_terminated,
            termination(notice, effective_on=on, effective_at=local_midnight(on, Identity.ROK)),
        )
    before = len(await asks(action))
    async with build_worker(local_env.client, task_queue, cold=False):
        await eventually(lambda: refusals_above(action, 49 + 30 + 39))
        assert (await action.query(JointActionWorkflow.show)).partnership_terminated_on is None
    assert len(await asks(action)) - before <= 2 * ASKS_MAX


async def asks(action) -> list:
    """The check_sender activities a workflow's history scheduled."""
    return [
        e
        for e in (await action.fetch_history()).events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name == "check_sender"
    ]


async def test_an_ask_gives_up_at_once_when_its_worker_stops():
    """Review 10: the sender's answer comes from a workflow on the same worker, which stops answering
    as the worker stops; an ask in flight held every stop for the whole shutdown grace."""
    import asyncio
    from types import SimpleNamespace

    from temporalio.testing import ActivityEnvironment

    from activities.children import check_sender
    from models.records import SenderCheck

    async def never_answered(*args, **kwargs):
        await asyncio.Event().wait()

    client = SimpleNamespace(get_workflow_handle=lambda workflow_id: SimpleNamespace(query=never_answered))
    env = ActivityEnvironment(client=client)  # type: ignore[arg-type]
    ask = SenderCheck(signal="wound_down", sender="partnership", instruments=["i"], message={})
    asking = asyncio.ensure_future(env.run(check_sender, ask))
    await asyncio.sleep(0.05)
    env.worker_shutdown()
    with pytest.raises(RuntimeError, match="the worker is stopping: asked again once a worker runs"):
        await asyncio.wait_for(asking, timeout=5)
