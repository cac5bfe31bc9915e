"""Forged messages between workflows (an adversarial review's findings): anyone with access to the
namespace can send the Partnership any signal, with no key of ours. A child's roll-up is taken only
within bounds that keep the Partnership runnable, never takes a right away (a wind-down may still
name the action), and an amendment's outcome is taken only as its own workflow would reach it: not
in effect before the date it asked for, and never changed once it has an outcome."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.contrib.pydantic import pydantic_data_converter

from models.amendment import AmendmentConsent, AmendmentStatus
from models.identities import Identity
from models.joint_action import ActionState, WindDown
from models.messages import AmendmentOutcome
from tests.helpers import effects_done, eventually, signed, sleep_until
from tests.test_amendments import consent, in_force, propose
from tests.test_joint_actions import agreed
from workflows.amendment import AmendmentWorkflow
from workflows.joint_action import JointActionWorkflow
from workflows.partnership import PartnershipWorkflow

pytestmark = pytest.mark.timeout(120)


async def refusals(partnership) -> int:
    return (await partnership.query(PartnershipWorkflow.refused_messages)).count


async def consent_from_history(amendment) -> AmendmentConsent:
    """The genuine consent, as anyone who can read the amendment's history can copy it."""
    accepted = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    [event] = [e for e in (await amendment.fetch_history()).events if e.event_type == accepted]
    payload = event.workflow_execution_update_accepted_event_attributes.accepted_request.input.args.payloads[0]
    return pydantic_data_converter.payload_converter.from_payload(payload, AmendmentConsent)


async def test_a_copied_consent_cannot_bring_an_amendment_into_effect_before_its_date(time_env, skipping_partnership):
    now = await time_env.get_current_time()
    receipt, amendment = await propose(
        skipping_partnership, time_env.client, effective_on=(now + timedelta(days=400)).date()
    )
    await amendment.execute_update(AmendmentWorkflow.consent, consent(receipt.amendment_id))
    await effects_done(skipping_partnership, PartnershipWorkflow.pending_effects)
    [known] = await skipping_partnership.query(PartnershipWorkflow.amendments)
    assert known.status is AmendmentStatus.CONSENTED
    forged = AmendmentOutcome(
        summary=known.model_copy(
            update={"status": AmendmentStatus.IN_EFFECT, "effective_on": now.date() - timedelta(days=3)}
        ),
        consent=await consent_from_history(amendment),
    )
    before = await refusals(skipping_partnership)
    await skipping_partnership.signal(PartnershipWorkflow.amendment_changed, forged)
    await eventually(lambda: refusals_above(skipping_partnership, before))
    status = await skipping_partnership.query(PartnershipWorkflow.status)
    assert status.version == 1 and not status.amendments_in_force
    [still] = await skipping_partnership.query(PartnershipWorkflow.amendments)
    assert still.status is AmendmentStatus.CONSENTED and still.effective_on == known.effective_on


async def refusals_above(partnership, before: int) -> bool:
    return await refusals(partnership) > before


async def test_an_amendment_in_force_cannot_be_relabelled_lapsed(time_env, skipping_partnership):
    receipt, amendment = await propose(skipping_partnership, time_env.client)
    await amendment.execute_update(AmendmentWorkflow.consent, consent(receipt.amendment_id))
    status = await eventually(lambda: in_force(skipping_partnership))
    [known] = status.amendments_in_force
    await sleep_until(time_env, await time_env.get_current_time() + timedelta(days=100))  # respond-by passed
    before = await refusals(skipping_partnership)
    lapsed = AmendmentOutcome(summary=known.model_copy(update={"status": AmendmentStatus.LAPSED}))
    await skipping_partnership.signal(PartnershipWorkflow.amendment_changed, lapsed)
    await eventually(lambda: refusals_above(skipping_partnership, before))
    status = await skipping_partnership.query(PartnershipWorkflow.status)
    assert [a.amendment_id for a in status.amendments_in_force] == [receipt.amendment_id]


