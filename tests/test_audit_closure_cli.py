"""Issue 11, point 4, the way an operator with namespace access would try it: the real `temporal`
CLI against an embedded stack of this module's own (free ports, its own data dir). Each act
outside the rules makes `partnership audit verify` exit 1 with a line naming its event; the
legitimate paths before them leave nothing to report. One stack for the module, and the acts are
all done before one verify (each CLI start is slow on a shared machine); each test then looks for
its own finding."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_cli_embedded import cli, start_up

TEMPORAL = str(Path(sys.executable).parent / "temporal")
# The first test pays for the module's stack and every act (a dozen CLI starts, each several
# seconds on a loaded 2-core machine), so it gets more than the suite's per-test timeout.
pytestmark = pytest.mark.timeout(420)


@pytest.fixture(scope="module")
def operator(tmp_path_factory):
    """The stack, with an amendment proposed and consented and a joint action agreed."""
    root = tmp_path_factory.mktemp("closure")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    env |= {"PARTNERSHIP_DATA_DIR": str(root / "data"), "LOG_FORMAT": "json"}
    up = start_up(env, root / "up.log")
    try:
        wording = root / "amendment.txt"
        wording.write_text("The Forum will be held twice a year.\n")
        for args in (
            ("amendment", "propose", "--as", "UK", "--paragraph", "7", "--text-file", str(wording)),
            ("amendment", "consent", "partnership-amendment-1", "--as", "ROK"),
            ("action", "propose", "--as", "UK", "--ref", "9b", "--title", "Open RAN testbed"),
            ("action", "agree", "action-9b-open-ran-testbed", "--as", "ROK"),
        ):
            done = cli(*args, env=env)
            assert done.returncode == 0, done.stderr
        yield env, root
    finally:
        up.kill()  # its server dies with it (PR_SET_PDEATHSIG)
        up.wait()


def temporal(env: dict[str, str], *args: str) -> str:
    address = (Path(env["PARTNERSHIP_DATA_DIR"]) / "temporal.address").read_text().strip()
    done = subprocess.run([TEMPORAL, *args, "--address", address], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def last_event(env: dict[str, str], workflow_id: str, event_type: str, run_id: str | None = None) -> tuple[str, int]:
    """The run id and the id of the workflow's last event of this type (as `temporal workflow show` says)."""
    run = ["--run-id", run_id] if run_id else []
    shown = json.loads(temporal(env, "workflow", "show", "--workflow-id", workflow_id, *run, "--output", "json"))
    started = shown["events"][0]["workflowExecutionStartedEventAttributes"]
    [event_id, *_] = [
        int(e["eventId"]) for e in reversed(shown["events"]) if e["eventType"] == f"EVENT_TYPE_{event_type}"
    ]
    return run_id or started["originalExecutionRunId"], event_id


def run_of(env: dict[str, str], workflow_id: str, status: str = "RUNNING") -> str:
    query = f"WorkflowId = '{workflow_id}'"
    listed = json.loads(temporal(env, "workflow", "list", "--query", query, "--output", "json"))
    [run_id] = [w["execution"]["runId"] for w in listed if w["status"] == f"WORKFLOW_EXECUTION_STATUS_{status}"]
    return run_id


