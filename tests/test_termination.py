"""¶31: the Partnership ends only after at least six months' written notice, counted in calendar
months from receipt in the recipient's time zone; the notice may be withdrawn before it takes
effect. ¶32 for joint actions is exercised where joint actions live."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError

from activities.register import decisions, register_engine
from models.amendment import AmendmentProposal, AmendmentStatus
from models.calendar import local_midnight
from models.identities import Identity
from models.partnership import Stage, TerminationNotice
from rules.common import add_months
from rules.p31_signature_and_termination import earliest_termination_date
from tests.helpers import effects_done, eventually, rejected, signed, sleep_until, subjects, withdrawal
from workflows.amendment import AmendmentWorkflow
from workflows.partnership import PartnershipWorkflow

# The date rule --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_by", "received", "earliest", "effective_at"),
    [
        # UK gives notice; received in Seoul on 31 Aug; 31 Feb clamps to 28 Feb; 00:00 KST.
        (Identity.UK, "2026-08-31T12:00Z", "2027-02-28", "2027-02-27T15:00Z"),
        # Already 1 Sep in Seoul.
        (Identity.UK, "2026-08-31T16:00Z", "2027-03-01", "2027-02-28T15:00Z"),
        # ROK gives notice; still 31 Aug in London (BST); effect at 00:00 GMT.
        (Identity.ROK, "2026-08-31T20:00Z", "2027-02-28", "2027-02-28T00:00Z"),
        # A leap year keeps 29 Feb.
        (Identity.ROK, "2027-08-31T10:00Z", "2028-02-29", "2028-02-29T00:00Z"),
    ],
)
def test_six_calendar_months_from_receipt_in_the_recipients_time_zone(given_by, received, earliest, effective_at):
    recipient = Identity.ROK if given_by is Identity.UK else Identity.UK
    on = earliest_termination_date(datetime.fromisoformat(received), recipient)
    assert on == date.fromisoformat(earliest)
    assert local_midnight(on, recipient) == datetime.fromisoformat(effective_at)


def test_add_months_clamps_and_goes_backwards():
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2027, 5, 31), -3) == date(2027, 2, 28)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)


# Rejections leave no trace (real dev server) -----------------------------------------------------------


async def test_a_notice_naming_a_date_too_early_is_rejected_with_the_earliest_date(partnership):
    earliest = earliest_termination_date(datetime.now(UTC), Identity.ROK)
    too_early = TerminationNotice(filed_by=Identity.UK, effective_on=earliest - timedelta(days=1))
    message = await rejected(partnership, PartnershipWorkflow.give_termination_notice, signed(too_early))
    assert f"the earliest permissible date is {earliest}" in message
    assert (await partnership.query(PartnershipWorkflow.status)).state is Stage.IN_EFFECT


async def test_each_participant_may_have_one_notice_pending_and_withdraws_only_its_own(partnership):
    """Decided (DESIGN §1): ¶31 gives either Participant the right, so UK's far-off notice does
    not suspend ROK's; the earliest pending notice is the one that will take effect."""
    far = await partnership.execute_update(
        PartnershipWorkflow.give_termination_notice,
        signed(TerminationNotice(filed_by=Identity.UK, effective_on=date(2099, 1, 1)), to=partnership),
    )
    near = await partnership.execute_update(
        PartnershipWorkflow.give_termination_notice, signed(TerminationNotice(filed_by=Identity.ROK), to=partnership)
    )
    assert near.effective_on == near.earliest_effective_on < far.effective_on
    status = await partnership.query(PartnershipWorkflow.status)
    assert status.state is Stage.TERMINATION_PENDING and status.termination.given_by is Identity.ROK
    assert [(t.given_by, t.effective_on) for t in status.termination_notices] == [
        (Identity.ROK, near.effective_on),
        (Identity.UK, date(2099, 1, 1)),
    ]

    second = signed(TerminationNotice(filed_by=Identity.UK))
    message = await rejected(partnership, PartnershipWorkflow.give_termination_notice, second)
    assert message.startswith("UK already has a termination notice pending (effective 2099-01-01)")

    await partnership.execute_update(
        PartnershipWorkflow.withdraw_termination_notice,
        signed(await withdrawal(partnership, Identity.ROK), to=partnership),
    )
    status = await partnership.query(PartnershipWorkflow.status)
    assert status.state is Stage.TERMINATION_PENDING and status.termination.given_by is Identity.UK
    by_other = signed(await withdrawal(partnership, Identity.ROK))
    message = await rejected(partnership, PartnershipWorkflow.withdraw_termination_notice, by_other)
    assert message == "ROK has no notice pending; only UK, which gave one, may withdraw it"

    await partnership.execute_update(
        PartnershipWorkflow.withdraw_termination_notice,
        signed(await withdrawal(partnership, Identity.UK), to=partnership),
    )
    assert (await partnership.query(PartnershipWorkflow.status)).state is Stage.IN_EFFECT
    again = signed(await withdrawal(partnership, Identity.UK))
    message = await rejected(partnership, PartnershipWorkflow.withdraw_termination_notice, again)
    assert message == "no termination notice is pending; there is nothing to withdraw"


