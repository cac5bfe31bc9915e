"""`partnership audit timeline`: a readable account of one workflow, reconstructed from its
history alone: filings (who, when received, which ¶ or ref, which key), decisions, timers set and
fired, notifications sent, state changes, in time order."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from temporalio.api.common.v1 import Payloads
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter

from audit.history import activity_calls
from audit.keys import signed_filings
from models.limits import control_free
from models.names import NOTIFY, RECORD_DECISION
from workflows.registry import TYPE_PARAGRAPHS

#: The ¶ each kind of filing applies, where the workflow type alone does not say it.
UPDATE_PARAGRAPHS = {
    "sign": "31",
    "give_termination_notice": "31",
    "withdraw_termination_notice": "31",
    "propose_amendment": "33",
    "set_group_leads": "7",
    "wind_down": "32",
    "open_consultation": "29",
    "start_forum": "7",
    "cost_share": "28",
}


class TimelineEntry(BaseModel):
    at: datetime
    event_id: int
    # run, filing, decision, notification, timer-set, timer-fired, timer-cancelled, state, signal, child
    kind: str
    paragraph: str | None = None
    text: str
    detail: dict[str, Any] = {}


def _decode(payloads: Payloads) -> list[Any]:
    return [pydantic_data_converter.payload_converter.from_payload(p) for p in payloads.payloads]


def _first(payloads: Payloads) -> Any:
    values = _decode(payloads)
    return values[0] if values else None


#: A filing's fields that say who and how, not what: the entry names them itself.
BOOKKEEPING = ("filed_by", "filing_id", "signature", "addressed_to")
#: Characters of a filing's terms the entry's line shows (its `terms` detail holds them all).
TERMS_SHOWN = 200


def timeline(history: WorkflowHistory) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    _, signed = signed_filings(history)
    keys = {f.event_id: f.key for f in signed}  # the key each accepted filing was checked against
    ref: str | None = None
    workflow_type = ""
    completions = {call.completed.event_id: call for call in activity_calls(history) if call.completed is not None}

    def add(event, kind: str, text: str, paragraph: str | None = None, **detail: Any) -> None:
        paragraph = paragraph or TYPE_PARAGRAPHS.get(workflow_type) or ref
        entries.append(
            TimelineEntry(
                at=event.event_time.ToDatetime(tzinfo=UTC),
                event_id=event.event_id,
                kind=kind,
                paragraph=paragraph,
                text=text,
                detail=detail,
            )
        )

    for event in history.events:
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            attrs = event.workflow_execution_started_event_attributes
            workflow_type = attrs.workflow_type.name
            state = _first(attrs.input) or {}
            ref = state.get("ref") if isinstance(state, dict) else None
            add(event, "run", f"{workflow_type} {history.workflow_id} started", TYPE_PARAGRAPHS.get(workflow_type, ref))
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            request = event.workflow_execution_update_accepted_event_attributes.accepted_request
            name = request.input.name
            filing = _first(request.input.args) or {}
            filer = filing.get("filed_by", "?")
            paragraph = UPDATE_PARAGRAPHS.get(name) or filing.get("ref") or TYPE_PARAGRAPHS.get(workflow_type) or ref
            entry = keys.get(event.event_id)
            key = entry.fingerprint if entry else None
            terms = {k: v for k, v in filing.items() if k not in BOOKKEEPING and v not in (None, "", [], {})}
            said = control_free("; ".join(f"{k}: {v}" for k, v in terms.items()))  # one line an entry
            # No key of the run's registry verifies it: the run accepted it, so the history was
            # altered since (audit walkthrough 4, F6).
            signed = f"signed with key {key}" if key else "its signature verifies with NO key of the registry: altered"
            add(
                event,
                "filing",
                f"{filer} filed {name} (received; {signed})"
                + (f": {said[:TERMS_SHOWN]}{'…' if len(said) > TERMS_SHOWN else ''}" if said else ""),
                paragraph,
                filed_by=filer,
                filing_id=filing.get("filing_id"),
                key=key,
                update=name,
                terms=terms,  # what was filed (a report's status, percent and note), in full
            )
        elif call := completions.get(event.event_id):
            value = call.value or {}
            if call.name == RECORD_DECISION:
                add(
                    event,
                    "decision",
                    value.get("summary", ""),
                    value.get("paragraph"),
                    decision_id=value.get("decision_id"),
                )
            elif call.name == NOTIFY:
                to = ", ".join(value.get("to", []))
                add(
                    event,
                    "notification",
                    f"to {to}: {value.get('subject', '')}",
                    value.get("paragraph"),
                    key=value.get("key"),
                )
        elif kind == EventType.EVENT_TYPE_TIMER_STARTED:
            attrs = event.timer_started_event_attributes
            fires = event.event_time.ToDatetime(tzinfo=UTC) + attrs.start_to_fire_timeout.ToTimedelta()
            add(event, "timer-set", f"timer {attrs.timer_id} set to fire at {fires:%Y-%m-%d %H:%M:%S}Z")
        elif kind == EventType.EVENT_TYPE_TIMER_FIRED:
            add(event, "timer-fired", f"timer {event.timer_fired_event_attributes.timer_id} fired")
        elif kind == EventType.EVENT_TYPE_TIMER_CANCELED:
            add(event, "timer-cancelled", f"timer {event.timer_canceled_event_attributes.timer_id} cancelled")
        elif kind == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
            if "GovernanceState" in fields:
                state = pydantic_data_converter.payload_converter.from_payload(fields["GovernanceState"])
                add(event, "state", f"state {state}")
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            add(event, "signal", f"signal {event.workflow_execution_signaled_event_attributes.signal_name} received")
        elif kind == EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
            attrs = event.signal_external_workflow_execution_initiated_event_attributes
            add(event, "signal", f"told {attrs.workflow_execution.workflow_id}: {attrs.signal_name}")
        elif kind == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
            attrs = event.start_child_workflow_execution_initiated_event_attributes
            add(event, "child", f"started {attrs.workflow_type.name} {attrs.workflow_id}")
        elif kind in (
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
        ):
            add(event, "run", EventType.Name(kind).removeprefix("EVENT_TYPE_").replace("_", " ").lower())
    return entries
