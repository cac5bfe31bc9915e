"""Histories as auditors hold them: exported from the server, loaded from files. Only reads.

History files are JSON in the format of `temporal workflow show --output json` (and the Web UI's
download). That format carries no workflow id field, and replay needs the id (ids of governed
things are derived from it): it is read from the decisions and notifications the history records,
else from the file name, `<workflow-id>.json` (or `<workflow-id>__<run-id>.json` for one run of a
chain that continued as new), which is how `audit export` names files.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter

from models.names import GOVERNED

RUN_SEPARATOR = "__"


# Export ---------------------------------------------------------------------------------------------


def history_json(history: WorkflowHistory) -> str:
    """The same JSON as `temporal workflow show --output json`, its keys sorted: a protobuf map (a
    header's fields, a payload's metadata) has no order, so the same history exported twice gave
    different bytes, and an auditor could not check a saved SHA-256 (walkthrough 2)."""
    return json.dumps(history.to_json_dict(), indent=2, sort_keys=True) + "\n"


#: Characters of a workflow id kept in a file name (a file system allows 255 bytes in all).
NAME_MAX = 80


def file_name(workflow_id: str, run_id: str | None = None) -> str:
    """A file name for a history: no separators, bounded length, and still one name per id (an id
    that had to be changed or cut gets a hash of the whole id)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", workflow_id).lstrip(".")
    if safe != workflow_id or len(safe) > NAME_MAX:
        safe = f"{safe[:NAME_MAX]}-{hashlib.sha256(workflow_id.encode()).hexdigest()[:16]}"
    run = re.sub(r"[^A-Za-z0-9-]+", "_", run_id)[:64] if run_id else None
    return f"{safe}{RUN_SEPARATOR}{run}.json" if run else f"{safe}.json"


async def runs_of(client: Client, workflow_id: str) -> list[str]:
    """Every run of a workflow id, oldest first (a continued-as-new chain has several)."""
    if "'" in workflow_id or "\\" in workflow_id:
        return []  # no governed id has one, and in a query it would end the string
    found = [w async for w in client.list_workflows(f"WorkflowId = '{workflow_id}'")]
    return [w.run_id for w in sorted(found, key=lambda w: w.start_time)]


async def fetch(client: Client, workflow_id: str, run_id: str | None = None) -> WorkflowHistory:
    return await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()


def query_problem(query: str) -> str | None:
    """Why a visibility query could do more than narrow the governed filter it is joined to: a
    parenthesis closed that it did not open (`x') OR (y`), or one left open, or a quote."""
    depth, quote = 0, ""
    for ch in query:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"`":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return "--query closes a parenthesis it did not open; it may only narrow the governed workflows"
    if quote:
        return f"--query leaves a {quote} quote open"
    if depth:
        return "--query leaves a parenthesis open; it may only narrow the governed workflows"
    return None


def governed(query: str | None = None) -> str:
    """The visibility query for the governed workflows matching `query`: narrowed by it, never
    widened (ValueError for a query that could)."""
    if not query:
        return GOVERNED
    if problem := query_problem(query):
        raise ValueError(problem)
    return f"({query}) AND {GOVERNED}"


async def fetch_all(client: Client, query: str | None = None) -> list[WorkflowHistory]:
    """Every run of every governed workflow matching `query` (visibility syntax), in id order."""
    executions = [w async for w in client.list_workflows(governed(query))]
    executions.sort(key=lambda w: (w.id, w.start_time))
    return list(await asyncio.gather(*(fetch(client, w.id, w.run_id) for w in executions)))


# Load -----------------------------------------------------------------------------------------------


def workflow_id_of(path: Path) -> str:
    return path.name.removesuffix(".json").split(RUN_SEPARATOR)[0]


#: The events that end an activity without completing it.
_GAVE_UP = {
    EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED: "activity_task_failed_event_attributes",
    EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: "activity_task_timed_out_event_attributes",
    EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED: "activity_task_canceled_event_attributes",
}


@dataclass(frozen=True)
class ActivityCall:
    """One activity the workflow scheduled: its name, its decoded input, and the event that
    completed it (None while it had not completed), or that ended it otherwise (failed, timed out,
    cancelled: an effect set aside)."""

    name: str
    value: Any
    scheduled: Any
    completed: Any | None
    gave_up: Any | None = None

    @property
    def under_way(self) -> bool:
        """Still running when the history was fetched."""
        return self.completed is None and self.gave_up is None


def activity_calls(history: WorkflowHistory) -> list[ActivityCall]:
    """Every activity the history scheduled, in order, each with its input decoded and the event
    that completed it, or ended it otherwise. The one scan behind the timeline, `audit verify` and
    the recovery of a history's workflow id."""
    scheduled: dict[int, Any] = {}
    completed: dict[int, Any] = {}
    gave_up: dict[int, Any] = {}
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            scheduled[event.event_id] = event
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            completed[event.activity_task_completed_event_attributes.scheduled_event_id] = event
        elif (attributes := _GAVE_UP.get(event.event_type)) is not None:
            gave_up[getattr(event, attributes).scheduled_event_id] = event
    calls = []
    for event_id, event in scheduled.items():
        attrs = event.activity_task_scheduled_event_attributes
        try:
            value = pydantic_data_converter.payload_converter.from_payload(attrs.input.payloads[0])
        except Exception:  # a history from elsewhere may carry payloads we cannot decode
            value = None
        calls.append(
            ActivityCall(attrs.activity_type.name, value, event, completed.get(event_id), gave_up.get(event_id))
        )
    return calls


def recorded_workflow_id(history: WorkflowHistory) -> str | None:
    """The workflow id as the history itself records it: every decision and notification it
    made names its workflow (decision `workflow_id`, notification key `<workflow id>/…`)."""
    for call in activity_calls(history):
        value = call.value
        if isinstance(value, dict) and isinstance(value.get("workflow_id"), str):
            return value["workflow_id"]
        if isinstance(value, dict) and isinstance(value.get("key"), str) and "/" in value["key"]:
            return value["key"].split("/")[0]
    return None


def load(paths: Iterable[Path]) -> list[WorkflowHistory]:
    """Histories from files and folders (ours or the `temporal` CLI's), in name order. The
    workflow id comes from the history where it recorded one, else from the file name."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*.json") if p.is_file())
        else:
            files.append(path)
    histories = []
    for f in files:
        try:
            history = WorkflowHistory.from_json(workflow_id_of(f), json.loads(f.read_bytes()))
        except (ValueError, TypeError, AttributeError, KeyError) as err:
            raise NotAHistory(
                f"{f} is not a workflow history (JSON as `temporal workflow show --output json` writes it)"
            ) from err
        if (recorded := recorded_workflow_id(history)) and recorded != history.workflow_id:
            history = WorkflowHistory(recorded, history.events)
        histories.append(history)
    return histories


class NotAHistory(ValueError):
    """A file given as a history that is not one: the auditor reads one line naming it."""
