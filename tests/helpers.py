"""Small helpers the tests share: filing as an identity, waiting for effects, reading the Maildir."""

from __future__ import annotations

import asyncio
import email
import email.policy
import inspect
from datetime import timedelta
from email.message import Message
from pathlib import Path
from typing import TypeVar

from temporalio.client import WorkflowHandle
from temporalio.service import RPCError

from engine.keys import load_private_key
from models.signing import Filing, sign

F = TypeVar("F", bound=Filing)


#: The object a filing names is the workflow it is addressed to (issue 11).
OBJECT_FIELDS = ("amendment_id", "action_id", "forum_id", "consultation_id")
#: The Partnership of the running test (set by the fixtures that start one): filings that name no
#: object of their own are addressed to it unless the test says `to=`.
current_partnership = "partnership"


def signed(filing: F, to: WorkflowHandle | str | None = None) -> F:
    """The filing addressed to `to` (default: the object it names, else the test's Partnership)
    and signed with its filer's own key from the test's data dir."""
    if to is None:
        named = [getattr(filing, f) for f in OBJECT_FIELDS if getattr(filing, f, None)]
        to = named[0] if named else current_partnership
    addressed = filing.model_copy(update={"addressed_to": to if isinstance(to, str) else to.id})
    return sign(addressed, load_private_key(filing.filed_by))


def nomination(by, name: str, title: str, **fields) -> Filing:
    """`by`'s co-chair nomination with its own ministry and the rank `forum nominate` would take
    (the title's, else the side's usual one); `fields` override them."""
    from models.forum import CoChairNomination
    from rules.p07_co_chairs import co_chair_ministry, default_rank

    fields = {"ministry": co_chair_ministry(by), "rank": default_rank(by, title), **fields}
    return CoChairNomination(filed_by=by, name=name, title=title, **fields)


async def withdrawal(handle: WorkflowHandle, by) -> Filing:
    """`by`'s withdrawal of its pending termination notice, naming that notice (issue 11)."""
    from models.partnership import TerminationWithdrawal
    from workflows.partnership import PartnershipWorkflow

    status = await handle.query(PartnershipWorkflow.status)
    pending = next((n.filing_id for n in status.termination_notices if n.given_by is by), "none")
    return TerminationWithdrawal(filed_by=by, notice=pending)


async def agenda_agreement(forum: WorkflowHandle, by) -> Filing:
    """`by`'s agreement to the agenda as the cycle shows it now (issue 11: it signs the agenda)."""
    from models.forum import AgendaAgreement, agenda_digest
    from workflows.forum import ForumCycleWorkflow

    view = await forum.query(ForumCycleWorkflow.show)
    return AgendaAgreement(filed_by=by, forum_id=forum.id, agenda_sha256=agenda_digest(view.agenda))


async def decision_agreement(forum: WorkflowHandle, by, number: int) -> Filing:
    """`by`'s agreement to decision `number` as it was tabled (it names the tabling instrument)."""
    from models.forum import DecisionAgreement
    from workflows.forum import ForumCycleWorkflow

    view = await forum.query(ForumCycleWorkflow.show)
    tabling = view.decisions[number - 1].tabling if 0 < number <= len(view.decisions) else None
    tabled = tabling.filing_id if tabling else "none"
    return DecisionAgreement(filed_by=by, forum_id=forum.id, decision=number, tabled=tabled)


async def minutes_approval(forum: WorkflowHandle, by) -> Filing:
    """`by`'s approval of the minutes as filed now (it signs their hash)."""
    from models.forum import MinutesApproval, minutes_digest
    from workflows.forum import ForumCycleWorkflow

    view = await forum.query(ForumCycleWorkflow.show)
    return MinutesApproval(filed_by=by, forum_id=forum.id, minutes_sha256=minutes_digest(view.minutes or ""))


async def history_length(handle: WorkflowHandle) -> int:
    return len((await handle.fetch_history()).events)


async def settled_history_length(handle: WorkflowHandle, timeout: float = 30) -> int:
    """The history's length once no workflow task is outstanding (a query can be answered by the
    task that is still to be recorded as completed; a cold worker takes a while over it)."""
    from temporalio.api.enums.v1 import EventType

    open_task = (EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED)
    async with asyncio.timeout(timeout):
        while True:
            events = (await handle.fetch_history()).events
            if events[-1].event_type not in open_task:
                return len(events)
            await asyncio.sleep(0.05)


async def answer(handle: WorkflowHandle, query, timeout: float = 30):
    """A query's answer, asked again where none came: one asked of a run just as it continues as
    new (the Partnership does after each co-signed checkpoint) the time-skipping server never
    answers, and the next one reaches the new run."""
    async with asyncio.timeout(timeout):
        while True:
            try:
                return await handle.query(query, rpc_timeout=timedelta(seconds=3))
            except RPCError:
                await asyncio.sleep(0.05)


