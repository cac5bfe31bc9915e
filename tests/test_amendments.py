"""¶33: amendment only with the mutual written consent of both Participants."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from temporalio.service import RPCError

from activities.register import decisions, register_engine
from engine.bootstrap import start_partnership, text_sha256
from engine.keys import load_private_key
from models.amendment import (
    AmendmentConsent,
    AmendmentDecline,
    AmendmentProposal,
    AmendmentStatus,
    AmendmentSummary,
    AmendmentWithdrawal,
    CatalogueChange,
)
from models.calendar import local_midnight
from models.identities import Identity
from models.partnership import PartnershipState, Stage
from models.signing import sign
from tests.helpers import effects_done, eventually, rejected, signed, sleep_until, subjects
from workflows.amendment import AmendmentWorkflow
from workflows.partnership import PartnershipWorkflow


def proposal(by: Identity = Identity.UK, to=None, **fields) -> AmendmentProposal:
    fields.setdefault("paragraphs", [7])
    fields.setdefault("text", "The Forum will be held twice a year.")
    fields.setdefault("summary", "A second annual Forum")
    return signed(AmendmentProposal(filed_by=by, **fields), to=to)


async def propose(partnership, client, **fields):
    receipt = await partnership.execute_update(PartnershipWorkflow.propose_amendment, proposal(**fields))
    amendment = client.get_workflow_handle(receipt.amendment_id, result_type=AmendmentSummary)
    await amendment.query(AmendmentWorkflow.show)  # started and its first task done
    return receipt, amendment


def consent(amendment_id: str, by: Identity = Identity.ROK) -> AmendmentConsent:
    return signed(AmendmentConsent(filed_by=by, amendment_id=amendment_id))


async def in_force(partnership):
    status = await partnership.query(PartnershipWorkflow.status)
    return status if status.version == 2 else None


async def test_consent_of_the_other_side_brings_the_amendment_into_effect(local_env, partnership, data_dir):
    receipt, amendment = await propose(partnership, local_env.client)
    assert receipt.amendment_id == f"{partnership.id}-amendment-1"
    status = await partnership.query(PartnershipWorkflow.status)
    assert [a.amendment_id for a in status.pending_amendments] == [receipt.amendment_id]
    assert status.version == 1

    view = await amendment.execute_update(AmendmentWorkflow.consent, consent(receipt.amendment_id))
    assert view.status in (AmendmentStatus.CONSENTED, AmendmentStatus.IN_EFFECT)
    status = await eventually(lambda: in_force(partnership))
    assert [a.amendment_id for a in status.amendments_in_force] == [receipt.amendment_id]
    assert status.amendments_in_force[0].version == 2
    assert status.pending_amendments == []
    assert (await amendment.result()).status is AmendmentStatus.IN_EFFECT

    await effects_done(partnership, PartnershipWorkflow.pending_effects)
    rows = [r for r in decisions(register_engine()) if r.workflow_id == partnership.id]
    assert [(r.kind, r.paragraph) for r in rows] == [
        ("entry-into-effect", "31"),
        ("amendment-in-effect", "33"),
    ]
    assert f"Amendment {receipt.amendment_id} is in effect (text version 2)" in subjects(data_dir)


async def test_catalogue_changes_come_into_force_with_the_amendment(local_env, partnership):
    change = CatalogueChange(action="add-commitment", ref="9d", title="Satellite connectivity", area="telecoms")
    receipt, amendment = await propose(partnership, local_env.client, paragraphs=[9], catalogue_changes=[change])
    await amendment.execute_update(AmendmentWorkflow.consent, consent(receipt.amendment_id))
    status = await eventually(lambda: in_force(partnership))
    assert status.catalogue_changes == [change]
    # The same commitment cannot be added twice.
    message = await rejected(
        partnership,
        PartnershipWorkflow.propose_amendment,
        proposal(paragraphs=[9], catalogue_changes=[change]),
    )
    assert message == "commitment 9d already exists"


async def test_a_commitment_added_under_any_ref_takes_joint_actions(local_env, partnership):
    """Walkthrough 3, F5: an action under `quantum-a` (a ref with no ¶ digits) failed every task of
    the Partnership; it sits under no ¶ of the text as signed."""
    from models.joint_action import JointActionProposal
    from workflows.joint_action import JointActionWorkflow

    changes = [
        CatalogueChange(action="add-policy-area", area="quantum", title="Quantum", pillar=2),
        CatalogueChange(action="add-commitment", ref="quantum-a", title="Quantum networks", area="quantum"),
        CatalogueChange(action="retire-commitment", ref="13a"),
    ]
    receipt, amendment = await propose(partnership, local_env.client, paragraphs=[8], catalogue_changes=changes)
    await amendment.execute_update(AmendmentWorkflow.consent, consent(receipt.amendment_id))
    await eventually(lambda: in_force(partnership))
    filed = signed(JointActionProposal(filed_by=Identity.UK, ref="quantum-a", title="Testbed"), to=partnership)
    action = await partnership.execute_update(PartnershipWorkflow.propose_joint_action, filed)
    view = await local_env.client.get_workflow_handle(action.action_id).query(JointActionWorkflow.show)
    assert (view.summary.ref, view.summary.area) == ("quantum-a", "quantum")
    # A retired one is named as such, not as unknown (walkthrough 3, F7).
    retired = signed(JointActionProposal(filed_by=Identity.UK, ref="13a", title="Late"), to=partnership)
    assert await rejected(partnership, PartnershipWorkflow.propose_joint_action, retired) == (
        "commitment 13a was retired by an amendment in force (¶33); it takes no new joint action"
    )


async def test_a_response_is_the_other_sides_alone(local_env, partnership):
    receipt, amendment = await propose(partnership, local_env.client, effective_on=None)
    ident = receipt.amendment_id

    message = await rejected(amendment, AmendmentWorkflow.consent, consent(ident, by=Identity.UK))
    assert message == f"UK proposed {ident}, and its proposal is its written consent; only ROK may consent to it"

    for_other = sign(
        AmendmentConsent(filed_by=Identity.ROK, amendment_id=ident, addressed_to=ident), load_private_key(Identity.UK)
    )
    message = await rejected(amendment, AmendmentWorkflow.consent, for_other)
    assert "does not verify with the key registered for ROK" in message

    by_rok = signed(AmendmentWithdrawal(filed_by=Identity.ROK, amendment_id=ident))
    message = await rejected(amendment, AmendmentWorkflow.withdraw, by_rok)
    assert message == f"only UK, which proposed {ident}, may withdraw it"

    elsewhere = consent(f"{partnership.id}-amendment-99")
    message = await rejected(amendment, AmendmentWorkflow.consent, elsewhere)
    # Issue 11: a consent signed for another amendment is good for that one only.
    assert message.startswith(f"this AmendmentConsent is addressed to {partnership.id}-amendment-99, not to {ident}")

    no_reason = signed(AmendmentDecline(filed_by=Identity.ROK, amendment_id=ident, reason="  "))
    assert await rejected(amendment, AmendmentWorkflow.decline, no_reason) == "a decline needs a reason (--reason)"


async def test_consenting_twice_and_withdrawing_after_consent_are_rejected(local_env, partnership, data_dir):
    later = (await partnership.query(PartnershipWorkflow.status)).signatories[0].received_at.date()
    receipt, amendment = await propose(partnership, local_env.client, effective_on=later + timedelta(days=400))
    ident = receipt.amendment_id
    view = await amendment.execute_update(AmendmentWorkflow.consent, consent(ident))
    assert view.status is AmendmentStatus.CONSENTED
    assert view.effective_on == later + timedelta(days=400)

    message = await rejected(amendment, AmendmentWorkflow.consent, consent(ident))
    assert message == f"{ident} is CONSENTED; it no longer awaits a response"
    withdrawal = signed(AmendmentWithdrawal(filed_by=Identity.UK, amendment_id=ident))
    message = await rejected(amendment, AmendmentWorkflow.withdraw, withdrawal)
    assert message.startswith(f"ROK has already consented to {ident}")
    assert (await partnership.query(PartnershipWorkflow.status)).version == 1


async def test_decline_and_withdraw_end_the_proposal(local_env, partnership, data_dir):
    first, declined = await propose(partnership, local_env.client)
    decline = signed(AmendmentDecline(filed_by=Identity.ROK, amendment_id=first.amendment_id, reason="not now"))
    await declined.execute_update(AmendmentWorkflow.decline, decline)
    assert (await declined.result()).status is AmendmentStatus.DECLINED

    second, withdrawn = await propose(partnership, local_env.client, paragraphs=[28])
    withdrawal = signed(AmendmentWithdrawal(filed_by=Identity.UK, amendment_id=second.amendment_id))
    await withdrawn.execute_update(AmendmentWorkflow.withdraw, withdrawal)
    assert (await withdrawn.result()).status is AmendmentStatus.WITHDRAWN

    # An ended proposal takes no more filings.
    with pytest.raises(RPCError):
        await declined.execute_update(AmendmentWorkflow.consent, consent(first.amendment_id))

    async def both_ended():
        listed = await partnership.query(PartnershipWorkflow.amendments)
        return [a.status for a in listed] == [AmendmentStatus.DECLINED, AmendmentStatus.WITHDRAWN]

    await eventually(both_ended)
    kinds = {r.kind for r in decisions(register_engine()) if r.workflow_id in (first.amendment_id, second.amendment_id)}
    assert kinds == {"amendment-declined", "amendment-withdrawn"}
    assert (await partnership.query(PartnershipWorkflow.status)).version == 1


async def test_proposals_the_partnership_cannot_take(local_env, local_worker, partnership, keys, task_queue):
    message = await rejected(partnership, PartnershipWorkflow.propose_amendment, proposal(paragraphs=[34]))
    assert message == "¶34 does not exist; the text has ¶1–33"
    first = await partnership.execute_update(PartnershipWorkflow.propose_amendment, proposal(text="Once a year."))
    message = await rejected(partnership, PartnershipWorkflow.propose_amendment, proposal(text="Once a year."))
    assert message == f"{first.amendment_id} proposes the same wording to the same paragraphs and is open"
    message = await rejected(partnership, PartnershipWorkflow.propose_amendment, proposal(text=" "))
    assert message.startswith("the amendment has no text")
    message = await rejected(partnership, PartnershipWorkflow.propose_amendment, proposal(by=Identity.SECRETARIAT))
    assert message.startswith("only a Participant (UK or ROK) proposes an amendment")
    forged = sign(
        AmendmentProposal(filed_by=Identity.UK, paragraphs=[7], text="x", addressed_to=partnership.id),
        load_private_key(Identity.ROK),
    )
    assert "does not verify" in await rejected(partnership, PartnershipWorkflow.propose_amendment, forged)

    unsigned = await start_partnership(
        local_env.client,
        task_queue,
        f"partnership-{uuid.uuid4().hex}",
        PartnershipState(keys=keys, text_sha256=text_sha256()),
    )
    await unsigned.query(PartnershipWorkflow.status)
    message = await rejected(unsigned, PartnershipWorkflow.propose_amendment, proposal(to=unsigned))
    assert message == "the Partnership is AWAITING_SIGNATURES, not in effect; no amendment can be filed yet"


# The clock (time-skipping) ---------------------------------------------------------------------------


def lapses_at_(receipt):
    """End of the respond-by date in Seoul (ROK responds to UK's proposals)."""
    return local_midnight(receipt.respond_by + timedelta(days=1), Identity.ROK)


async def ended(amendment):
    view = await amendment.query(AmendmentWorkflow.show)
    return view if view.concluded_at else None


async def test_an_unanswered_proposal_lapses_after_reminders(time_env, skipping_partnership, data_dir):
    receipt, amendment = await propose(skipping_partnership, time_env.client)
    await sleep_until(time_env, lapses_at_(receipt) + timedelta(hours=1))
    view = await eventually(lambda: ended(amendment))
    assert view.status is AmendmentStatus.LAPSED
    assert view.reason == f"no response by {receipt.respond_by}"
    lapsed_on = view.concluded_at.astimezone(Identity.ROK and __import__("zoneinfo").ZoneInfo("Asia/Seoul")).date()
    assert lapsed_on == receipt.respond_by + timedelta(days=1)
    await effects_done(amendment, AmendmentWorkflow.pending_effects)
    reminders = [s for s in subjects(data_dir) if s.startswith(f"Reminder: amendment {receipt.amendment_id}")]
    assert len(reminders) == 2
    assert f"Amendment {receipt.amendment_id} lapsed" in subjects(data_dir)


async def test_an_amendment_takes_effect_on_the_later_date_it_names(time_env, skipping_partnership):
    now = await time_env.get_current_time()
    effective_on = (now + timedelta(days=60)).date()
    receipt, amendment = await propose(skipping_partnership, time_env.client, effective_on=effective_on)
    view = await amendment.execute_update(AmendmentWorkflow.consent, consent(receipt.amendment_id))
    assert view.status is AmendmentStatus.CONSENTED and view.effective_on == effective_on
    assert (await skipping_partnership.query(PartnershipWorkflow.status)).version == 1
    await sleep_until(time_env, local_midnight(effective_on, Identity.UK) - timedelta(minutes=1))
    assert (await amendment.query(AmendmentWorkflow.show)).status is AmendmentStatus.CONSENTED
    await sleep_until(time_env, local_midnight(effective_on, Identity.UK) + timedelta(minutes=1))
    assert (await eventually(lambda: ended(amendment))).status is AmendmentStatus.IN_EFFECT
    status = await eventually(lambda: in_force(skipping_partnership))
    assert status.amendments_in_force[0].effective_on == effective_on
    assert status.state is Stage.IN_EFFECT


def test_no_response_is_taken_once_the_respond_by_date_has_passed(keys):
    """Second review, finding 3b: a consent or decline that reaches the amendment after its
    respond-by date (a worker down across it, or a filing taken in the same task as the lapse's
    timer, which Temporal hands the workflow first) is refused: the proposal has lapsed."""
    from datetime import UTC, date, datetime

    from models.amendment import AmendmentCase, AmendmentDecline, AmendmentProposal
    from rules.p33_amendments import decline_problem, lapses_at, response_problem

    case = AmendmentCase(
        amendment_id="partnership-amendment-1",
        partnership_id="partnership",
        proposal=AmendmentProposal(filed_by=Identity.UK, paragraphs=[7], text="Twice a year."),
        proposed_at=datetime(2027, 1, 4, tzinfo=UTC),
        respond_by=date(2027, 4, 1),
        keys=keys,
    )
    consent = AmendmentConsent(filed_by=Identity.ROK, amendment_id=case.amendment_id)
    decline = AmendmentDecline(filed_by=Identity.ROK, amendment_id=case.amendment_id, reason="Not now.")
    due = lapses_at(case)
    assert response_problem(case, consent, case.amendment_id, "consent to", due - timedelta(seconds=1)) is None
    late = response_problem(case, consent, case.amendment_id, "consent to", due)
    assert late == "the respond-by date of partnership-amendment-1 (2027-04-01) has passed; it has lapsed"
    assert decline_problem(case, decline, due) == late


# Each ¶ named once (walk-through F4) ---------------------------------------------------------------


def test_a_paragraph_named_twice_is_refused_before_signing():
    """`--paragraph 30 --paragraph 30` is a slip, refused in one line before anything is signed."""
    from pydantic import ValidationError

    from cli.common import explain

    with pytest.raises(ValidationError) as refused:
        AmendmentProposal(filed_by=Identity.UK, paragraphs=[30, 7, 30], text="New wording.")
    assert explain(refused.value) == "refused before signing: paragraphs: ¶30 named twice; name each once"
    assert AmendmentProposal(filed_by=Identity.UK, paragraphs=[30, 7], text="New wording.").paragraphs == [30, 7]


async def test_a_paragraph_named_twice_sent_directly_is_rejected_and_leaves_no_trace(partnership):
    """A client that skips the model's check (model_construct) gets no further: the Update's
    argument does not decode, so it is rejected before the validator, and nothing is recorded."""
    twice = AmendmentProposal.model_construct(
        filed_by=Identity.UK, paragraphs=[30, 30], text="New wording.", summary="", catalogue_changes=[]
    )
    message = await rejected(partnership, PartnershipWorkflow.propose_amendment, signed(twice, to=partnership))
    assert message  # the SDK's "failed decoding" rejection
    assert (await partnership.query(PartnershipWorkflow.status)).pending_amendments == []


def test_the_same_amendment_is_the_same_paragraphs_in_any_order_or_repeated(keys):
    """ "The same wording to the same paragraphs" compares the ¶s as a set: an open proposal carried
    from before each ¶ had to be named once ([30, 30]) is the same as one naming ¶30 once."""
    from datetime import UTC, date, datetime

    from models.amendment import text_sha256 as wording_sha256
    from rules.p33_amendments import duplicate_proposal_problem

    def open_one(paragraphs: list[int]) -> AmendmentSummary:
        return AmendmentSummary(
            amendment_id="partnership-amendment-1",
            proposed_by=Identity.UK,
            paragraphs=paragraphs,
            summary="",
            text_sha256=wording_sha256("New wording."),
            status=AmendmentStatus.PROPOSED,
            proposed_at=datetime(2027, 1, 4, tzinfo=UTC),
            respond_by=date(2027, 4, 1),
        )

    again = AmendmentProposal(filed_by=Identity.ROK, paragraphs=[30], text="New wording.")
    for carried in ([30, 30], [30]):
        state = PartnershipState(
            keys=keys, text_sha256="0" * 64, amendments={"partnership-amendment-1": open_one(carried)}
        )
        assert duplicate_proposal_problem(state, again) == (
            "partnership-amendment-1 proposes the same wording to the same paragraphs and is open"
        )
    state = PartnershipState(keys=keys, text_sha256="0" * 64, amendments={"partnership-amendment-1": open_one([7, 30])})
    reordered = AmendmentProposal(filed_by=Identity.ROK, paragraphs=[30, 7], text="New wording.")
    assert duplicate_proposal_problem(state, reordered) is not None
    assert duplicate_proposal_problem(state, again) is None  # ¶30 alone is another amendment


def test_status_says_when_an_amendment_takes_effect_and_what_it_changes_in_the_catalogue():
    """Issue 15 and walkthrough 3 (F7, F12): a consented amendment showed "respond by" in `status`,
    and the catalogue changes in force showed in `status --json` only."""
    from datetime import UTC, date, datetime

    from models.amendment import AmendmentStatus, AmendmentSummary

    def summary(status: AmendmentStatus, **more) -> AmendmentSummary:
        return AmendmentSummary(
            amendment_id="partnership-amendment-2",
            proposed_by=Identity.UK,
            paragraphs=[7],
            summary="s",
            status=status,
            proposed_at=datetime(2027, 1, 1, tzinfo=UTC),
            respond_by=date(2027, 2, 28),
            **more,
        )

    assert summary(AmendmentStatus.PROPOSED).when() == "respond by 2027-02-28"
    assert summary(AmendmentStatus.CONSENTED, effective_on=date(2027, 3, 1)).when() == "effective 2027-03-01"
    assert summary(AmendmentStatus.IN_EFFECT, effective_on=date(2027, 3, 1), version=2).when() == (
        "in effect 2027-03-01 (v2)"
    )
    assert summary(AmendmentStatus.WITHDRAWN).when() == ""
    changes = [
        CatalogueChange(action="add-policy-area", area="quantum", title="Quantum", pillar=2),
        CatalogueChange(action="add-commitment", ref="quantum-a", title="Networks", area="quantum"),
        CatalogueChange(action="retire-commitment", ref="13a"),
    ]
    assert [c.line() for c in changes] == [
        "policy area quantum added under pillar 2: Quantum",
        "commitment quantum-a added under quantum: Networks",
        "commitment 13a retired",
    ]