def verify(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = cli("audit", "verify", *args, env=env)
    assert "Traceback" not in done.stderr
    return done


@pytest.fixture(scope="module")
def acted(operator):
    """verify on the legitimate histories, then each act an operator could try, then verify again
    (text, JSON, and from the archive); and where each act's event is."""
    env, root = operator
    clean = verify(env, "--json")
    at: dict[str, tuple[str, str, int]] = {}  # kind -> workflow id, run id, event id

    # A forged report of an amendment in force, as in the issue.
    forged = root / "forged.json"
    forged.write_text(
        json.dumps(
            {
                "amendment_id": "partnership-amendment-99",
                "proposed_by": "UK",
                "paragraphs": [31],
                "summary": "One day's notice",
                "text_sha256": "0" * 64,
                "status": "IN_EFFECT",
                "proposed_at": "2026-01-01T00:00:00Z",
                "respond_by": "2026-04-01",
                "effective_on": "2026-01-01",
            }
        )
    )
    signal = ("workflow", "signal", "--workflow-id", "partnership", "--name", "amendment_changed")
    temporal(env, *signal, "--input-file", str(forged))
    at["outside-signal"] = ("partnership", *last_event(env, "partnership", "WORKFLOW_EXECUTION_SIGNALED"))

    # A child terminated.
    temporal(env, "workflow", "terminate", "--workflow-id", "action-9b-open-ran-testbed", "--reason", "by hand")
    action = "action-9b-open-ran-testbed"
    at["terminated"] = (action, *last_event(env, action, "WORKFLOW_EXECUTION_TERMINATED"))

    # A workflow reset (a new run from its last workflow task).
    for ref, title in (("9c", "Reset me"), ("9a", "Cancel me")):
        done = cli("action", "propose", "--as", "UK", "--ref", ref, "--title", title, env=env)
        assert done.returncode == 0, done.stderr
    reset = ("workflow", "reset", "--workflow-id", "action-9c-reset-me", "--type", "LastWorkflowTask")
    temporal(env, *reset, "--reason", "repair")
    new_run = run_of(env, "action-9c-reset-me")
    at["reset"] = ("action-9c-reset-me", *last_event(env, "action-9c-reset-me", "WORKFLOW_TASK_FAILED", new_run))

    # A joint action started directly, ACTIVE though nobody agreed it.
    shown = json.loads(temporal(env, "workflow", "show", "--workflow-id", "action-9a-cancel-me", "--output", "json"))
    case = shown["events"][0]["workflowExecutionStartedEventAttributes"]["input"]["payloads"][0]
    nobody = "action-9a-agreed-by-nobody"
    (root / "case.json").write_text(
        json.dumps(json.loads(base64.b64decode(case["data"])) | {"action_id": nobody, "state": "ACTIVE"})
    )
    start = ("workflow", "start", "--type", "JointActionWorkflow", "--task-queue", "partnership")
    temporal(env, *start, "--workflow-id", nobody, "--input-file", str(root / "case.json"))
    at["direct-start"] = (nobody, run_of(env, nobody), 1)

    # A cancel request.
    temporal(env, "workflow", "cancel", "--workflow-id", "action-9a-cancel-me")
    at["cancel-requested"] = (
        "action-9a-cancel-me",
        *last_event(env, "action-9a-cancel-me", "WORKFLOW_EXECUTION_CANCEL_REQUESTED"),
    )

    text, as_json = verify(env), verify(env, "--json")
    assert cli("archive", "now", env=env).returncode == 0
    return clean, text, as_json, verify(env, "--from-archive"), at


def named(done: subprocess.CompletedProcess[str], kind: str, where: tuple[str, str, int]) -> str:
    """The one line of verify's output naming this event."""
    assert done.returncode == 1, done.stdout + done.stderr
    workflow_id, run_id, event_id = where
    lines = [
        line
        for line in done.stdout.splitlines()
        if line.startswith(f"{kind}: {workflow_id} run {run_id} event {event_id} ")
    ]
    assert len(lines) == 1, done.stdout
    return lines[0]


def test_legitimate_histories_leave_nothing_to_report(acted):
    clean = acted[0]
    assert clean.returncode == 0, clean.stdout + clean.stderr
    report = json.loads(clean.stdout)
    assert report["ok"] and report["findings"] == [] and report["problems"] == []


def test_a_forged_signal_to_the_partnership_is_named(acted):
    _, text, as_json, _, at = acted
    line = named(text, "outside-signal", at["outside-signal"])
    assert " by temporal-cli:" in line  # the client identity Temporal recorded
    assert line.endswith("amendment_changed sent by a client: no governed workflow sent it")
    assert as_json.returncode == 1
    [finding] = [f for f in json.loads(as_json.stdout)["findings"] if f["kind"] == "outside-signal"]
    assert (finding["workflow_id"], finding["run_id"], finding["event_id"]) == at["outside-signal"]
    assert finding["identity"].startswith("temporal-cli:") and finding["at"]


def test_a_terminated_child_is_named_from_the_server_and_the_archive(acted):
    _, text, _, archive, at = acted
    assert named(text, "terminated", at["terminated"]).endswith("terminated from outside: by hand")
    named(archive, "terminated", at["terminated"])


def test_a_reset_is_named_and_so_is_the_termination_of_the_run_it_replaced(acted):
    _, text, _, _, at = acted
    assert "reset from run " in named(text, "reset", at["reset"])
    replaced = [line for line in text.stdout.splitlines() if line.startswith("terminated: action-9c-reset-me run ")]
    assert len(replaced) == 1 and "history-resetter" in replaced[0]


def test_a_joint_action_started_directly_is_named(acted):
    _, text, _, _, at = acted
    line = named(text, "direct-start", at["direct-start"])
    assert " by temporal-cli:" in line and line.endswith("JointActionWorkflow started by a client, not by its parent")


def test_a_cancel_request_is_named(acted):
    _, text, _, _, at = acted
    assert "cancellation requested from outside" in named(text, "cancel-requested", at["cancel-requested"])