async def test_a_forged_roll_up_neither_grows_the_state_nor_takes_a_right_away(local_env, partnership):
    action = await agreed(partnership, local_env.client)
    await effects_done(partnership, PartnershipWorkflow.pending_effects)
    [genuine] = await partnership.query(PartnershipWorkflow.actions)
    assert genuine.state is ActionState.ACTIVE
    # Over every bound: a title of a megabyte, a change count out of any later report's reach.
    # Temporal cannot decode either into the roll-up's type and drops the signal.
    for oversize in ({"title": "x" * 1_200_000}, {"seq": 2**62}):
        await partnership.signal("action_changed", {**genuine.model_dump(mode="json"), **oversize})
    # Within bounds, a forged roll-up can still change what is shown ...
    closed = genuine.model_copy(
        update={"state": ActionState.DISCONTINUED, "seq": genuine.seq + 1, "title": "Renamed", "area": "elsewhere"}
    )
    await partnership.signal(PartnershipWorkflow.action_changed, closed)

    async def shown_closed():
        [shown] = await partnership.query(PartnershipWorkflow.actions)
        return shown.state is ActionState.DISCONTINUED

    await eventually(shown_closed)
    [shown] = await partnership.query(PartnershipWorkflow.actions)
    assert (shown.title, shown.area) == (genuine.title, genuine.area)  # what the proposal set stays
    # ... but not what the Participants may do: a ¶32 wind-down may still name the action, and the
    # action itself, still ongoing, takes it.
    for side in (Identity.UK, Identity.ROK):
        filing = signed(WindDown(filed_by=side, actions=[action.id]), to=partnership)
        await partnership.execute_update(PartnershipWorkflow.wind_down, filing)

    async def discontinued():
        return (await action.query(JointActionWorkflow.show)).summary.state is ActionState.DISCONTINUED

    await eventually(discontinued)

    # A close is final: a report re-opening the action (which would count against the cap on open
    # actions) changes nothing.
    reopened = genuine.model_copy(update={"seq": genuine.seq + 5})
    await partnership.signal(PartnershipWorkflow.action_changed, reopened)
    await partnership.signal(PartnershipWorkflow.action_changed, reopened.model_copy(update={"action_id": "nope"}))
    await eventually(lambda: refusals_above(partnership, 0))  # the second, handled after the first
    [shown] = await partnership.query(PartnershipWorkflow.actions)
    assert shown.state is ActionState.DISCONTINUED


async def test_a_forged_count_of_changes_cannot_hold_a_child_open(local_env, partnership):
    """A roll-up claiming more changes than the child made holds what is shown, but not the close:
    the child's own close lands whatever its count (a consultation held open for good would count
    against the cap on open consultations, and refuse genuine requests)."""
    from models.consultation import ConsultationRequest, ConsultationWithdrawal
    from models.limits import SEQ_MAX
    from workflows.consultation import ConsultationWorkflow

    request = ConsultationRequest(filed_by=Identity.UK, about="28", summary="Costs")
    receipt = await partnership.execute_update(PartnershipWorkflow.open_consultation, signed(request, to=partnership))
    await effects_done(partnership, PartnershipWorkflow.pending_effects)
    [genuine] = await partnership.query(PartnershipWorkflow.consultations)
    await partnership.signal(PartnershipWorkflow.consultation_changed, genuine.model_copy(update={"seq": SEQ_MAX}))
    consultation = local_env.client.get_workflow_handle(receipt.consultation_id)
    withdrawal = ConsultationWithdrawal(filed_by=Identity.UK, consultation_id=receipt.consultation_id)
    await consultation.execute_update(ConsultationWorkflow.withdraw, signed(withdrawal, to=consultation))

    async def closed():
        [shown] = await partnership.query(PartnershipWorkflow.consultations)
        return shown.state != "OPEN"

    await eventually(closed)


def test_an_amendment_report_is_taken_only_as_its_workflow_would_reach_it(keys):
    """The outcome rule itself (second review, finding 4): from PROPOSED, not in effect before the
    date the proposal asked for, whatever consent it carries; from CONSENTED, only in effect on its
    date, or lapsed by the Partnership's termination; an outcome is final."""
    from datetime import UTC, date, datetime

    from models.amendment import AmendmentSummary
    from models.keyring import KeyRing
    from rules.messages import amendment_outcome_problem

    ident, now = "partnership-amendment-1", datetime(2027, 3, 1, tzinfo=UTC)
    ring = KeyRing.model_validate(keys)
    proposed = AmendmentSummary(
        amendment_id=ident,
        proposed_by=Identity.UK,
        paragraphs=[7],
        summary="Twice a year",
        status=AmendmentStatus.PROPOSED,
        proposed_at=datetime(2027, 1, 4, tzinfo=UTC),
        respond_by=date(2027, 4, 1),
        requested_effective_on=date(2027, 2, 1),
    )
    given = signed(AmendmentConsent(filed_by=Identity.ROK, amendment_id=ident))

    def problem(known, status, **fields):
        outcome = AmendmentOutcome(summary=known.model_copy(update={"status": status, **fields}), consent=given)
        return amendment_outcome_problem(known, outcome, ring, now, terminated=False)

    early = problem(proposed, AmendmentStatus.IN_EFFECT, effective_on=date(2027, 1, 20))
    assert early == f"amendment {ident} cannot take effect before 2027-02-01"
    assert problem(proposed, AmendmentStatus.IN_EFFECT, effective_on=date(2027, 2, 1)) is None
    consented = proposed.model_copy(update={"status": AmendmentStatus.CONSENTED, "effective_on": date(2027, 2, 1)})
    moved = problem(consented, AmendmentStatus.IN_EFFECT, effective_on=date(2027, 2, 2))
    assert moved == f"amendment {ident} takes effect on 2027-02-01, not 2027-02-02"
    for other in (AmendmentStatus.WITHDRAWN, AmendmentStatus.DECLINED):
        assert problem(consented, other) == f"amendment {ident} is CONSENTED; it cannot become {other}"
    late = now.replace(year=2028)  # long past the respond-by date
    lapse = AmendmentOutcome(summary=consented.model_copy(update={"status": AmendmentStatus.LAPSED}))
    refused = amendment_outcome_problem(consented, lapse, ring, late, terminated=False)
    assert refused == f"amendment {ident} is CONSENTED; only the Partnership's termination lapses it now"
    assert amendment_outcome_problem(consented, lapse, ring, late, terminated=True) is None
    in_effect = consented.model_copy(update={"status": AmendmentStatus.IN_EFFECT})
    assert amendment_outcome_problem(in_effect, lapse, ring, late, terminated=True) == (
        f"amendment {ident} is IN_EFFECT; it cannot become LAPSED"
    )