async def test_the_partnership_ends_at_the_earliest_pending_notice(time_env, skipping_partnership):
    handle = skipping_partnership
    today = (await time_env.get_current_time()).date()
    await handle.execute_update(
        PartnershipWorkflow.give_termination_notice,
        signed(TerminationNotice(filed_by=Identity.UK, effective_on=today.replace(year=today.year + 5)), to=handle),
    )
    near = await handle.execute_update(
        PartnershipWorkflow.give_termination_notice, signed(TerminationNotice(filed_by=Identity.ROK), to=handle)
    )
    await sleep_until(time_env, near.effective_at + timedelta(minutes=1))

    async def terminated():
        return (await handle.query(PartnershipWorkflow.status)).state is Stage.TERMINATED

    await eventually(terminated)
    status = await handle.query(PartnershipWorkflow.status)
    assert status.termination.given_by is Identity.ROK and status.termination.effective_on == near.effective_on
    assert status.termination_notices == []


async def test_the_same_signed_notice_cannot_be_presented_twice(partnership):
    notice = signed(TerminationNotice(filed_by=Identity.UK))
    await partnership.execute_update(PartnershipWorkflow.give_termination_notice, notice)
    await partnership.execute_update(
        PartnershipWorkflow.withdraw_termination_notice,
        signed(await withdrawal(partnership, Identity.UK), to=partnership),
    )
    message = await rejected(partnership, PartnershipWorkflow.give_termination_notice, notice)
    assert f"filing {notice.filing_id} was already received" in message


async def test_the_secretariat_gives_no_notice(partnership):
    notice = signed(TerminationNotice(filed_by=Identity.SECRETARIAT))
    message = await rejected(partnership, PartnershipWorkflow.give_termination_notice, notice)
    assert message.startswith("only a Participant (UK or ROK) gives notice of termination")


# The durable timer (time-skipping) -----------------------------------------------------------------------


