"""Issue 11, point 4: the histories are closed under the rules. Anyone with access to the Temporal
namespace can signal, start, terminate, cancel or reset a workflow; none of that needs a key. So
`audit verify` checks that every event a governed history holds from outside its own code was
produced by the rules: by another governed workflow, or by a filing its own key registry verifies.

- a signal received (`WorkflowExecutionSignaled`) matches a `SignalExternalWorkflowExecutionInitiated`
  in a governed sender's history: same target, same signal, same payload bytes (`outside-signal`);
- a governed workflow other than the Partnership was started by its parent, whose history holds the
  matching `StartChildWorkflowExecutionInitiated` with the same input (`direct-start`); a
  Partnership started by a client starts fresh, with nothing signed or decided yet (`unfresh-start`);
- no `WorkflowExecutionTerminated` (`terminated`), no reset (`reset`), no cancel request that no
  governed workflow initiated (`cancel-requested`);
- every accepted Update's filing verifies against the key registry its workflow held (`bad-signature`).

Everything here only reads, and the checks themselves are pure functions of the histories.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from temporalio import workflow
from temporalio.api.common.v1 import Payloads
from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter

from audit.keys import signed_filings
from models.partnership import PartnershipState
from models.signing import Filing
from workflows.registry import WORKFLOW_TYPES

#: What may start a governed workflow without a parent: an operator starts the Partnership.
ROOT_TYPE = "PartnershipWorkflow"
#: Fields a freshly started Partnership may set; all else must be as a new PartnershipState has it.
FRESH_FIELDS = {"keys", "text_sha256", "continue_as_new_at_length"}

NOWHERE = "its history is on neither the server nor the archive"

_TYPES = {t.name: t for t in WORKFLOW_TYPES if t.governed}
_E = EventType


class Finding(BaseModel):
    """One event a governed history holds that the rules did not produce."""

    kind: str  # outside-signal, direct-start, unfresh-start, terminated, reset, cancel-requested, bad-signature
    workflow_id: str
    run_id: str
    event_id: int
    at: datetime
    identity: str  # the client identity Temporal recorded ("" where it recorded none)
    detail: str

    def line(self) -> str:
        who = self.identity or "no identity recorded"
        return (
            f"{self.kind}: {self.workflow_id} run {self.run_id} event {self.event_id} "
            f"at {self.at:%Y-%m-%d %H:%M:%S}Z by {who}: {self.detail}"
        )


@dataclass
class Closure:
    findings: list[Finding] = field(default_factory=list)
    #: Events that could not be checked because the history that would explain them is not at
    #: hand (with --from-archive: a sender or parent still running, so not archived yet).
    unchecked: list[str] = field(default_factory=list)


# The two things another engineer's work may reshape: where a workflow's key registry is, and
# how an accepted Update's filing is read back. Keep them here, and small.


def filing_of(workflow_type: str, update_name: str, args: Payloads) -> Filing | None:
    """An accepted Update's input as the workflow read it: decoded with the project's data
    converter into the type its handler declares. None if the Update takes no filing."""
    definition = workflow._Definition.must_from_class(_TYPES[workflow_type].cls)
    update = definition.updates.get(update_name)
    if update is None or not update.arg_types or not args.payloads:
        return None
    arg_type = update.arg_types[0]
    if not (isinstance(arg_type, type) and issubclass(arg_type, Filing)):
        return None
    return pydantic_data_converter.payload_converter.from_payload(args.payloads[0], arg_type)


# Reading a history ------------------------------------------------------------------------------


def _time(event: HistoryEvent) -> datetime:
    return event.event_time.ToDatetime(tzinfo=UTC)


def _bytes(payloads: Payloads) -> bytes:
    return payloads.SerializeToString(deterministic=True)


def _first_value(payloads: Payloads) -> Any:
    try:
        return pydantic_data_converter.payload_converter.from_payload(payloads.payloads[0])
    except Exception:  # a payload we cannot read is no registry and no state
        return None


def _reset_failure(event: HistoryEvent) -> bool:
    return (
        event.event_type == _E.EVENT_TYPE_WORKFLOW_TASK_FAILED
        and event.workflow_task_failed_event_attributes.cause
        == WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW
    )


def run_id_of(history: WorkflowHistory) -> str:
    """The run's own id. A reset run copies its start event from the run it was reset from
    (`original_execution_run_id` and all), so `WorkflowHistory.run_id` names that run; the reset's
    `WorkflowTaskFailed` names the new one (the last, if it was reset again)."""
    resets = [e for e in history.events if _reset_failure(e)]
    return resets[-1].workflow_task_failed_event_attributes.new_run_id if resets else history.run_id


def type_of(history: WorkflowHistory) -> str:
    if not history.events or history.events[0].event_type != _E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        return ""
    return history.events[0].workflow_execution_started_event_attributes.workflow_type.name


def _governed(history: WorkflowHistory | None) -> bool:
    return history is not None and type_of(history) in _TYPES


def _finding(kind: str, history: WorkflowHistory, event: HistoryEvent, identity: str, detail: str) -> Finding:
    return Finding(
        kind=kind,
        workflow_id=history.workflow_id,
        run_id=run_id_of(history),
        event_id=event.event_id,
        at=_time(event),
        identity=identity,
        detail=detail,
    )


# The checks -------------------------------------------------------------------------------------


def check(scope: Iterable[WorkflowHistory], evidence: Iterable[WorkflowHistory] = (), partial: bool = False) -> Closure:
    """Findings on the histories of `scope`; `evidence` holds more histories (senders, parents
    outside the scope) that may explain them. `partial`: histories may be missing because they
    are not archived yet, so an event whose explaining history is absent is unchecked, not found."""
    scope = list(scope)
    runs = {run_id_of(h): h for h in [*evidence, *scope]}
    result = Closure()
    _check_signals(scope, runs, partial, result)
    for history in scope:
        if not _governed(history):
            continue
        _check_start(history, runs, partial, result)
        _check_outside_acts(history, runs, result)
        _check_filings(history, result)
    result.findings.sort(key=lambda f: (f.workflow_id, f.at, f.event_id))
    return result


def _check_signals(
    scope: list[WorkflowHistory], runs: dict[str, WorkflowHistory], partial: bool, result: Closure
) -> None:
    # Each signal sent by a governed run, by (target id, signal, payload bytes), to be matched one
    # to one: a copy of a genuine signal sent again from outside is one signal too many.
    sent: dict[str, Counter] = {}
    for run_id, history in runs.items():
        if not _governed(history):
            continue
        counter: Counter = Counter()
        for event in history.events:
            if event.event_type == _E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
                a = event.signal_external_workflow_execution_initiated_event_attributes
                counter[(a.workflow_execution.workflow_id, a.signal_name, _bytes(a.input))] += 1
        sent[run_id] = counter
    received = [
        (h, e)
        for h in scope
        if _governed(h)
        for e in h.events
        if e.event_type == _E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
    ]
    # Signals whose sender the server recorded first, so one it did not record (a client's) can
    # never take the match a recorded sender's own signal needs.
    received.sort(
        key=lambda he: not he[1].workflow_execution_signaled_event_attributes.HasField("external_workflow_execution")
    )
    for history, event in received:
        a = event.workflow_execution_signaled_event_attributes
        key = (history.workflow_id, a.signal_name, _bytes(a.input))
        if not a.HasField("external_workflow_execution"):
            # A server that does not record the sender (the time-skipping test server), or a client.
            match = next((c for c in sent.values() if c[key] > 0), None)
            if match is not None:
                match[key] -= 1
                continue
            detail = f"{a.signal_name} sent by a client: no governed workflow sent it"
        elif (sender := a.external_workflow_execution).run_id not in runs:
            if partial:
                result.unchecked.append(f"{history.workflow_id} event {event.event_id}: sender {sender.workflow_id}")
                continue
            detail = f"{a.signal_name} from {sender.workflow_id} run {sender.run_id}: {NOWHERE}"
        elif not _governed(runs[sender.run_id]):
            detail = f"{a.signal_name} from {sender.workflow_id}, which is not a governed workflow"
        elif sent[sender.run_id][key] > 0:
            sent[sender.run_id][key] -= 1
            continue
        else:
            detail = f"{a.signal_name} from {sender.workflow_id}, whose history sent no such signal (target, payload)"
        result.findings.append(_finding("outside-signal", history, event, a.identity, detail))


def _check_start(history: WorkflowHistory, runs: dict[str, WorkflowHistory], partial: bool, result: Closure) -> None:
    event = history.events[0]
    a = event.workflow_execution_started_event_attributes
    if a.continued_execution_run_id:
        return  # the server starts a continued run; no client can ask for one
    wtype = a.workflow_type.name
    if wtype == ROOT_TYPE and not a.HasField("parent_workflow_execution"):
        if unfresh := _not_fresh(_first_value(a.input)):
            detail = f"the Partnership was started with a state already holding {', '.join(unfresh)}"
            result.findings.append(_finding("unfresh-start", history, event, a.identity, detail))
        return
    if not a.HasField("parent_workflow_execution"):
        detail = f"{wtype} started by a client, not by its parent"
        result.findings.append(_finding("direct-start", history, event, a.identity, detail))
        return
    parent = runs.get(a.parent_workflow_execution.run_id)
    if parent is None:
        if partial:
            result.unchecked.append(f"{history.workflow_id} event 1: parent {a.parent_workflow_execution.workflow_id}")
            return
        detail = (
            f"its parent {a.parent_workflow_execution.workflow_id}'s history is on neither the server nor the archive"
        )
    elif not _governed(parent):
        detail = f"started by {a.parent_workflow_execution.workflow_id}, which is not a governed workflow"
    elif _initiated_child(parent, history.workflow_id, wtype, a.parent_initiated_event_id, _bytes(a.input)):
        return
    else:
        detail = f"its parent {parent.workflow_id} did not start {wtype} {history.workflow_id} with this input"
    result.findings.append(_finding("direct-start", history, event, a.identity, detail))


def _initiated_child(parent: WorkflowHistory, child_id: str, wtype: str, initiated_id: int, payload: bytes) -> bool:
    for event in parent.events:
        if event.event_type != _E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
            continue
        if initiated_id and event.event_id != initiated_id:
            continue  # the server recorded which event started it (the dev server does)
        c = event.start_child_workflow_execution_initiated_event_attributes
        if c.workflow_id == child_id and c.workflow_type.name == wtype and _bytes(c.input) == payload:
            return True
    return False


def _not_fresh(state: Any) -> list[str]:
    """The fields of a Partnership's first input that a new PartnershipState would not hold."""
    if not isinstance(state, dict):
        return ["an unreadable state"]
    fresh = PartnershipState(keys={}, text_sha256="").model_dump(mode="json")
    return sorted(k for k, v in state.items() if k not in FRESH_FIELDS and k in fresh and v != fresh[k])


