"""Histories as auditors hold them: exported from the server, loaded from files. Only reads.

History files are JSON in the format of `temporal workflow show --output json` (and the Web UI's
download). That format carries no workflow id field, and replay needs the id (ids of governed
things are derived from it): it is read from the decisions and notifications the history records,
else from the file name, `<workflow-id>.json` (or `<workflow-id>__<run-id>.json` for one run of a
chain that continued as new), which is how `audit export` names files.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHistory

RUN_SEPARATOR = "__"
#: Governance workflows only; the namespace may hold others.
GOVERNED = (
    "WorkflowType IN ('PartnershipWorkflow', 'AmendmentWorkflow', 'JointActionWorkflow', "
    "'ConsultationWorkflow', 'ForumCycleWorkflow', 'ForumScheduleWorkflow')"
)


# Export ---------------------------------------------------------------------------------------------


def history_json(history: WorkflowHistory) -> str:
    """The same JSON as `temporal workflow show --output json`."""
    return json.dumps(history.to_json_dict(), indent=2) + "\n"


def file_name(workflow_id: str, run_id: str | None = None) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", workflow_id)
    return f"{safe}{RUN_SEPARATOR}{run_id}.json" if run_id else f"{safe}.json"


async def runs_of(client: Client, workflow_id: str) -> list[str]:
    """Every run of a workflow id, oldest first (a continued-as-new chain has several)."""
    found = [w async for w in client.list_workflows(f"WorkflowId = '{workflow_id}'")]
    return [w.run_id for w in sorted(found, key=lambda w: w.start_time)]


async def fetch(client: Client, workflow_id: str, run_id: str | None = None) -> WorkflowHistory:
    return await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()


async def fetch_all(client: Client, query: str | None = None) -> list[WorkflowHistory]:
    """Every run of every governed workflow matching `query` (visibility syntax)."""
    where = f"({query}) AND {GOVERNED}" if query else GOVERNED
    executions = [w async for w in client.list_workflows(where)]
    executions.sort(key=lambda w: (w.id, w.start_time))
    return list(await asyncio.gather(*(fetch(client, w.id, w.run_id) for w in executions)))


# Load -----------------------------------------------------------------------------------------------


def workflow_id_of(path: Path) -> str:
    return path.name.removesuffix(".json").split(RUN_SEPARATOR)[0]


def recorded_workflow_id(data: dict[str, Any]) -> str | None:
    """The workflow id as the history itself records it: every decision and notification it
    made names its workflow (decision `workflow_id`, notification key `<workflow id>/…`)."""
    for event in data.get("events", []):
        attrs = event.get("activityTaskScheduledEventAttributes")
        if not attrs:
            continue
        for payload in attrs.get("input", {}).get("payloads", []):
            try:
                value = json.loads(base64.b64decode(payload.get("data", "")))
            except ValueError:
                continue
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
        data = json.loads(f.read_text())
        histories.append(WorkflowHistory.from_json(recorded_workflow_id(data) or workflow_id_of(f), data))
    return histories