async def test_a_child_shown_closed_is_forgotten_only_once_temporal_says_it_closed(
    local_env, local_worker, keys, task_queue
):
    """Before continuing as new, the Partnership asks Temporal about each child shown closed: a
    running action a forged roll-up showed closed stays in what the new run carries (its reports,
    wind-downs and key changes still reach it); a consultation that did close is left out."""
    from models.consultation import ConsultationRequest, ConsultationWithdrawal
    from tests import helpers
    from tests.helpers import signed_partnership
    from workflows.consultation import ConsultationWorkflow

    partnership, first_run = await signed_partnership(local_env.client, task_queue, keys, continue_as_new_at_length=90)
    helpers.current_partnership = partnership.id
    action = await agreed(partnership, local_env.client)
    request = ConsultationRequest(filed_by=Identity.UK, about="28", summary="Costs")
    receipt = await partnership.execute_update(PartnershipWorkflow.open_consultation, signed(request, to=partnership))
    consultation = local_env.client.get_workflow_handle(receipt.consultation_id)
    withdrawal = ConsultationWithdrawal(filed_by=Identity.UK, consultation_id=receipt.consultation_id)
    await consultation.execute_update(ConsultationWorkflow.withdraw, signed(withdrawal, to=consultation))
    await effects_done(partnership, PartnershipWorkflow.pending_effects)
    [genuine] = await partnership.query(PartnershipWorkflow.actions)
    forged = genuine.model_copy(update={"state": ActionState.COMPLETED, "seq": genuine.seq + 1})
    await partnership.signal(PartnershipWorkflow.action_changed, forged)

    async def continued():
        if (await partnership.describe()).run_id != first_run:
            return True
        for _ in range(10):  # any signal grows the history; these are refused
            await partnership.signal(PartnershipWorkflow.action_changed, forged.model_copy(update={"action_id": "x"}))
        return False

    await eventually(continued, timeout=60)
    await effects_done(partnership, PartnershipWorkflow.pending_effects)
    assert [a.action_id for a in await partnership.query(PartnershipWorkflow.actions)] == [action.id]
    assert await partnership.query(PartnershipWorkflow.consultations) == []


async def test_a_check_that_cannot_be_answered_keeps_the_child_and_lets_the_run_go_on():
    """check_child's answers when Temporal cannot say: a child whose history is gone has closed; when
    the worker may not describe it (its credentials) or the server does not answer, it says so (None),
    never fails (a failing check would hold up the continue-as-new), and the Partnership then
    believes the roll-up, as before the checks (what it carries must stay bounded)."""
    from types import SimpleNamespace

    from temporalio.service import RPCError, RPCStatusCode
    from temporalio.testing import ActivityEnvironment

    from activities.children import check_child
    from models.records import ChildCheck

    def client_answering(status: RPCStatusCode):
        async def describe():
            raise RPCError("no", status, b"")

        return SimpleNamespace(get_workflow_handle=lambda _: SimpleNamespace(describe=describe))

    check = ChildCheck(child_id="partnership-consultation-1")
    assert await ActivityEnvironment(client=client_answering(RPCStatusCode.NOT_FOUND)).run(check_child, check)
    for status in (RPCStatusCode.PERMISSION_DENIED, RPCStatusCode.UNAVAILABLE):
        assert await ActivityEnvironment(client=client_answering(status)).run(check_child, check) is None