def _check_outside_acts(history: WorkflowHistory, runs: dict[str, WorkflowHistory], result: Closure) -> None:
    for event in history.events:
        if event.event_type == _E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
            a = event.workflow_execution_terminated_event_attributes
            detail = f"terminated from outside: {a.reason or 'no reason given'}"
            result.findings.append(_finding("terminated", history, event, a.identity, detail))
        elif _reset_failure(event):
            f = event.workflow_task_failed_event_attributes
            detail = f"reset from run {f.base_run_id}: {f.failure.message or 'no reason given'}"
            result.findings.append(_finding("reset", history, event, f.identity, detail))
        elif event.event_type == _E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
            a = event.workflow_execution_cancel_requested_event_attributes
            if a.HasField("external_workflow_execution") and _cancel_initiated(
                runs.get(a.external_workflow_execution.run_id), a.external_initiated_event_id, history.workflow_id
            ):
                continue
            detail = f"cancellation requested from outside: {a.cause or 'no reason given'}"
            result.findings.append(_finding("cancel-requested", history, event, a.identity, detail))


def _cancel_initiated(sender: WorkflowHistory | None, initiated_id: int, target: str) -> bool:
    if not _governed(sender):
        return False
    assert sender is not None
    return any(
        e.event_id == initiated_id
        and e.event_type == _E.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED
        and e.request_cancel_external_workflow_execution_initiated_event_attributes.workflow_execution.workflow_id
        == target
        for e in sender.events
    )


