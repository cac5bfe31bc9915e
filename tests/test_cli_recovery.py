"""Issue 17, what an operator and a filer see: a governed workflow whose workflow task keeps
failing is named by `partnership status` and by `audit verify`, which exits 1 (it used to say
"consistent"); a filing that got no answer is resent as the same signed instrument."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta

from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError

from activities.register import register_engine
from audit.health import stuck_workflows
from audit.verify import verify
from engine.bootstrap import bootstrap, text_sha256
from models.identities import Identity
from models.partnership import TerminationNotice
from tests.helpers import effects_done, eventually, settled_history_length, signed
from tests.test_cli_embedded import cli
from tests.variants import ReorderedPartnership
from worker import ACTIVITIES, ACTIVITY_POOL, WORKFLOWS, build_worker, workflow_runner
from workflows.partnership import PARTNERSHIP_ID, PartnershipWorkflow


async def own_partnership(client, task_queue: str, task_timeout: timedelta | None = None) -> None:
    """The CLI acts on the workflow id `partnership`: this test starts its own run of it (another
    test's run, closed or not, is ended and replaced), then signs it as bootstrap does. A
    `task_timeout` shorter than Temporal's 10 s shortens a broken worker's retries (below)."""
    from temporalio.common import WorkflowIDReusePolicy

    from engine.keys import init_keys, public_keys
    from models.partnership import PartnershipState

    init_keys()
    try:
        await client.get_workflow_handle(PARTNERSHIP_ID).terminate("a test starts its own Partnership")
    except RPCError:
        pass  # none running
    await client.start_workflow(
        PartnershipWorkflow.run,
        PartnershipState(keys=public_keys(), text_sha256=text_sha256()),
        id=PARTNERSHIP_ID,
        task_queue=task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        task_timeout=task_timeout,
    )


async def test_a_workflow_whose_task_keeps_failing_is_named_and_fails_the_audit(local_env, data_dir, task_queue):
    from temporalio.worker import Worker

    client = local_env.client
    # Written by today's code…
    async with build_worker(client, task_queue):
        # The SDK reports a workflow task's failure once; later attempts are left to time out, and
        # the third attempt (what makes it stuck) came only after two 10 s task timeouts.
        await own_partnership(client, task_queue, task_timeout=timedelta(seconds=2))
        await bootstrap(client, task_queue, PARTNERSHIP_ID, schedule=False)
    handle = client.get_workflow_handle(PARTNERSHIP_ID)
    # …then served by a build that orders the entry into effect's effects the other way round: its
    # replay of the history disagrees with it, so every task from now on fails.
    careless = [ReorderedPartnership, *(w for w in WORKFLOWS if w is not PartnershipWorkflow)]
    broken = Worker(
        client,
        task_queue=task_queue,
        workflows=careless,
        activities=ACTIVITIES,
        workflow_runner=workflow_runner(),
        activity_executor=ACTIVITY_POOL,
        max_cached_workflows=0,
    )
    try:
        async with broken:
            filing = asyncio.create_task(
                handle.execute_update(
                    PartnershipWorkflow.give_termination_notice,
                    signed(TerminationNotice(filed_by=Identity.UK), to=handle),
                )
            )

            async def named_for_what_it_is():  # a loaded machine may time an attempt out first
                found = await stuck_workflows(client, look_at=[PARTNERSHIP_ID])
                return found if found and found[0].reason.startswith("NON_DETERMINISTIC_ERROR") else None

            [stuck] = await eventually(named_for_what_it_is, timeout=90)
            assert stuck.workflow_id == PARTNERSHIP_ID and stuck.workflow_type == "PartnershipWorkflow"
            assert stuck.attempt >= 3
            assert stuck.reason.startswith("NON_DETERMINISTIC_ERROR at event")
            # Nothing was accepted: the filing waits, or (once the server holds the task as failed
            # before the Update reaches it, as on a loaded machine) the server turned it away.
            assert not filing.done() or "Workflow Task in failed state" in str(filing.exception())

            report = await verify(client, register_engine(), f"WorkflowId = '{PARTNERSHIP_ID}'")
            assert [p for p in report.problems if "is stuck" in p] == [stuck.line()]

            env = os.environ | {"TEMPORAL_ADDRESS": client.service_client.config.target_host}
            status = await asyncio.to_thread(cli, "status", env=env)
            assert status.returncode == 1
            assert stuck.line().split(": its workflow task fails")[0] in status.stderr
            assert "the Partnership cannot answer until its workflow task is repaired" in status.stderr
            audit = await asyncio.to_thread(
                cli, "audit", "verify", "--query", f"WorkflowId = '{PARTNERSHIP_ID}'", env=env
            )
            assert audit.returncode == 1
            assert f"{PARTNERSHIP_ID} (PartnershipWorkflow) is stuck" in audit.stdout
            filing.cancel()
    finally:
        try:
            await handle.terminate("test over: it was broken on purpose")
        except RPCError:
            pass
        try:
            await filing
        except (asyncio.CancelledError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, RPCError):
            pass


async def test_a_filing_left_unanswered_is_resent_as_the_same_instrument_and_lands_once(
    local_env, local_worker, data_dir, task_queue
):
    from cli import pending

    client = local_env.client
    await own_partnership(client, task_queue)
    await bootstrap(client, task_queue, PARTNERSHIP_ID, schedule=False)
    handle = client.get_workflow_handle(PARTNERSHIP_ID)
    env = os.environ | {
        "TEMPORAL_ADDRESS": client.service_client.config.target_host,
        "PARTNERSHIP_TASK_QUEUE": task_queue,
    }
    try:
        # A first run signed and sent this notice, and the server went away before it answered.
        kept = signed(TerminationNotice(filed_by=Identity.ROK), to=PARTNERSHIP_ID)
        pending.kept_or_signed(kept, lambda f: f)
        pending.unanswered.clear()
        again = await asyncio.to_thread(cli, "termination", "notify", "--as", "ROK", env=env)
        assert again.returncode == 0, again.stderr
        status = await handle.query(PartnershipWorkflow.status)
        assert status.termination is not None and status.termination.filing_id == kept.filing_id
        assert list(pending.pending_dir().iterdir()) == []  # answered: nothing kept

        # This time the first sending had landed: the resend goes under the same update id, the
        # server answers it with the first receipt, and nothing is filed twice.
        pending.kept_or_signed(kept, lambda f: f)
        pending.unanswered.clear()
        await effects_done(handle, PartnershipWorkflow.pending_effects)
        before = await settled_history_length(handle)
        once_more = await asyncio.to_thread(cli, "termination", "notify", "--as", "ROK", env=env)
        assert once_more.returncode == 0, once_more.stderr
        assert once_more.stdout == again.stdout
        assert len((await handle.fetch_history()).events) == before
        assert list(pending.pending_dir().iterdir()) == []
    finally:
        await handle.terminate("test over")


async def test_a_filing_whose_answer_is_lost_is_asked_again_and_lands_once(partnership, monkeypatch):
    """The server takes the Update but its answer never arrives (a busy worker, a restart): `send`
    asks again under the same update id, gets the first answer, and the notice is filed once."""
    from cli import sending

    handle = partnership
    notice = signed(TerminationNotice(filed_by=Identity.UK), to=handle)
    real = type(handle).execute_update
    asked: list[str | None] = []

    async def answer_lost_once(self, update, arg, *, id=None, **kwargs):
        asked.append(id)
        answer = await real(self, update, arg, id=id, **kwargs)
        if len(asked) == 1:
            raise WorkflowUpdateRPCTimeoutOrCancelledError()
        return answer

    monkeypatch.setattr(type(handle), "execute_update", answer_lost_once)
    receipt = await sending.send(handle, PartnershipWorkflow.give_termination_notice, notice)
    assert asked == [sending.update_id(notice)] * 2
    assert receipt is not None
    history = await handle.fetch_history()
    accepted = [
        e.workflow_execution_update_accepted_event_attributes.accepted_request.meta.update_id
        for e in history.events
        if e.HasField("workflow_execution_update_accepted_event_attributes")
    ]
    assert accepted.count(sending.update_id(notice)) == 1
    status = await handle.query(PartnershipWorkflow.status)
    assert status.termination is not None and status.termination.filing_id == notice.filing_id


async def test_a_filing_refused_is_not_asked_again(partnership, monkeypatch):
    """Only no answer is asked again: a rejection is the answer, given once."""
    from cli import sending

    handle = partnership
    real = type(handle).execute_update
    asked: list[str | None] = []

    async def counted(self, update, arg, *, id=None, **kwargs):
        asked.append(id)
        return await real(self, update, arg, id=id, **kwargs)

    monkeypatch.setattr(type(handle), "execute_update", counted)
    forged = signed(TerminationNotice(filed_by=Identity.UK), to="some-other-partnership")
    try:
        await sending.send(handle, PartnershipWorkflow.give_termination_notice, forged)
    except WorkflowUpdateFailedError:
        pass
    else:
        raise AssertionError("a notice addressed to another workflow was accepted")
    assert len(asked) == 1


async def test_a_filing_cancelled_by_its_user_is_not_asked_again(data_dir):
    """Ctrl-C while a filing waits cancels the command: the SDK reports an Update cancelled, and
    `send` must not take that for the server's silence and keep asking (a first Ctrl-C swallowed)."""
    from cli import sending

    asked: list[str | None] = []

    class Waiting:
        id = "partnership"

        async def execute_update(self, update, arg, *, id=None, **kwargs):
            asked.append(id)
            try:
                await asyncio.sleep(3600)  # no answer comes
            except asyncio.CancelledError as err:
                raise WorkflowUpdateRPCTimeoutOrCancelledError() from err  # as the SDK does

    notice = TerminationNotice(filed_by=Identity.UK)
    filing = asyncio.create_task(sending.send(Waiting(), "give_termination_notice", notice))
    while not asked:
        await asyncio.sleep(0.01)
    filing.cancel()
    try:
        await asyncio.wait_for(filing, 5)
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        pass
    else:
        raise AssertionError("a cancelled filing returned as if answered")
    assert asked == [sending.update_id(notice)]


async def test_a_filing_with_no_answer_gives_up_after_its_time(data_dir, monkeypatch):
    """While no worker takes an Update the SDK waits on without end; `send` bounds the whole wait
    by ASK_AGAIN_FOR and then says there was no answer (the command keeps the instrument)."""
    from cli import sending

    monkeypatch.setattr(sending, "ASK_AGAIN_FOR", 1.5)
    asked: list[str | None] = []

    class Silent:
        id = "partnership"

        async def execute_update(self, update, arg, *, id=None, **kwargs):
            asked.append(id)
            await asyncio.sleep(3600)

    notice = TerminationNotice(filed_by=Identity.UK)
    try:
        await asyncio.wait_for(sending.send(Silent(), "give_termination_notice", notice), 10)
    except WorkflowUpdateRPCTimeoutOrCancelledError as err:
        assert sending.no_answer(err)
    else:
        raise AssertionError("a filing nobody answered returned")
    assert asked == [sending.update_id(notice)]
    assert notice.filing_id in sending.asked_again


def test_already_received_after_asking_again_means_the_first_sending_landed(data_dir, capsys):
    """A filing asked again within one command may meet a Partnership that has continued as new
    meanwhile, which refuses it as already received: the first sending landed, and the user is told
    so (exit 0). The same refusal of a filing this command never asked again stays a refusal."""
    import typer
    from temporalio.exceptions import ApplicationError

    from cli import common, sending

    def refused_as_received(filing_id: str) -> WorkflowUpdateFailedError:
        return WorkflowUpdateFailedError(ApplicationError(f"filing {filing_id} was already received; file a new one"))

    @common.run
    async def asked_again_then_refused() -> None:
        sending.asked_again.add("f-1")
        raise refused_as_received("f-1")

    assert asked_again_then_refused() is None
    assert capsys.readouterr().out.strip() == "filing f-1 was received the first time it was sent; nothing more to do"

    @common.run
    async def refused_outright() -> None:
        raise refused_as_received("f-2")

    try:
        refused_outright()
    except typer.Exit as done:
        assert done.exit_code == 1
    else:
        raise AssertionError("a filing refused as already received, never asked again, passed")
    assert "filing f-2 was already received" in capsys.readouterr().err


def test_an_update_id_belongs_to_one_signed_instrument(data_dir):
    """The same signed instrument asks again under the same update id; another instrument reusing
    its filing id (someone who saw it) gets an id of its own, so it cannot take the real filing's
    place in the server's one-Update-per-id."""
    from cli import sending

    notice = signed(TerminationNotice(filed_by=Identity.UK), to=PARTNERSHIP_ID)
    squatter = signed(TerminationNotice(filed_by=Identity.ROK, filing_id=notice.filing_id), to=PARTNERSHIP_ID)
    assert sending.update_id(notice) == sending.update_id(notice.model_copy())
    assert sending.update_id(squatter) != sending.update_id(notice)
    assert sending.update_id(notice).startswith(f"filing-{notice.filing_id}-")
