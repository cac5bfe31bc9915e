"""A child's id held by a workflow the Partnership did not start (known limit until now): anyone with
access to the namespace can start a workflow under the id the Partnership will give its next
consultation, Forum cycle, joint action or amendment, with input that does not even decode, so that
it neither runs nor ends and keeps the id. The filing that would have opened the child is refused in
one line naming the id and how to free it, and leaves no entry in the Partnership that no workflow of
ours carries; once an operator has ended the squatter, the same filing goes through."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import RawValue

from models.amendment import AmendmentProposal
from models.consultation import ConsultationRequest
from models.forum import AGENDA_DEADLINE_DAYS, DecisionTabled, ForumConvocation
from models.identities import Identity
from models.joint_action import JointActionProposal, action_id_for
from models.limits import LINE_MAX
from rules.common import child_id
from tests.helpers import decision_agreement, effects_done, eventually, mails, signed
from tests.test_forum import calendar_filing, convened
from workflows.forum import ForumCycleWorkflow
from workflows.partnership import PartnershipWorkflow

pytestmark = pytest.mark.timeout(120)

UNREADABLE = RawValue(Payload(metadata={"encoding": b"json/plain"}, data=b"\xff{not json"))


async def squat(client, workflow_type: str, workflow_id: str, task_queue: str):
    """A workflow under `workflow_id` whose input no worker can read: it stays open and holds the id."""
    return await client.start_workflow(workflow_type, UNREADABLE, id=workflow_id, task_queue=task_queue)


def held(workflow_id: str) -> str:
    return (
        f"{workflow_id} is held by a workflow this Partnership did not start, so nothing was opened; "
        f"an operator can end it (temporal workflow terminate --workflow-id {workflow_id})"
    )


async def refused(partnership, update, instrument) -> str:
    """Why the Partnership refuses this signed instrument."""
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await partnership.execute_update(update, instrument)
    return caught.value.cause.message


async def test_a_held_id_refuses_the_filing_leaves_no_entry_and_is_free_once_ended(local_env, partnership, task_queue):
    client, wid = local_env.client, partnership.id
    year = date.today().year + 1
    cases = [
        (
            "ForumCycleWorkflow",
            child_id(wid, f"forum-{year}"),
            PartnershipWorkflow.start_forum,
            lambda: ForumConvocation(filed_by=Identity.SECRETARIAT, year=year),
            PartnershipWorkflow.forums,
            "forum_id",
            child_id(wid, f"forum-{year}"),  # a year's cycle has one id: free once ended
        ),
        (
            "JointActionWorkflow",
            child_id(wid, action_id_for("16b", "Workshops")),
            PartnershipWorkflow.propose_joint_action,
            lambda: JointActionProposal(filed_by=Identity.ROK, ref="16b", title="Workshops"),
            PartnershipWorkflow.actions,
            "action_id",
            child_id(wid, action_id_for("16b", "Workshops")),  # named by its ref and title
        ),
        (
            "ConsultationWorkflow",
            child_id(wid, "consultation-1"),
            PartnershipWorkflow.open_consultation,
            lambda: ConsultationRequest(filed_by=Identity.UK, about="28", summary="Costs"),
            PartnershipWorkflow.consultations,
            "consultation_id",
            child_id(wid, "consultation-2"),  # counted: the next request takes the next id
        ),
    ]
    for workflow_type, held_id, update, filing, listed, id_field, then in cases:
        squatter = await squat(client, workflow_type, held_id, task_queue)
        instrument = signed(filing(), to=partnership)
        assert await refused(partnership, update, instrument) == held(held_id)
        await effects_done(partnership, PartnershipWorkflow.pending_effects)
        assert [getattr(x, id_field) for x in await partnership.query(listed)] == [], workflow_type
        # The id freed by an operator, the same instrument (the CLI resends one whose answer it
        # lost) is answered anew, not taken for one already received: it opens the child.
        await squatter.terminate("an operator frees the id")
        receipt = await partnership.execute_update(update, instrument)
        assert getattr(receipt, id_field) == then
        assert [getattr(x, id_field) for x in await partnership.query(listed)] == [then]


async def test_a_held_amendment_id_refuses_the_proposal_and_the_next_goes_through(local_env, partnership, task_queue):
    """An amendment's id counts proposals: after a refusal the next proposal takes the next id."""
    client, wid = local_env.client, partnership.id

    def proposal() -> AmendmentProposal:
        return AmendmentProposal(filed_by=Identity.UK, paragraphs=[7], text="Twice a year.")

    squatted = f"{wid}-amendment-1"  # the first proposal's
    squatter = await squat(client, "AmendmentWorkflow", squatted, task_queue)
    refusal = await refused(partnership, PartnershipWorkflow.propose_amendment, signed(proposal(), to=partnership))
    assert refusal == held(squatted)
    assert [a.amendment_id for a in await partnership.query(PartnershipWorkflow.amendments)] == []
    receipt = await partnership.execute_update(
        PartnershipWorkflow.propose_amendment, signed(proposal(), to=partnership)
    )
    assert receipt.amendment_id != squatted
    assert [a.amendment_id for a in await partnership.query(PartnershipWorkflow.amendments)] == [receipt.amendment_id]
    await squatter.terminate("test over")