def _check_filings(history: WorkflowHistory, result: Closure) -> None:
    """Each accepted filing against the key its filer held when the run received it, the registry
    moved on by the key changes the run itself made (audit/keys.py, the one replay of them)."""
    wtype = type_of(history)
    ring, signed = signed_filings(history)
    keys_of = {f.event_id: f for f in signed}
    for event in history.events:
        if event.event_type != _E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            continue
        request = event.workflow_execution_update_accepted_event_attributes.accepted_request
        name = request.input.name
        try:
            filing = filing_of(wtype, name, request.input.args)
        except Exception as err:  # the converter's errors vary; any of them means unreadable
            problem: str | None = f"its filing does not read as {name}'s input: {str(err).splitlines()[0][:200]}"
        else:
            if filing is None:
                continue
            found = keys_of.get(event.event_id)
            if not ring.entries:
                problem = "its workflow held no key registry"
            elif found is None or found.key is None:
                problem = f"no key {filing.filed_by} held verifies it"
            elif not found.key.valid_at(found.at) and found.key.valid_until != found.at:  # a key change is
                # signed by the key it ends, received at the instant it ends
                problem = f"it was signed with {filing.filed_by}'s key {found.key.fingerprint}, not valid when received"
            else:
                problem = None
        if problem:
            detail = f"update {name} ({request.meta.update_id}) accepted, but {problem}"
            result.findings.append(_finding("bad-signature", history, event, request.meta.identity, detail))


