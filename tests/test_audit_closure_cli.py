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
import time
from pathlib import Path

import pytest

from tests.replay_all import served_histories_replay
from tests.test_cli_embedded import cli, start_up

TEMPORAL = str(Path(sys.executable).parent / "temporal")
# The first test pays for the module's stack and every act (a dozen CLI starts, each several
# seconds on a loaded 2-core machine), so it gets more than the suite's per-test timeout.
pytestmark = pytest.mark.timeout(420)


@pytest.fixture(scope="module")
def operator(tmp_path_factory):
    """The stack, with one legitimate scenario per kind of message through the CLI: an amendment
    consented (amendment_changed), joint actions agreed (action_changed), one wound down by both
    (wound_down), a consultation opened (consultation_changed), a Forum cycle started
    (forum_changed); and an amendment left pending."""
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
            ("action", "propose", "--as", "ROK", "--ref", "11a", "--title", "Spectrum study"),
            ("action", "agree", "action-11a-spectrum-study", "--as", "UK"),
            ("action", "wind-down", "--as", "UK", "--action", "action-11a-spectrum-study"),
            ("action", "wind-down", "--as", "ROK", "--action", "action-11a-spectrum-study"),
            ("consult", "open", "--as", "UK", "--about", "28", "--summary", "Who pays for the testbed"),
            ("forum", "start", "--as", "SECRETARIAT", "--year", "2027"),
            ("amendment", "propose", "--as", "UK", "--paragraph", "28", "--text-file", str(wording)),
        ):
            done = cli(*args, env=env)
            assert done.returncode == 0, done.stderr
        yield env, root
        served_histories_replay(up.address)  # forged messages, resets and all
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
    """The run of `workflow_id` in `status` (waiting a while for it: a refusing run fails soon)."""
    query = f"WorkflowId = '{workflow_id}' AND ExecutionStatus = '{status.title()}'"
    deadline = time.monotonic() + 60
    while True:
        listed = json.loads(temporal(env, "workflow", "list", "--query", query, "--output", "json"))
        runs = [w["execution"]["runId"] for w in listed if w["status"] == f"WORKFLOW_EXECUTION_STATUS_{status}"]
        if runs or time.monotonic() > deadline:
            [run_id] = runs
            return run_id
        time.sleep(0.5)


def refused(env: dict[str, str], workflow_id: str) -> dict:
    """The workflow's `refused_messages` query, as the operator reads it."""
    answer = json.loads(
        temporal(env, "workflow", "query", "--workflow-id", workflow_id, "--name", "refused_messages", "-o", "json")
    )
    return answer["queryResult"][0]


def record_of(env: dict[str, str]) -> dict:
    """What forged messages must leave unchanged: the status, the text, the register, the mails."""
    status = json.loads(cli("status", "--json", env=env).stdout)
    mail = Path(env["PARTNERSHIP_DATA_DIR"]) / "mail"
    return {
        "status": {k: status[k] for k in ("state", "version", "amendments_in_force", "pending_amendments", "forums")},
        "actions": json.loads(cli("action", "list", "--json", env=env).stdout),
        "text": cli("text", env=env).stdout,
        "rows": json.loads(verify(env, "--json").stdout)["rows"],
        "mails": sorted(p.name for p in mail.glob("*/*")),
    }


def forge(env: dict[str, str], root: Path, workflow_id: str, signal: str, payload: dict) -> tuple[str, str, int]:
    """Send `signal` with `payload` through the temporal CLI; where its event is."""
    path = root / f"forged-{signal}-{workflow_id}.json"
    path.write_text(json.dumps(payload))
    temporal(env, "workflow", "signal", "--workflow-id", workflow_id, "--name", signal, "--input-file", str(path))
    return (workflow_id, *last_event(env, workflow_id, "WORKFLOW_EXECUTION_SIGNALED"))


