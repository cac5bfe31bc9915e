"""What every governance workflow shares: rejecting a filing, accepting one, and carrying out its
effects (register rows, notifications, messages to other workflows, child workflows, timers). The
invariant that makes a history replay whatever a worker had cached is written down in
`GovernedWorkflow`'s docstring; keep to it in every workflow."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy, TypedSearchAttributes
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from models.identities import Identity
    from models.keyring import KeyRing
    from models.names import CHECK_CHILD, CHECK_SENDER
    from models.records import (
        ChildCheck,
        ClosedEntry,
        DecisionRecord,
        Notification,
        RefusedMessages,
        SenderCheck,
        StoredText,
    )
    from models.search import GOVERNANCE_STATE
    from models.signing import Filing
    from rules.common import held_id_problem
    from workflows.handlers import confirmed, waits_its_turn
    from workflows.joint_decisions import WaitingFilings
    from workflows.registry_copy import RegistryCopy
    from workflows.remembered import RemembersFilings

#: Effects retry until they succeed: a decision or a notice is never dropped, only delayed.
EFFECT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
)
#: How each kind of effect is carried out: its activity and how long one attempt may take.
ACTIVITIES: dict[type, tuple[str, timedelta]] = {
    # Short: a worker that dies mid-activity is noticed soon and the retry goes on.
    DecisionRecord: ("record_decision", timedelta(seconds=10)),
    Notification: ("notify", timedelta(seconds=20)),  # SMTP itself times out at 10 s
    StoredText: ("store_text", timedelta(seconds=10)),
    ClosedEntry: ("file_closed", timedelta(seconds=10)),
    ChildCheck: (CHECK_CHILD, timedelta(seconds=30)),
    SenderCheck: (CHECK_SENDER, timedelta(seconds=30)),
}

F = TypeVar("F", bound=Filing)


@dataclass
class Message:
    """A signal to another workflow, or a child workflow to start, waiting to be issued."""

    target: str
    signal: str = ""
    arg: Any = None
    start: Callable | None = None  # a child's @workflow.run; `arg` is its input
    search_attributes: TypedSearchAttributes | None = None
    started: asyncio.Future | None = field(default=None, repr=False)  # what a filing's handler awaits
    undo: Callable[[], None] | None = field(default=None, repr=False)  # a child's entry, if its id is held


class GovernedWorkflow(RemembersFilings, WaitingFilings, RegistryCopy):
    """Base of the governance workflows. A subclass calls `_govern` from its `__init__` with the
    lists in its state that hold accepted filing ids and queued effects, says when it is finished
    and what its clock makes due, and runs `_serve()` from its `@workflow.run`.

    The invariant (issue 17, temporalio/sdk-python#1591): **the commands of a workflow task are
    the same whatever the worker had cached.** A worker that restarts replays the whole history,
    and the order in which coroutines woke on the worker that wrote it is not recorded; so nothing
    may depend on it. Hence:

    - Signal handlers and Update handlers only check, change state and queue: they issue no
      command of their own (no activity, no child start, no signal, no timer, no search
      attribute) and await nothing, except the one Update that returns a child's id, which awaits
      the child's start (a future resolved by the start's completion, never a condition).
      An Update's acceptance and completion are therefore the first commands of its task.
    - Every command is issued from one place, `_dispatch`, run by the main loop each time its
      single `wait_condition` wakes: search attributes, then activities, then the timer, then
      signals and child starts, each in queue order.
    - Every queued effect is started at once, in queue order, with `workflow.start_activity`;
      its completion only changes state and never lets another command out. Temporal may hand a
      worker an activity's completion after an Update of the next task (a commandless task is
      folded into the next on replay, and Updates and signals are applied before completions),
      so a command released by a completion ("the previous mail is done, send the next") would
      come out in a different place on replay. A mail server that is down therefore delays only
      the mail: not the register, not a filing, not the termination timer. The activities
      themselves keep the order that matters (the register chains rows in the order they land;
      a notification's Message-ID is its key).
    - The clock is one Temporal timer, set when the next deadline changes (see `_plan_timer`).
    - The queue of effects is part of the state, so it survives continue-as-new; messages and
      effects in flight are finished before the run continues as new or ends.
    """

    PARAGRAPH = ""  # the ¶ its decisions and notices cite unless they say otherwise

    def _govern(
        self,
        seen_filings: list[str],
        outbox: list[DecisionRecord | Notification],
        refused: RefusedMessages,
        state: str | None = None,
    ) -> None:
        self._refused = refused  # the very object in the state, so the count survives continue-as-new
        self._shown_state = state  # what the search attribute says when this run starts
        self._state_to_show = state
        self._seen_filings = seen_filings
        self._outbox = outbox  # the very list in the state: carried state carries the queue
        self._in_flight: dict[int, DecisionRecord | Notification] = {}  # by id(): started, not done
        self._messages: list[Message] = []
        self._messages_in_flight = 0
        self._wakes = 0  # bumped by anything the main loop must look at
        self._timers = 0  # timers started; the latest is the one the loop counts on
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: datetime | None = None  # when it fires

    # What subclasses say ----------------------------------------------------------------------------

    def _finished(self) -> bool:
        return False

    def _next_deadline(self) -> datetime | None:
        return None

    def _on_time(self) -> None:
        """Whatever the clock has made due (it only changes state and queues)."""

    def _continue_as_new_at_length(self) -> int | None:
        return None

    def _carried_state(self) -> Any:
        return self._case  # type: ignore[attr-defined]  # any run may be told to continue as new

    def _before_continuing(self) -> None:
        """Once continuing as new is due: queue what must be known before the run carries on."""

    def _effect_result(self, effect: Any, result: Any) -> None:
        """A completed effect's answer (only a read has one): it changes state, issues no command."""
        if isinstance(effect, SenderCheck):
            confirmed(self, effect, result)

    def _filing_keys(self) -> KeyRing:
        return self._case.keys  # type: ignore[attr-defined]

    # The main loop ----------------------------------------------------------------------------------

    async def _serve(self) -> None:
        """Until finished: do what the clock has made due, issue what is queued, and wake on the
        next filing, report, completed effect or deadline; continue as new when the history has
        grown long (after what is in flight has landed)."""
        while True:
            self._on_time()
            if self._continue_as_new_due():
                self._before_continuing()
            self._dispatch()
            if (self._finished() or self._continue_as_new_due()) and self._quiet():
                if self._finished():
                    return
                workflow.continue_as_new(self._carried_state())
            seen, due = self._wakes, self._continue_as_new_due()
            # Wakes on news, or once when continuing as new becomes due (then waits for quiet).
            await workflow.wait_condition(
                lambda seen=seen, due=due: self._wakes != seen or (not due and self._continue_as_new_due())
            )

    def _wake(self) -> None:
        self._wakes += 1

    def _quiet(self) -> bool:
        return not self._outbox and not self._in_flight and not self._messages and not self._messages_in_flight

    def _dispatch(self) -> None:
        """The one place commands are issued (see the class docstring)."""
        if self._state_to_show is not None and self._state_to_show != self._shown_state:
            workflow.upsert_search_attributes([GOVERNANCE_STATE.value_set(self._state_to_show)])
            self._shown_state = self._state_to_show
        for effect in self._outbox:
            if id(effect) in self._in_flight or waits_its_turn(effect, self._in_flight):
                continue
            self._in_flight[id(effect)] = effect
            activity, timeout = ACTIVITIES[type(effect)]
            handle = workflow.start_activity(
                activity, effect, start_to_close_timeout=timeout, retry_policy=EFFECT_RETRY
            )
            handle.add_done_callback(partial(self._effect_done, effect))
        self._plan_timer()
        messages, self._messages = self._messages, []
        for message in messages:
            self._messages_in_flight += 1
            task = asyncio.create_task(self._issue(message))
            task.add_done_callback(partial(self._message_done, message))

    def _effect_done(self, effect: DecisionRecord | Notification, done: asyncio.Future) -> None:
        del self._in_flight[id(effect)]
        if done.cancelled() or done.exception() is not None:
            # Only a non-retryable failure ends up here: it would fail again, and must not hold
            # up the effects behind it. Its failure stays in the history for the audit.
            workflow.logger.error("effect set aside", extra={"effect": repr(effect), "error": repr(done.exception())})
        else:
            self._effect_result(effect, done.result())
        self._outbox[:] = [e for e in self._outbox if e is not effect]
        self._wake()

    async def _issue(self, message: Message) -> None:
        if message.start is not None:
            await workflow.start_child_workflow(
                message.start,
                message.arg,
                id=message.target,
                parent_close_policy=ParentClosePolicy.ABANDON,
                search_attributes=message.search_attributes,
            )
        else:
            await workflow.get_external_workflow_handle(message.target).signal(message.signal, message.arg)

    def _message_done(self, message: Message, done: asyncio.Future) -> None:
        self._messages_in_flight -= 1
        error = done.exception() if not done.cancelled() else asyncio.CancelledError()
        if error is not None:
            # A closed child takes no more messages, and key changes go to closed ones too: routine.
            closed = getattr(error, "type", None) == "ExternalWorkflowExecutionNotFound"
            log = workflow.logger.info if closed else workflow.logger.warning
            log("message not delivered", extra={"to": message.target, "error": repr(error)})
        held = message.start is not None and isinstance(error, WorkflowAlreadyStartedError)
        if held and message.undo is not None:
            message.undo()  # the entry made for the child goes
        if message.started is not None and not message.started.done():
            if error is None:
                message.started.set_result(None)
            else:
                problem = held_id_problem(message.target) if held else f"{message.target} could not be started: {error}"
                message.started.set_exception(ApplicationError(problem))
                message.started.exception()  # a start nobody awaits (a timer's, a decision's) logs no traceback
        self._wake()

    def _plan_timer(self) -> None:
        """One timer, for the next deadline. A timer whose time has come is left alone (it has
        fired, or is about to, and then only wakes the loop): whether the worker has yet been told
        that it fired depends on how Temporal grouped the tasks (replay may tell it later than the
        worker that wrote the history was told), so cancelling it would put a command in one
        history that the replay does not make. A timer not yet due cannot have fired: cancelling
        it when the deadline moves is the same command on every worker."""
        if self._timer_at is not None and self._timer_at <= workflow.now():
            self._timer, self._timer_at = None, None
        deadline = self._next_deadline()
        if deadline == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._timer_at = None, deadline
        if deadline is None:
            return
        self._timers += 1
        delay = (deadline - workflow.now()).total_seconds()
        # A deadline already past was handled by _on_time before this; wake once more at most.
        self._timer = asyncio.get_running_loop().call_later(max(delay, 0.001), partial(self._time_is_up, self._timers))

    def _time_is_up(self, timer: int) -> None:
        if timer == self._timers:
            self._timer, self._timer_at = None, None
        self._wake()

    def _show_state(self, state: str) -> None:
        """The GovernanceState search attribute (Web UI, `workflow list --query`): written by the
        next dispatch, and only when it changes (each write is a history event)."""
        self._state_to_show = state

    def _continue_as_new_due(self) -> bool:
        info = workflow.info()
        limit = self._continue_as_new_at_length()
        forced = limit is not None and info.get_current_history_length() >= limit
        return forced or info.is_continue_as_new_suggested()

    @workflow.query
    def refused_messages(self) -> RefusedMessages:
        """Messages from other workflows this one did not act on (issue 11): a forged or stale
        signal, or one whose instruments do not verify."""
        return self._refused

    def _refuse_message(self, signal: str, reason: str) -> None:
        if self._refused.add(signal, workflow.now(), reason):  # a flood in one task logs one line
            workflow.logger.warning("message refused", extra={"signal": signal, "reason": reason})

    def _parent_problem(self, partnership_id: str) -> str | None:
        """Issue 11: a governed thing runs only when its Partnership started it; a client that
        starts one directly (with any state it likes) gets a workflow that refuses to run."""
        parent = workflow.info().parent
        if parent is None or parent.workflow_id != partnership_id:
            started_by = parent.workflow_id if parent else "a client"
            return f"{workflow.info().workflow_id} was started by {started_by}, not by its Partnership {partnership_id}"
        return None

    async def _serve_if_started_by(self, partnership_id: str) -> None:
        if problem := self._parent_problem(partnership_id):
            raise ApplicationError(problem, type="NotStartedByPartnership", non_retryable=True)
        await self._serve()

    @workflow.query
    def pending_effects(self) -> int:
        """How many decisions, notifications and messages to other workflows are accepted but not
        yet carried out."""
        return len(self._outbox) + len(self._messages) + self._messages_in_flight

    # Filings and effects ----------------------------------------------------------------------------

    def _accept(self, filing: Filing) -> datetime:
        """Every accepted filing: remembered (no second presentation), wakes the main loop, and
        is received at the workflow's time, never the filer's clock."""
        self._remember(filing)
        self._wake()
        workflow.logger.info(
            "filing accepted",
            extra={"filing": type(filing).__name__, "filed_by": filing.filed_by.value, "filing_id": filing.filing_id},
        )
        return workflow.now()

    def _record(
        self,
        key: str,
        kind: str,
        at: datetime,
        summary: str,
        details: dict[str, Any],
        paragraph: str | None = None,
    ) -> None:
        wid = workflow.info().workflow_id
        self._outbox.append(
            DecisionRecord(
                decision_id=f"{wid}/{key}",
                workflow_id=wid,
                kind=kind,
                paragraph=paragraph or self.PARAGRAPH,
                decided_at=at,
                summary=summary,
                details=details,
            )
        )
        self._wake()

    def _notify(self, key: str, to: list[Identity], subject: str, body: str, paragraph: str | None = None) -> None:
        self._outbox.append(
            Notification(
                key=f"{workflow.info().workflow_id}/{key}",
                to=to,
                subject=subject,
                body=body,
                paragraph=paragraph or self.PARAGRAPH,
            )
        )
        self._wake()

    def _tell(self, workflow_id: str, signal: str, arg: Any, latest_only: bool = False) -> None:
        """Queue a signal to another workflow. `latest_only`: a newer report of the same kind to
        the same workflow replaces one not yet sent (it carries the whole current picture)."""
        if latest_only:
            for queued in self._messages:
                if queued.start is None and queued.target == workflow_id and queued.signal == signal:
                    queued.arg = arg
                    return
        self._messages.append(Message(target=workflow_id, signal=signal, arg=arg))
        self._wake()

    def _start_child(
        self,
        run: Callable,
        arg: Any,
        workflow_id: str,
        search_attributes: TypedSearchAttributes,
        undo: Callable[[], None] | None = None,
    ) -> asyncio.Future:
        """Queue a child workflow (abandoned by this one's close: ¶32); the returned future is done
        once Temporal has started it, so a filing's handler can answer with an id that exists.
        `undo` takes back the entry made for it if a workflow we did not start holds its id."""
        started = asyncio.get_running_loop().create_future()
        message = Message(target=workflow_id, arg=arg, start=run, search_attributes=search_attributes, started=started)
        message.undo = undo
        self._messages.append(message)
        self._wake()
        return started
