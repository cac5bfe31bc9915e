"""Our models are built on first use (models/base.py: a command pays only for the ones it uses,
issue 15), but none may be first used inside a workflow: whatever runs workflows builds them all
before the first one runs. Each check runs in an interpreter of its own, so that no other test has
built a model first; nothing here reaches a server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Prints, as JSON, the models not yet built after the import, and after `then` ran.
UNBUILT = """
import json
from models.base import every_model
{imports}
before = sorted(m.__qualname__ for m in every_model() if not m.__pydantic_complete__)
{then}
after = sorted(f"{{m.__module__}}.{{m.__qualname__}}" for m in every_model() if not m.__pydantic_complete__)
print(json.dumps({{"before": before, "after": after}}))
"""


def unbuilt(imports: str, then: str = "") -> dict[str, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", UNBUILT.format(imports=imports, then=then)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.mark.timeout(90)
def test_every_sandbox_is_made_after_every_model_is_built():
    """worker.workflow_runner makes every sandbox (workers, the replay tests, the benchmarks)."""
    seen = unbuilt("import worker", "worker.workflow_runner()")
    assert seen["before"], "importing the worker built every model: then nothing is deferred and this checks nothing"
    assert seen["after"] == []


@pytest.mark.timeout(90)
def test_the_audits_replayer_builds_every_model_first():
    seen = unbuilt("from audit import replay", "replay._replayer(None)")
    assert seen["before"]
    assert seen["after"] == []


@pytest.mark.timeout(90)
def test_a_command_builds_only_the_models_it_uses():
    """Importing a command builds none of the Partnership's models: `status` builds its own."""
    seen = unbuilt("import cli.status, cli.action")
    assert {"PartnershipStatus", "ActionView", "ForumView", "JointActionProposal"} <= set(seen["before"])