#: A signed-looking instrument nobody signed: the fields are right, the signature is anyone's.
UNSIGNED = {"filing_id": "forged-1", "signature": base64.b64encode(b"x" * 64).decode()}


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

    before = record_of(env)
    # Issue 11's doors, each a message an outsider sends through the temporal CLI.
    pending = "partnership-amendment-2"
    in_effect = {
        "amendment_id": pending,
        "proposed_by": "UK",
        "paragraphs": [31],
        "summary": "One day's notice",
        "text_sha256": "0" * 64,
        "status": "IN_EFFECT",
        "proposed_at": "2026-01-01T00:00:00Z",
        "respond_by": "2026-04-01",
        "effective_on": "2026-01-01",
    }
    forged_consent = {"filed_by": "ROK", "addressed_to": pending, "amendment_id": pending, **UNSIGNED}
    termination = {
        "notice": {"filed_by": "UK", "addressed_to": "partnership", **UNSIGNED},
        "termination": {
            "given_by": "UK",
            "recipient": "ROK",
            "filing_id": "forged-1",
            "received_at": "2024-01-01T00:00:00Z",
            "effective_on": "2024-07-01",
            "effective_at": "2024-06-30T15:00:00Z",
        },
    }
    launch = {
        "forum_id": "forum-2027",
        "number": 1,
        "tabled": {
            "filed_by": "SECRETARIAT",
            "addressed_to": "forum-2027",
            "forum_id": "forum-2027",
            "text": "Launch an unagreed action",
            "ref": "9a",
            "kind": "launch-joint-action",
            **UNSIGNED,
        },
        "agreements": [],
    }
    summary = {"ref": "9a", "area": "a", "pillar": 1, "title": "x", "state": "ACTIVE", "proposed_by": "UK", "seq": 9}
    doors = {
        "amendment_changed": ("partnership", {"summary": {**in_effect, "amendment_id": "partnership-amendment-99"}}),
        "amendment_changed+consent": ("partnership", {"summary": in_effect, "consent": forged_consent}),
        "decision_taken": ("partnership", launch),
        "action_changed": ("partnership", {"action_id": "action-9a-forged", **summary}),
        "forum_changed": (
            "partnership",
            {"forum_id": "forum-2031", "year": 2031, "on": "2031-11-22", "venue": "", "host": "UK", "stage": "CLOSED"},
        ),
        "consultation_changed": (
            "partnership",
            {
                "consultation_id": "consultation-9",
                "about": "28",
                "summary": "x",
                "opened_by": "UK",
                "opened_at": "2026-01-01T00:00:00Z",
                "state": "RESOLVED",
            },
        ),
        "partnership_terminated": (pending, termination),
        "partnership_terminated+action": ("action-9b-open-ran-testbed", termination),
        "wound_down": ("action-9b-open-ran-testbed", {"filings": []}),
    }
    for door, (target, payload) in doors.items():
        at[door] = forge(env, root, target, door.split("+")[0], payload)
    at["outside-signal"] = at["amendment_changed"]
    after = record_of(env)
    refusals = {t: refused(env, t) for t in {target for target, _ in doors.values()}}

    # A Partnership started directly with a state no filing made: it refuses to run.
    shown = json.loads(temporal(env, "workflow", "show", "--workflow-id", "partnership", "--output", "json"))
    state = json.loads(
        base64.b64decode(shown["events"][0]["workflowExecutionStartedEventAttributes"]["input"]["payloads"][0]["data"])
    )
    (root / "state.json").write_text(json.dumps(state | {"stage": "IN_EFFECT", "version": 7}))
    start_partnership = ("workflow", "start", "--type", "PartnershipWorkflow", "--task-queue", "partnership")
    temporal(env, *start_partnership, "--workflow-id", "partnership-forged", "--input-file", str(root / "state.json"))
    at["unfresh-start"] = ("partnership-forged", run_of(env, "partnership-forged", "FAILED"), 1)

    # A child terminated.
    temporal(env, "workflow", "terminate", "--workflow-id", "action-9b-open-ran-testbed", "--reason", "by hand")
    action = "action-9b-open-ran-testbed"
    at["terminated"] = (action, *last_event(env, action, "WORKFLOW_EXECUTION_TERMINATED"))
    on_terminated = cli("action", "report", action, "--as", "UK", "--status", "on-track", "--percent", "5", env=env)

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
    at["direct-start"] = (nobody, run_of(env, nobody, "FAILED"), 1)  # it refuses to run

    # A cancel request.
    temporal(env, "workflow", "cancel", "--workflow-id", "action-9a-cancel-me")
    at["cancel-requested"] = (
        "action-9a-cancel-me",
        *last_event(env, "action-9a-cancel-me", "WORKFLOW_EXECUTION_CANCEL_REQUESTED"),
    )

    text, as_json = verify(env), verify(env, "--json")
    assert cli("archive", "now", env=env).returncode == 0
    forged = {"before": before, "after": after, "refusals": refusals, "statuses": statuses(env, nobody)}
    forged["on_terminated"] = (on_terminated.returncode, on_terminated.stderr.strip())
    return clean, text, as_json, verify(env, "--from-archive"), at, forged


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
    _, text, as_json, _, at, _ = acted
    line = named(text, "outside-signal", at["outside-signal"])
    assert " by temporal-cli:" in line  # the client identity Temporal recorded
    assert line.endswith("amendment_changed sent by a client: no governed workflow sent it")
    assert as_json.returncode == 1
    [finding] = [
        f
        for f in json.loads(as_json.stdout)["findings"]
        if (f["kind"], f["workflow_id"], f["event_id"]) == ("outside-signal", "partnership", at["outside-signal"][2])
    ]
    assert (finding["workflow_id"], finding["run_id"], finding["event_id"]) == at["outside-signal"]
    assert finding["identity"].startswith("temporal-cli:") and finding["at"]