async def effects_done(handle: WorkflowHandle, query, timeout: float = 30) -> None:
    """Wait until the workflow has carried out every queued decision and notification."""
    async with asyncio.timeout(timeout):
        while await answer(handle, query) != 0:
            await asyncio.sleep(0.05)


def mails(data_dir: Path) -> list[Message]:
    root = data_dir / "mail"
    files = sorted((root / "new").glob("*")) + sorted((root / "cur").glob("*"))
    return [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]


def subjects(data_dir: Path) -> list[str]:
    return sorted(m["Subject"] for m in mails(data_dir))


async def eventually(check, timeout: float = 30, interval: float = 0.05):
    """Poll a check, plain or async, until it returns something truthy (effects run asynchronously)."""
    async with asyncio.timeout(timeout):
        while True:
            result = check()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return result
            await asyncio.sleep(interval)


async def delete_history(client, workflow_id: str) -> None:
    """Delete a workflow's history from the server, as retention (or someone with namespace
    access) does, and return once the server no longer has it."""
    from temporalio.api.common.v1 import WorkflowExecution
    from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
    from temporalio.service import RPCStatusCode

    execution = WorkflowExecution(workflow_id=workflow_id)
    request = DeleteWorkflowExecutionRequest(namespace=client.namespace, workflow_execution=execution)
    await client.workflow_service.delete_workflow_execution(request)

    async def deleted() -> bool:
        try:
            await client.get_workflow_handle(workflow_id).describe()
        except RPCError as err:
            return err.status is RPCStatusCode.NOT_FOUND
        return False

    await eventually(deleted, timeout=60, interval=0.5)


async def rejected(handle: WorkflowHandle, update, filing) -> str:
    """File `filing` by `update`, expect a validator's rejection, prove the history did not grow;
    return the rejection's message. (Meaningful on the real dev server only.)"""
    from temporalio.api.enums.v1 import EventType
    from temporalio.client import WorkflowUpdateFailedError

    await effects_done(handle, "pending_effects")  # every governance workflow answers this query
    before = await settled_history_length(handle)
    try:
        await handle.execute_update(update, filing)
    except WorkflowUpdateFailedError as err:
        # Nothing of the filing is recorded. A workflow task that a loaded machine let time out
        # (and retried) records only that: bookkeeping of the worker, not of the filing.
        later = (await handle.fetch_history()).events[before:]
        recorded = [
            EventType.Name(e.event_type)
            for e in later
            if not EventType.Name(e.event_type).startswith("EVENT_TYPE_WORKFLOW_TASK_")
        ]
        assert recorded == [], f"a rejected filing left history events: {recorded}"
        return err.cause.message
    raise AssertionError(f"{type(filing).__name__} was accepted, expected a rejection")


async def sleep_until(env, moment) -> None:
    """Skip the time-skipping environment's clock forward to `moment`. The skip waits for every
    workflow task the timers it passes bring: on a loaded machine (cold workers replay whole
    histories) that can outlast the default deadline, so the call gets a longer one."""
    from datetime import timedelta

    from temporalio.api.testservice.v1 import SleepRequest
    from temporalio.service import RPCError

    delta = moment - await env.get_current_time()
    if delta <= timedelta(0):
        return
    request = SleepRequest()
    request.duration.FromTimedelta(delta)
    try:  # well inside the test's own timeout, so a clock that will not move fails as one test
        await env.client.test_service.unlock_time_skipping_with_sleep(request, timeout=timedelta(seconds=100))
    except RPCError as err:
        if "Timeout" not in str(err):
            raise
        now = await env.get_current_time()
        raise AssertionError(
            f"the test server's clock stopped at {now}, short of {moment}: a workflow or activity task "
            "it waits for has no worker"
        ) from None


async def signed_partnership(client, task_queue: str, keys: dict, continue_as_new_at_length: int):
    """A Partnership of its own that continues as new at a low history length, signed by both;
    returns its handle and its first run's id."""
    import uuid
    from datetime import date

    from engine.bootstrap import start_partnership, text_sha256
    from models.identities import PARTICIPANTS
    from models.partnership import PartnershipState, SignPartnership
    from workflows.partnership import PartnershipWorkflow

    state = PartnershipState(keys=keys, text_sha256=text_sha256(), continue_as_new_at_length=continue_as_new_at_length)
    handle = await start_partnership(client, task_queue, f"partnership-{uuid.uuid4().hex}", state)
    first_run = (await handle.describe()).run_id
    for participant in PARTICIPANTS:
        filing = SignPartnership(filed_by=participant, signed_on=date(2023, 11, 22), text_sha256=text_sha256())
        await handle.execute_update(PartnershipWorkflow.sign, signed(filing, to=handle))
    return handle, first_run
