"""Issue 11, point 4: `audit verify` finds what the rules did not produce. Here on histories
(the golden ones, and copies of them altered the way an outsider's act would alter them) and on
a legitimate multi-workflow scenario; tests/test_audit_closure_cli.py does it to a running stack
through the real `temporal` CLI."""

from __future__ import annotations

import base64
import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory

from audit.closure import check
from audit.history import load
from models.amendment import AmendmentConsent, AmendmentProposal
from models.forum import DecisionTabled
from models.identities import Identity
from models.joint_action import ActionAgreement, JointActionProposal
from tests.helpers import decision_agreement, effects_done, eventually, signed
from tests.replay_all import histories_reached_from
from tests.test_forum import convened
from workflows.amendment import AmendmentWorkflow
from workflows.forum import ForumCycleWorkflow
from workflows.joint_action import JointActionWorkflow
from workflows.partnership import PartnershipWorkflow

HISTORIES = Path(__file__).parent / "histories"


def golden() -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(HISTORIES.glob("*.json"))}


def histories(files: dict[str, dict[str, Any]], folder: Path) -> list[WorkflowHistory]:
    """Through audit.history.load, so each workflow id is the one its history records."""
    for name, data in files.items():
        (folder / f"{name}.json").write_text(json.dumps(data))
    return load([folder])


def events(data: dict[str, Any], event_type: str) -> list[dict[str, Any]]:
    return [e for e in data["events"] if e["eventType"] == f"EVENT_TYPE_{event_type}"]


def attributes(event: dict[str, Any]) -> dict[str, Any]:
    return next(v for k, v in event.items() if k.endswith("Attributes"))


def edit_payload(payloads: dict[str, Any], change) -> None:
    payload = payloads["payloads"][0]
    value = json.loads(base64.b64decode(payload["data"]))
    change(value)
    payload["data"] = base64.b64encode(json.dumps(value).encode()).decode()


def test_the_golden_histories_are_closed_under_the_rules():
    result = check(load([HISTORIES]))
    assert [f.line() for f in result.findings] == []
    assert result.unchecked == []


def test_a_filing_altered_after_it_was_signed_is_named(tmp_path):
    files = golden()
    data = files["partnership-amended"]
    [proposal, *_] = [
        e
        for e in events(data, "WORKFLOW_EXECUTION_UPDATE_ACCEPTED")
        if attributes(e)["acceptedRequest"]["input"]["name"] == "propose_amendment"
    ]
    request = attributes(proposal)["acceptedRequest"]
    edit_payload(
        request["input"]["args"], lambda v: v.update(text="In paragraph 31, replace 'six months' with 'one day'.")
    )
    [finding] = check(histories(files, tmp_path)).findings
    assert (finding.kind, finding.workflow_id, finding.event_id) == (
        "bad-signature",
        "partnership-amended",
        int(proposal["eventId"]),
    )
    assert "update propose_amendment" in finding.detail and "no key UK held verifies it" in finding.detail
    assert finding.identity == request["meta"]["identity"]


def test_a_signal_whose_payload_no_sender_sent_is_named(tmp_path):
    files = golden()
    data = files["partnership-amended"]
    signal = events(data, "WORKFLOW_EXECUTION_SIGNALED")[-1]
    a = attributes(signal)
    assert a["signalName"] == "amendment_changed" and a["externalWorkflowExecution"]  # the dev server names the sender
    edit_payload(a["input"], lambda v: v.update(paragraphs=[31]))
    [finding] = check(histories(files, tmp_path)).findings
    assert (finding.kind, finding.workflow_id, finding.event_id) == (
        "outside-signal",
        "partnership-amended",
        int(signal["eventId"]),
    )
    assert finding.detail == (
        f"amendment_changed from {a['externalWorkflowExecution']['workflowId']}, "
        "whose history sent no such signal (target, payload)"
    )


def test_a_signal_from_a_client_is_named_with_its_identity(tmp_path):
    files = golden()
    data = files["partnership-amended"]
    forged = copy.deepcopy(events(data, "WORKFLOW_EXECUTION_SIGNALED")[-1])
    a = attributes(forged)
    del a["externalWorkflowExecution"]
    a["identity"] = "temporal-cli:mallory@host"
    forged["eventId"] = str(len(data["events"]) + 1)
    data["events"].append(forged)
    [finding] = check(histories(files, tmp_path)).findings
    assert finding.kind == "outside-signal" and finding.event_id == len(data["events"])
    assert finding.identity == "temporal-cli:mallory@host"
    assert finding.line().startswith("outside-signal: partnership-amended run ")
    assert finding.detail == "amendment_changed sent by a client: no governed workflow sent it"


def test_a_child_its_parent_did_not_start_is_named(tmp_path):
    files = golden()
    started = attributes(files["amendment-in-effect"]["events"][0])
    del started["parentWorkflowExecution"], started["parentInitiatedEventId"]
    started["identity"] = "temporal-cli:mallory@host"
    [finding] = [f for f in check(histories(files, tmp_path)).findings if f.kind == "direct-start"]
    assert (finding.workflow_id, finding.event_id, finding.identity) == (
        "partnership-amended-amendment-1",
        1,
        "temporal-cli:mallory@host",
    )
    assert finding.detail == "AmendmentWorkflow started by a client, not by its parent"