def test_a_terminated_child_is_named_from_the_server_and_the_archive(acted):
    _, text, _, archive, at, _ = acted
    assert named(text, "terminated", at["terminated"]).endswith("terminated from outside: by hand")
    named(archive, "terminated", at["terminated"])


def test_a_filing_on_a_child_terminated_from_outside_says_so(acted):
    """Walkthrough 2, A10: it said the action "is ACTIVE; nothing more can be filed on it"."""
    *_, forged = acted
    assert forged["on_terminated"] == (
        1,
        "action-9b-open-ran-testbed's workflow was terminated from outside the rules (`partnership audit verify` "
        "names it); nothing can be filed on it",
    )


def test_a_reset_is_named_and_so_is_the_termination_of_the_run_it_replaced(acted):
    _, text, _, _, at, _ = acted
    assert "reset from run " in named(text, "reset", at["reset"])
    replaced = [line for line in text.stdout.splitlines() if line.startswith("terminated: action-9c-reset-me run ")]
    assert len(replaced) == 1 and "history-resetter" in replaced[0]


def test_a_joint_action_started_directly_is_named(acted):
    _, text, _, _, at, _ = acted
    line = named(text, "direct-start", at["direct-start"])
    assert " by temporal-cli:" in line and line.endswith("JointActionWorkflow started by a client, not by its parent")


def test_a_cancel_request_is_named(acted):
    _, text, _, _, at, _ = acted
    assert "cancellation requested from outside" in named(text, "cancel-requested", at["cancel-requested"])


def statuses(env: dict[str, str], *workflow_ids: str) -> dict[str, str]:
    listed = json.loads(temporal(env, "workflow", "list", "--query", "WorkflowType != 'ArchiveWorkflow'", "-o", "json"))
    return {w["execution"]["workflowId"]: w["status"] for w in listed if w["execution"]["workflowId"] in workflow_ids}


# Issue 11, points 1-2: forged messages change nothing, and the receiver counts them ----------------


def test_forged_messages_leave_the_record_as_it_was(acted):
    forged = acted[-1]
    before, after = forged["before"], forged["after"]
    assert after == before  # state, version, text, actions, register rows and mails
    assert before["status"]["version"] == 2 and [a["amendment_id"] for a in before["status"]["pending_amendments"]] == [
        "partnership-amendment-2"
    ]


def test_each_forged_message_is_refused_and_counted_by_its_receiver(acted):
    refusals = acted[-1]["refusals"]
    assert refusals["partnership"]["count"] == 6
    reasons = {r["signal"]: [] for r in refusals["partnership"]["latest"]}
    for r in refusals["partnership"]["latest"]:
        reasons[r["signal"]].append(r["reason"])
    assert reasons["amendment_changed"] == [
        "no amendment partnership-amendment-99 was proposed to this Partnership",
        reasons["amendment_changed"][1],
    ]
    assert reasons["amendment_changed"][1].startswith(
        "its consent: the signature does not verify with any key registered for ROK"
    )
    [tabling] = reasons["decision_taken"]
    assert tabling.startswith("its tabling of decision 1 of forum-2027: the signature does not verify")
    assert reasons["action_changed"] == ["no joint action action-9a-forged was started by this Partnership"]
    assert reasons["forum_changed"] == ["no Forum cycle forum-2031 was started by this Partnership"]
    assert reasons["consultation_changed"] == ["no consultation consultation-9 was started by this Partnership"]
    amendment = refusals["partnership-amendment-2"]
    assert amendment["count"] == 1
    assert amendment["latest"][0]["reason"].startswith("its notice of termination: the signature does not verify")
    action = refusals["action-9b-open-ran-testbed"]
    assert [r["signal"] for r in action["latest"]] == ["partnership_terminated", "wound_down"]
    assert action["latest"][1]["reason"] == "it carries no UK wind-down"


def test_each_forged_message_is_named_by_verify(acted):
    _, text, _, _, at, _ = acted
    for door in ("amendment_changed", "amendment_changed+consent", "decision_taken", "action_changed"):
        named(text, "outside-signal", at[door])
    for door in ("forum_changed", "consultation_changed", "partnership_terminated", "wound_down"):
        named(text, "outside-signal", at[door])


def test_directly_started_workflows_refuse_to_run_and_are_named(acted):
    _, text, _, _, at, forged = acted
    assert forged["statuses"]["action-9a-agreed-by-nobody"] == "WORKFLOW_EXECUTION_STATUS_FAILED"
    assert "action-9a-agreed-by-nobody" not in {a["action_id"] for a in forged["after"]["actions"]}
    assert "partnership-forged" in named(text, "unfresh-start", at["unfresh-start"])
