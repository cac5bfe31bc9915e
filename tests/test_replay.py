"""Golden histories: every recorded history must replay against today's workflow code."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from worker import ValidatedOnce, workflow_runner
from workflows.registry import WORKFLOWS

HISTORIES = sorted((Path(__file__).parent / "histories").rglob("*.json"))


def test_there_is_a_golden_history_for_every_workflow_type():
    recorded = {
        json.loads(p.read_text())["events"][0]["workflowExecutionStartedEventAttributes"]["workflowType"]["name"]
        for p in HISTORIES
    }
    assert recorded >= {w.__name__ for w in WORKFLOWS}


@pytest.mark.parametrize("path", HISTORIES, ids=[f"{p.parent.name}/{p.stem}" for p in HISTORIES])
async def test_golden_history_replays(path: Path):
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter, workflow_runner=workflow_runner())
    result = await replayer.replay_workflow(
        WorkflowHistory.from_json(path.stem, path.read_text()), raise_on_replay_failure=False
    )
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"


def test_a_workflow_the_sandbox_refuses_is_refused_by_every_worker(monkeypatch):
    """Workers share one sandbox runner, which remembers the workflow classes it validated; a class
    that failed validation is not among them, so the next worker validates it again and fails too."""
    asked: list[type] = []

    def refuse(self, defn) -> None:
        asked.append(defn.cls)
        raise RuntimeError("refused by the sandbox")

    monkeypatch.setattr(SandboxedWorkflowRunner, "prepare_workflow", refuse)
    runner = ValidatedOnce()
    refused = SimpleNamespace(cls=type("Refused", (), {}))
    for _ in range(2):
        with pytest.raises(RuntimeError, match="refused by the sandbox"):
            runner.prepare_workflow(refused)
    assert asked == [refused.cls, refused.cls]
    monkeypatch.setattr(SandboxedWorkflowRunner, "prepare_workflow", lambda self, defn: asked.append(defn.cls))
    accepted = SimpleNamespace(cls=type("Accepted", (), {}))
    runner.prepare_workflow(accepted)
    runner.prepare_workflow(accepted)
    assert asked == [refused.cls, refused.cls, accepted.cls]
