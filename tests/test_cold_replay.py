"""Issue 17: a worker that remembers nothing must make the same commands as one that does.

Reproduced on the code before the change (effects in two lanes beside the main loop) by the first
test: of eight Partnerships, three wedged with `[TMPRL1100] Nondeterminism error: Activity machine
does not handle this event: HistoryEvent(id: 68, TimerCanceled)` (the withdrawal's Update accepted
in a task whose activities a lane had scheduled on its own, after a completion the replay applies
later), and their filers waited for ever.

Concurrent filings (Updates) and the reports governed things send the Partnership (signals) are
handled by a worker that caches no workflow, and the worker is replaced mid-way; afterwards every
history must replay. Before the effects were issued from one place, such a run wrote histories in
which activities were scheduled ahead of an Update's acceptance (temporalio/sdk-python#1591):
`[TMPRL1100] Nondeterminism error: Update machine does not handle this event … ActivityTaskScheduled`.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import timedelta

from audit.history import fetch_all
from audit.replay import replay
from engine.bootstrap import bootstrap
from models.consultation import ConsultationRequest, ResolutionAcceptance, ResolutionProposal
from models.forum import ForumConvocation
from models.identities import Identity
from models.joint_action import JointActionProposal
from models.partnership import TerminationNotice
from rules.p07_forum import standing_items
from tests.conftest import bootstrapped
from tests.helpers import effects_done, eventually, rejected, signed, withdrawal
from tests.test_faults import amendment, lifecycle
from worker import build_worker
from workflows.consultation import ConsultationWorkflow
from workflows.forum import ForumCycleWorkflow
from workflows.partnership import PartnershipWorkflow


async def notice_withdrawn(partnership) -> None:
    """A notice (a timer and effects), a rejected second notice of the same side (one pending notice
    per Participant), the withdrawal (its effects, and the timer no longer wanted) while the notice's
    effects are still landing."""
    await partnership.execute_update(
        PartnershipWorkflow.give_termination_notice, signed(TerminationNotice(filed_by=Identity.UK), to=partnership)
    )
    second = signed(TerminationNotice(filed_by=Identity.UK), to=partnership)
    await rejected(partnership, PartnershipWorkflow.give_termination_notice, second)
    await partnership.execute_update(
        PartnershipWorkflow.withdraw_termination_notice,
        signed(await withdrawal(partnership, Identity.UK), to=partnership),
    )
    await effects_done(partnership, PartnershipWorkflow.pending_effects)


async def test_filings_while_effects_land_on_a_cold_worker_write_histories_that_replay(
    local_env, local_worker, task_queue
):
    partnerships = [await bootstrapped(local_env, task_queue) for _ in range(8)]
    await asyncio.wait_for(asyncio.gather(*(notice_withdrawn(p) for p in partnerships)), timeout=120)
    outcomes = await replay([await p.fetch_history() for p in partnerships], processes=1)
    assert [o.problem for o in outcomes if not o.ok] == []
    for partnership in partnerships:
        assert (await partnership.query(PartnershipWorkflow.status)).termination is None


async def consultation(partnership, client, n: int) -> str:
    opened = await partnership.execute_update(
        PartnershipWorkflow.open_consultation,
        signed(ConsultationRequest(filed_by=Identity.ROK, about="28", summary=f"Costs {n}"), to=partnership),
    )
    handle = client.get_workflow_handle(opened.consultation_id)
    cid = opened.consultation_id
    await handle.execute_update(
        ConsultationWorkflow.propose,
        signed(ResolutionProposal(filed_by=Identity.UK, consultation_id=cid, resolution=f"Split {n}."), to=handle),
    )
    await handle.execute_update(
        ConsultationWorkflow.accept,
        signed(ResolutionAcceptance(filed_by=Identity.ROK, consultation_id=cid, proposal=1), to=handle),
    )
    return cid


class ColdStack:
    """A Partnership of its own served by a worker that caches nothing, which `crash` replaces as
    after a crash (filings and reports pile up meanwhile); shut down by `cold_stack` at the end."""

    def __init__(self, client, task_queue: str) -> None:
        self.client, self.task_queue = client, task_queue
        self.wid = f"partnership-{uuid.uuid4().hex}"
        self.partnership = client.get_workflow_handle(self.wid)
        self._start()

    def _start(self) -> None:
        self.worker = build_worker(self.client, self.task_queue, cold=True)
        self.run = asyncio.create_task(self.worker.run())

    async def stop(self) -> None:
        await self.worker.shutdown()
        await self.run

    async def crash(self, pause: float = 0.0) -> None:
        await self.stop()
        await asyncio.sleep(pause)
        self._start()

    async def histories(self) -> list:
        return await fetch_all(self.client, f"WorkflowId STARTS_WITH '{self.wid}'")

    async def assert_every_history_replays(self) -> None:
        outcomes = await replay(await self.histories(), processes=1)
        assert [o.problem for o in outcomes if not o.ok] == []


@contextlib.asynccontextmanager
async def cold_stack(client, task_queue: str):
    stack = ColdStack(client, task_queue)
    try:
        await bootstrap(client, task_queue, stack.wid, schedule=False)
        yield stack
    finally:
        await stack.stop()


async def test_concurrent_filings_and_reports_on_a_cold_worker_write_histories_that_replay(
    local_env, data_dir, task_queue
):
    client = local_env.client
    async with cold_stack(client, task_queue) as stack:
        partnership = stack.partnership
        # An open Forum cycle beside it all (its agenda moves only by signed filings).
        now = await local_env.get_current_time()
        on = (now + timedelta(days=120)).date()
        forum = await partnership.execute_update(
            PartnershipWorkflow.start_forum,
            signed(ForumConvocation(filed_by=Identity.SECRETARIAT, year=on.year, on=on, venue="Seoul"), to=partnership),
        )
        load = asyncio.gather(
            *(lifecycle(partnership, client, n) for n in range(6)),
            *(amendment(partnership, client, n) for n in range(3)),
            *(consultation(partnership, client, n) for n in range(2)),
        )
        # The worker goes away three times in the middle of it all, as after a crash, and filings and
        # reports pile up until a new (cold) worker takes the tasks that waited.
        for pause in (0.8, 1.5, 1.1):
            await asyncio.sleep(pause)
            await stack.crash(pause)
        amendments = (await asyncio.wait_for(load, timeout=150))[6:9]

        async def settled():
            status = await partnership.query(PartnershipWorkflow.status)
            return status.version == 1 + len(amendments) and not status.open_consultations

        await eventually(settled, timeout=60)
        await effects_done(partnership, PartnershipWorkflow.pending_effects)
        in_force = (await partnership.query(PartnershipWorkflow.status)).amendments_in_force
        assert sorted(a.amendment_id for a in in_force) == sorted(amendments)
        assert len(await stack.histories()) == 1 + 1 + 6 + 3 + 2
        forum_view = await client.get_workflow_handle(forum.forum_id).query(ForumCycleWorkflow.show)
        assert forum_view.agenda == standing_items()
        await stack.assert_every_history_replays()


async def test_messages_a_sender_vouches_for_on_a_cold_worker_write_histories_that_replay(
    local_env, data_dir, task_queue
):
    """Review 5: a message the Partnership sends its joint actions (a new cadence, a wind-down) is
    acted on once the Partnership answers the action's ask, an activity whose completion runs the
    message's handler; asks of one kind go out in turn. Two cadence changes, a wind-down and
    reports, on workers that cache nothing and are replaced mid-way: the later cadence stands, the
    wound-down actions end, and every history replays."""
    from models.joint_action import ActionAgreement, ActionState, Progress, ProgressReport, WindDown
    from models.working_group import GroupLeads
    from workflows.joint_action import JointActionWorkflow

    client = local_env.client
    async with cold_stack(client, task_queue) as stack:
        partnership = stack.partnership
        actions = []
        for n in range(2):  # one wound down, one that takes both cadences (a cold worker replays all)
            receipt = await partnership.execute_update(
                PartnershipWorkflow.propose_joint_action,
                signed(JointActionProposal(filed_by=Identity.UK, ref="9b", title=f"Testbed {n}"), to=partnership),
            )
            action = client.get_workflow_handle(receipt.action_id)
            agreement = ActionAgreement(filed_by=Identity.ROK, action_id=action.id)
            await action.execute_update(JointActionWorkflow.agree, signed(agreement, to=action))
            actions.append(action)

        async def leads(cadence: int) -> None:
            for side in (Identity.UK, Identity.ROK):
                filing = GroupLeads(
                    filed_by=side, area="telecoms", lead_uk="A. Lee", lead_rok="B. Kim", cadence_months=cadence
                )
                await partnership.execute_update(PartnershipWorkflow.set_group_leads, signed(filing, to=partnership))

        async def wind_down() -> None:
            for side in (Identity.UK, Identity.ROK):
                filing = WindDown(filed_by=side, actions=[actions[0].id], reason="merged")
                await partnership.execute_update(PartnershipWorkflow.wind_down, signed(filing, to=partnership))

        async def reports() -> None:
            for n, action in enumerate(actions[1:]):
                report = ProgressReport(
                    filed_by=Identity.UK, action_id=action.id, status=Progress.ON_TRACK, percent=10 + n
                )
                await action.execute_update(JointActionWorkflow.report, signed(report, to=action))

        async def in_turn() -> None:
            await leads(6)
            await leads(12)

        load = asyncio.gather(in_turn(), wind_down(), reports())
        await asyncio.sleep(0.5)
        await stack.crash()
        await asyncio.wait_for(load, timeout=120)

        async def settled() -> bool:
            views = [await a.query(JointActionWorkflow.show) for a in actions[1:]]
            ended = [(await a.describe()).status.name for a in actions[:1]]
            return all(v.cadence_months == 12 for v in views) and ended == ["COMPLETED"]

        await eventually(settled, timeout=90)
        for action in actions[:1]:
            assert (await action.query(JointActionWorkflow.show)).summary.state is ActionState.DISCONTINUED
        await effects_done(partnership, PartnershipWorkflow.pending_effects)
        await stack.assert_every_history_replays()
