"""`partnership audit verify`: the register's hash chain holds, every decision in the register was
recorded by a workflow (its history shows the completed `record_decision`), and every decision a
history recorded is in the register, with the same content; and no governed workflow is stuck
on a failing workflow task (audit/health.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine
from temporalio.client import Client, WorkflowHistory

from activities.register import as_utc, chain_problems, decisions
from audit.health import stuck_workflows
from audit.history import activity_calls, fetch_all
from models.names import RECORD_DECISION
from models.register import encode_details


class VerifyReport(BaseModel):
    rows: int
    histories: int
    decisions_in_histories: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def recorded_decisions(history: WorkflowHistory) -> dict[str, dict[str, Any]]:
    """decision_id -> the DecisionRecord a completed `record_decision` activity wrote."""
    return {
        call.value["decision_id"]: call.value
        for call in activity_calls(history)
        if call.name == RECORD_DECISION and call.completed is not None
    }


def differences(row: Any, record: dict[str, Any]) -> list[str]:
    expected = {
        "workflow_id": record["workflow_id"],
        "kind": record["kind"],
        "paragraph": record["paragraph"],
        "summary": record["summary"],
        "details_json": encode_details(record.get("details", {})),
        "decided_at": as_utc(datetime.fromisoformat(record["decided_at"].replace("Z", "+00:00"))),
    }
    return [
        field
        for field, value in expected.items()
        if (as_utc(getattr(row, field)) if field == "decided_at" else getattr(row, field)) != value
    ]


async def verify(client: Client, engine: Engine, query: str | None = None) -> VerifyReport:
    problems = chain_problems(engine)
    histories = await fetch_all(client, query)
    recorded: dict[str, dict[str, Any]] = {}
    for history in histories:
        recorded |= recorded_decisions(history)
    rows = decisions(engine)
    if query:  # a partial audit: only the rows of the workflows it covers
        covered = {h.workflow_id for h in histories}
        rows = [r for r in rows if r.workflow_id in covered]
    in_register = set()
    for row in rows:
        in_register.add(row.decision_id)
        record = recorded.get(row.decision_id)
        if record is None:
            problems.append(f"row {row.seq} ({row.decision_id}): no workflow history recorded it; it was inserted")
        elif changed := differences(row, record):
            problems.append(f"row {row.seq} ({row.decision_id}): {', '.join(changed)} differ from the history")
    for decision_id, record in recorded.items():
        if decision_id not in in_register:
            problems.append(
                f"{decision_id}: recorded by {record['workflow_id']} but missing from the register; it was deleted"
            )
    problems += [stuck.line() for stuck in await stuck_workflows(client, query)]
    return VerifyReport(
        rows=len(rows), histories=len(histories), decisions_in_histories=len(recorded), problems=problems
    )