def test_a_child_started_with_other_input_than_its_parent_gave_is_named(tmp_path):
    files = golden()
    started = attributes(files["joint-action-completed"]["events"][0])
    edit_payload(started["input"], lambda v: v.update(state="ACTIVE"))
    [finding] = [f for f in check(histories(files, tmp_path)).findings if f.kind == "direct-start"]
    assert finding.detail.endswith(
        "did not start JointActionWorkflow partnership-programmes-action-9b-open-ran-testbed with this input"
    )


def test_a_partnership_started_with_a_state_already_signed_is_named(tmp_path):
    files = golden()
    started = attributes(files["partnership-signed"]["events"][0])
    edit_payload(started["input"], lambda v: v.update(stage="IN_EFFECT", version=2))
    [finding] = [f for f in check(histories(files, tmp_path)).findings if f.kind == "unfresh-start"]
    assert finding.workflow_id == "partnership-signed" and finding.event_id == 1
    assert finding.detail == "the Partnership was started with a state already holding stage, version"


def test_termination_reset_and_cancel_request_are_named(tmp_path):
    files = golden()
    data = files["joint-action-completed"]
    last = int(data["events"][-1]["eventId"])
    at = data["events"][-1]["eventTime"]
    data["events"] += [
        {
            "eventId": str(last + 1),
            "eventTime": at,
            "eventType": "EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED",
            "workflowExecutionCancelRequestedEventAttributes": {"identity": "temporal-cli:mallory@host"},
        },
        {
            "eventId": str(last + 2),
            "eventTime": at,
            "eventType": "EVENT_TYPE_WORKFLOW_TASK_FAILED",
            "workflowTaskFailedEventAttributes": {
                "cause": "WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW",
                "failure": {"message": "mallory: because"},
                "identity": "history-service",
                "baseRunId": "base-run",
                "newRunId": "new-run",
            },
        },
        {
            "eventId": str(last + 3),
            "eventTime": at,
            "eventType": "EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED",
            "workflowExecutionTerminatedEventAttributes": {"reason": "gone", "identity": "temporal-cli:mallory@host"},
        },
    ]
    # (The reset gives the run a new id, so the signals it sent under its old one now name a run
    # that exists nowhere: reported too, and beside the point here.)
    found = [
        (f.kind, f.event_id, f.run_id, f.identity)
        for f in check(histories(files, tmp_path)).findings
        if f.kind != "outside-signal"
    ]
    assert found == [
        ("cancel-requested", last + 1, "new-run", "temporal-cli:mallory@host"),
        ("reset", last + 2, "new-run", "history-service"),
        ("terminated", last + 3, "new-run", "temporal-cli:mallory@host"),
    ]


# A legitimate multi-workflow scenario: nothing to report ----------------------------------------


async def test_a_legitimate_scenario_leaves_nothing_to_report(time_env, skipping_partnership):
    client, partnership = time_env.client, skipping_partnership
    # ¶33: an amendment proposed and consented.
    receipt = await partnership.execute_update(
        PartnershipWorkflow.propose_amendment,
        signed(AmendmentProposal(filed_by=Identity.UK, paragraphs=[7], text="Twice a year.", summary="Two Forums")),
    )
    amendment = client.get_workflow_handle(receipt.amendment_id)
    await amendment.query(AmendmentWorkflow.show)
    await amendment.execute_update(
        AmendmentWorkflow.consent, signed(AmendmentConsent(filed_by=Identity.ROK, amendment_id=amendment.id))
    )
    # ¶9-27: a joint action proposed and agreed.
    proposed = await partnership.execute_update(
        PartnershipWorkflow.propose_joint_action,
        signed(JointActionProposal(filed_by=Identity.UK, ref="9b", title="Open RAN testbed")),
    )
    action = client.get_workflow_handle(proposed.action_id)
    await action.query(JointActionWorkflow.show)
    await action.execute_update(
        JointActionWorkflow.agree, signed(ActionAgreement(filed_by=Identity.ROK, action_id=action.id))
    )
    # ¶7: a Forum cycle that meets and launches a joint action.
    forum = await convened(time_env, partnership)
    decision = await forum.execute_update(
        ForumCycleWorkflow.table_decision,
        signed(
            DecisionTabled(
                filed_by=Identity.SECRETARIAT,
                forum_id=forum.id,
                text="Launch an AI skills exchange",
                ref="13a",
                kind="launch-joint-action",
                lead_uk="A. Lee",
                lead_rok="B. Kim",
            )
        ),
    )
    for side in (Identity.UK, Identity.ROK):
        await forum.execute_update(
            ForumCycleWorkflow.agree_decision,
            signed(await decision_agreement(forum, side, decision.number)),
        )

    async def launched():
        actions = await partnership.query(PartnershipWorkflow.actions)
        return [a for a in actions if a.ref == "13a" and a.state == "ACTIVE"]

    [launched_action] = await eventually(launched)
    handles = [partnership, amendment, action, forum, client.get_workflow_handle(launched_action.action_id)]
    for handle in handles:  # every message sent and received before the histories are read
        await effects_done(handle, PartnershipWorkflow.pending_effects)
    every = await histories_reached_from(client, [(partnership.id, None)])
    assert {h.workflow_id for h in every} >= {h.id for h in handles}
    received = Counter(
        e.workflow_execution_signaled_event_attributes.signal_name
        for h in every
        for e in h.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
    )
    assert {"amendment_changed", "action_changed", "forum_changed", "decision_taken"} <= set(received)
    result = check(every)
    assert [f.line() for f in result.findings] == []