async def test_a_held_id_moves_the_usual_dates_cycle_to_next_year_without_trying_again(
    local_env, partnership, task_queue, data_dir
):
    """The Partnership's own timer finds the year's cycle id held: it tries once, keeps no entry,
    tells the secretariat, and its calendar moves on to next year's cycle (trying again at once
    would try for ever); the secretariat starts that year's cycle by hand once the id is free. A
    usual date whose call for items is still open but whose start is past starts the cycle at once."""
    usual = date.today() + timedelta(days=AGENDA_DEADLINE_DAYS + 15)
    held_id = child_id(partnership.id, f"forum-{usual.year}")
    squatter = await squat(local_env.client, "ForumCycleWorkflow", held_id, task_queue)
    try:
        view = await partnership.execute_update(
            PartnershipWorkflow.set_forum_calendar, signed(calendar_filing(usual), to=partnership)
        )
        assert view.next_cycle_starts.date() < date.today()  # due at once

        async def moved_on():
            calendar = await partnership.query(PartnershipWorkflow.forum_calendar)
            return calendar.next_forum_on.year == usual.year + 1

        await eventually(moved_on)
        await effects_done(partnership, PartnershipWorkflow.pending_effects)
        assert await partnership.query(PartnershipWorkflow.forums) == []
        tries = [
            e
            for e in (await partnership.fetch_history()).events
            if e.event_type == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED
            and e.start_child_workflow_execution_initiated_event_attributes.workflow_id == held_id
        ]
        assert len(tries) == 1
        told = [m for m in mails(data_dir) if m["Subject"] == f"The Forum {usual.year} was not started"]
        assert len(told) == 1 and held(held_id) in " ".join(told[0].get_content().split())
    finally:
        await squatter.terminate("an operator frees the id")
    receipt = await partnership.execute_update(
        PartnershipWorkflow.start_forum,
        signed(ForumConvocation(filed_by=Identity.SECRETARIAT, year=usual.year, on=usual), to=partnership),
    )
    assert receipt.forum_id == held_id


async def test_a_joint_action_a_decision_launches_into_a_held_id_is_a_refused_message(
    time_env, skipping_partnership, task_queue
):
    """Nobody awaits a Forum decision's launch: its held id is counted and given in the
    Partnership's refused messages, and no action stands in its state."""
    partnership, client = skipping_partnership, time_env.client
    forum = await convened(time_env, partnership)
    title = "Launch an AI skills exchange"
    held_id = child_id(partnership.id, action_id_for("13a", title))
    # Squatted past the test's own client, whose runs its end-of-test replay reads: no worker can
    # read this one's input, so there is nothing of ours to replay. After it no timer must fire:
    # a workflow task that fails for ever stops the test server's clock.
    outsider = await Client.connect(client.service_client.config.target_host)
    squatter = await squat(outsider, "JointActionWorkflow", held_id, task_queue)
    try:
        tabled = DecisionTabled(
            filed_by=Identity.SECRETARIAT, forum_id=forum.id, text=title, ref="13a", kind="launch-joint-action"
        )
        decision = await forum.execute_update(ForumCycleWorkflow.table_decision, signed(tabled, to=forum))
        for side in (Identity.UK, Identity.ROK):
            await forum.execute_update(
                ForumCycleWorkflow.agree_decision,
                signed(await decision_agreement(forum, side, decision.number), to=forum),
            )

        async def refused_launch():
            refused = await partnership.query(PartnershipWorkflow.refused_messages)
            return [r.reason for r in refused.latest if r.signal == "decision_taken"]

        [reason] = await eventually(refused_launch)
        assert reason == f"decision {decision.number}: {held(held_id)}"[:LINE_MAX]  # a refusal's length
        assert [a.action_id for a in await partnership.query(PartnershipWorkflow.actions)] == []
    finally:
        await squatter.terminate("test over")