def test_the_roll_up_is_believed_when_temporal_would_not_say(keys):
    """Only Temporal's "still running" keeps a child shown closed: when the check could not be
    answered (None), the roll-up is believed, so what the Partnership carries stays bounded."""
    from models.partnership import PartnershipState
    from models.records import ChildCheck
    from workflows.bounded import BoundedState

    holder = BoundedState()
    holder._state = PartnershipState(keys=keys, text_sha256="0" * 64)
    holder._checks = {}
    for child, answer in (("closed", True), ("unknown", None), ("running", False)):
        holder._checks[child] = False  # asked
        holder._effect_result(ChildCheck(child_id=child), answer)
    assert holder._checks == {"closed": True, "unknown": True, "running": False}


async def test_a_forged_count_of_changes_cannot_hold_an_action_open(local_env, partnership):
    """The same for a joint action (`workflows/rollups.py` holds one such rule per kind): its own
    close, filed by both Participants, lands after a roll-up claiming the most changes."""
    from models.joint_action import ActionClosure
    from models.limits import SEQ_MAX

    action = await agreed(partnership, local_env.client)
    await effects_done(partnership, PartnershipWorkflow.pending_effects)
    [genuine] = await partnership.query(PartnershipWorkflow.actions)
    await partnership.signal(PartnershipWorkflow.action_changed, genuine.model_copy(update={"seq": SEQ_MAX}))
    for side in (Identity.UK, Identity.ROK):
        closure = ActionClosure(filed_by=side, action_id=action.id, outcome="complete")
        await action.execute_update(JointActionWorkflow.close, signed(closure, to=action))

    async def completed():
        [shown] = await partnership.query(PartnershipWorkflow.actions)
        return shown.state is ActionState.COMPLETED

    await eventually(completed)


async def test_a_rollup_dated_beyond_the_calendar_or_with_no_time_zone_is_not_taken(local_env, partnership):
    """Adversarial review 5, F4: a forged roll-up whose last report was dated in year 9999, or
    had no time zone, with a seq far above the action's, was kept until the action closed, and the
    console Overview failed on it (year 10000 is out of range; naive against aware)."""
    from datetime import UTC, datetime

    from console.pages import overdue
    from tests.test_joint_actions import report

    action = await agreed(partnership, local_env.client)
    shown = {a.action_id: a for a in await partnership.query(PartnershipWorkflow.actions)}[action.id]
    for when in ("9999-12-31T00:00:00+00:00", "0001-01-01T00:00:00"):
        forged = shown.model_dump(mode="json") | {"last_report_at": when, "seq": 9_000_000}
        await partnership.signal("action_changed", forged)
    await action.execute_update(JointActionWorkflow.report, report(action, percent=55))

    async def reported():
        actions = await partnership.query(PartnershipWorkflow.actions)
        return actions if any(a.action_id == action.id and a.percent == 55 for a in actions) else None

    actions = await eventually(reported)
    [taken] = [a for a in actions if a.action_id == action.id]
    assert taken.last_report_at is not None and taken.last_report_at.year < 9999
    assert overdue(actions, datetime.now(UTC)) == []


async def test_a_consent_carried_by_a_report_that_needs_none_is_not_held_to(time_env, skipping_partnership):
    """Review 9: a forged PROPOSED report carrying an unsigned consent planted it as the one the
    Partnership held the amendment to; a second forged report then brought the amendment into
    effect with no consent of ROK's, and the genuine consent was refused ever after."""
    from models.amendment import AmendmentConsent, AmendmentStatus
    from tests.helpers import answer
    from tests.test_amendments import ended

    partnership = skipping_partnership
    receipt, amendment = await propose(partnership, time_env.client)
    [known] = await partnership.query(PartnershipWorkflow.amendments)
    fake = AmendmentConsent(filed_by=Identity.ROK, amendment_id=receipt.amendment_id, signature="x")
    await partnership.signal(PartnershipWorkflow.amendment_changed, AmendmentOutcome(summary=known, consent=fake))
    in_effect = known.model_copy(update={"status": AmendmentStatus.IN_EFFECT, "effective_on": known.proposed_at.date()})
    await partnership.signal(PartnershipWorkflow.amendment_changed, AmendmentOutcome(summary=in_effect, consent=fake))

    async def refused():
        return (await answer(partnership, PartnershipWorkflow.refused_messages)).count >= 1

    await eventually(refused)
    [shown] = await answer(partnership, PartnershipWorkflow.amendments)
    assert shown.consent is None and (await answer(partnership, PartnershipWorkflow.status)).version == 1
    # The genuine consent still brings it into effect.
    await amendment.execute_update(AmendmentWorkflow.consent, consent(receipt.amendment_id))
    assert (await eventually(lambda: ended(amendment))).status is AmendmentStatus.IN_EFFECT
    assert await eventually(lambda: in_force(partnership))