# Fetching what the scope lacks ------------------------------------------------------------------


def wanted(scope: Iterable[WorkflowHistory]) -> set[str]:
    """Workflow ids outside the scope whose histories may explain events in it: the recorded
    senders of signals and cancel requests, and the parents of children."""
    have = set()
    ids: set[str] = set()
    for history in scope:
        have.add(history.workflow_id)
        for event in history.events:
            if event.event_type == _E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
                a = event.workflow_execution_signaled_event_attributes
                if a.HasField("external_workflow_execution"):
                    ids.add(a.external_workflow_execution.workflow_id)
            elif event.event_type == _E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
                c = event.workflow_execution_cancel_requested_event_attributes
                if c.HasField("external_workflow_execution"):
                    ids.add(c.external_workflow_execution.workflow_id)
            elif event.event_type == _E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
                s = event.workflow_execution_started_event_attributes
                if s.HasField("parent_workflow_execution"):
                    ids.add(s.parent_workflow_execution.workflow_id)
    return ids - have


async def closure(
    scope: list[WorkflowHistory],
    runs_of: Callable[[str], Awaitable[list[WorkflowHistory]]],
    partial: bool = False,
) -> Closure:
    """The closure check of `scope`, fetching with `runs_of` (every run of a workflow id, from the
    server or the archive) the senders and parents it names that it does not hold."""
    evidence: list[WorkflowHistory] = []
    for workflow_id in sorted(wanted(scope)):
        evidence += await runs_of(workflow_id)
    return check(scope, evidence, partial)