async def test_six_months_pass_and_the_partnership_ends_on_the_right_instant(time_env, skipping_partnership, data_dir):
    handle = skipping_partnership
    open_proposal = await handle.execute_update(
        PartnershipWorkflow.propose_amendment,
        signed(
            AmendmentProposal(filed_by=Identity.ROK, paragraphs=[7], text="x", respond_by=date(2099, 1, 1)), to=handle
        ),
    )
    receipt = await handle.execute_update(
        PartnershipWorkflow.give_termination_notice, signed(TerminationNotice(filed_by=Identity.UK), to=handle)
    )
    assert receipt.effective_on == earliest_termination_date(receipt.received_at, Identity.ROK)
    assert receipt.effective_at == local_midnight(receipt.effective_on, Identity.ROK)
    status = await handle.query(PartnershipWorkflow.status)
    assert status.state is Stage.TERMINATION_PENDING
    assert status.termination.given_by is Identity.UK

    def reminders() -> list[str]:
        return [s for s in subjects(data_dir) if s.startswith("Reminder: the Partnership terminates")]

    three_months = local_midnight(add_months(receipt.effective_on, -3), Identity.ROK)
    await sleep_until(time_env, three_months - timedelta(minutes=1))
    assert reminders() == []
    await sleep_until(time_env, three_months + timedelta(minutes=1))
    await eventually(lambda: len(reminders()) == 1)
    assert "in 3 months" in reminders()[0]

    one_month = local_midnight(add_months(receipt.effective_on, -1), Identity.ROK)
    await sleep_until(time_env, one_month + timedelta(minutes=1))
    await eventually(lambda: len(reminders()) == 2)
    one_week = local_midnight(receipt.effective_on - timedelta(days=7), Identity.ROK)
    await sleep_until(time_env, one_week + timedelta(minutes=1))
    await eventually(lambda: len(reminders()) == 3)

    await sleep_until(time_env, receipt.effective_at - timedelta(minutes=1))
    assert (await handle.query(PartnershipWorkflow.status)).state is Stage.TERMINATION_PENDING
    await sleep_until(time_env, receipt.effective_at + timedelta(minutes=1))

    async def terminated():
        return (await handle.query(PartnershipWorkflow.status)).state is Stage.TERMINATED

    await eventually(terminated)
    await effects_done(handle, PartnershipWorkflow.pending_effects)
    rows = [r for r in decisions(register_engine()) if r.workflow_id == handle.id]
    assert [r.kind for r in rows] == ["entry-into-effect", "termination-notice", "termination"]
    ended = rows[-1].decided_at
    assert receipt.effective_at <= ended < receipt.effective_at + timedelta(minutes=1)
    assert f"The UK-RoK Digital Partnership terminated on {receipt.effective_on}" in subjects(data_dir)

    # After termination nothing more is filed, and the message says why; open proposals lapse.
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update(
            PartnershipWorkflow.give_termination_notice, signed(TerminationNotice(filed_by=Identity.ROK), to=handle)
        )
    assert f"the Partnership terminated on {receipt.effective_on}" in caught.value.cause.message
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update(
            PartnershipWorkflow.propose_amendment,
            signed(AmendmentProposal(filed_by=Identity.UK, paragraphs=[7], text="x"), to=handle),
        )
    assert caught.value.cause.message == (
        f"the Partnership terminated on {receipt.effective_on}; no amendment can be filed after termination"
    )
    lapsed = time_env.client.get_workflow_handle(open_proposal.amendment_id)

    async def lapsed_view():
        view = await lapsed.query(AmendmentWorkflow.show)
        return view if view.status is AmendmentStatus.LAPSED else None

    view = await eventually(lapsed_view)
    assert view.reason == f"the Partnership terminated on {receipt.effective_on}"


async def test_withdrawal_in_month_five_keeps_the_partnership_in_effect(time_env, skipping_partnership, data_dir):
    handle = skipping_partnership
    receipt = await handle.execute_update(
        PartnershipWorkflow.give_termination_notice, signed(TerminationNotice(filed_by=Identity.ROK), to=handle)
    )
    assert receipt.effective_at == local_midnight(receipt.effective_on, Identity.UK)
    await sleep_until(time_env, receipt.received_at + timedelta(days=150))
    status = await handle.execute_update(
        PartnershipWorkflow.withdraw_termination_notice, signed(await withdrawal(handle, Identity.ROK), to=handle)
    )
    assert status.state is Stage.IN_EFFECT and status.termination is None
    await sleep_until(time_env, receipt.effective_at + timedelta(days=2))
    status = await handle.query(PartnershipWorkflow.status)
    assert status.state is Stage.IN_EFFECT
    await effects_done(handle, PartnershipWorkflow.pending_effects)
    kinds = [r.kind for r in decisions(register_engine()) if r.workflow_id == handle.id]
    assert kinds == ["entry-into-effect", "termination-notice", "termination-notice-withdrawn"]
    assert not any("terminated on" in s for s in subjects(data_dir))
