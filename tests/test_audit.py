"""Auditors: export, replay, timeline, verify. The histories must still be explained by today's
code, and the register must match them row for row."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session
from temporalio.api.enums.v1 import EventType

from activities.register import append_decision, register_engine
from audit.history import fetch, fetch_all, file_name, history_json, load
from audit.replay import replay
from audit.timeline import timeline
from audit.verify import verify
from engine.bootstrap import bootstrap, start_partnership, text_sha256
from models.identities import Identity
from models.partnership import PartnershipState, SignPartnership, TerminationNotice
from models.records import DecisionRecord
from tests.cli_runner import run_cli
from tests.helpers import effects_done, signed
from tests.variants import ReorderedPartnership
from workflows.partnership import PartnershipWorkflow

HISTORIES = Path(__file__).parent / "histories"
BIN = Path(sys.executable).parent


async def test_every_golden_history_replays_in_parallel_too():
    histories = load([HISTORIES])
    outcomes = await replay(histories * 3, processes=2)
    assert len(outcomes) == 3 * len(histories)
    assert [o.problem for o in outcomes if not o.ok] == []


async def test_a_reordered_workflow_fails_replay_naming_the_event():
    [history] = load([HISTORIES / "partnership-signed.json"])
    [outcome] = await replay([history], workflows=[ReorderedPartnership])
    assert not outcome.ok
    assert outcome.workflow_id == "partnership-signed"
    assert outcome.problem.startswith("event ")
    assert "ACTIVITY_TASK_SCHEDULED" in outcome.problem
    assert "record_decision" in outcome.problem and "notify" in outcome.problem


def test_the_cli_replay_exits_1_on_a_broken_history(tmp_path):
    broken = json.loads((HISTORIES / "partnership-signed.json").read_text())
    events = broken["events"]
    scheduled = [e for e in events if e["eventType"] == "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED"]
    scheduled[0]["activityTaskScheduledEventAttributes"]["activityType"]["name"] = "something_else"
    (tmp_path / "partnership-signed.json").write_text(json.dumps(broken))
    result = run_cli("audit", "replay", str(tmp_path), env=dict(os.environ))
    assert result.returncode == 1
    assert "NON-DETERMINISTIC at event" in result.stdout
    assert result.stdout.strip().endswith("0 replayed, 1 failed")


def test_the_timeline_of_an_altered_history_says_so_and_exits_1(tmp_path):
    """Audit walkthrough 4, F6: a filing altered in an exported history read "signed with key
    unknown", exit 0."""
    import base64

    exported = json.loads((HISTORIES / "joint-action-completed.json").read_text())
    accepted = [e for e in exported["events"] if "workflowExecutionUpdateAcceptedEventAttributes" in e]
    payload = accepted[0]["workflowExecutionUpdateAcceptedEventAttributes"]["acceptedRequest"]["input"]["args"]
    filing = json.loads(base64.b64decode(payload["payloads"][0]["data"]))
    filing["filing_id"] = "a-paper-never-signed"
    payload["payloads"][0]["data"] = base64.b64encode(json.dumps(filing).encode()).decode()
    altered = tmp_path / "altered.json"
    altered.write_text(json.dumps(exported))
    result = run_cli("audit", "timeline", str(altered), env=dict(os.environ))
    assert result.returncode == 1 and "its signature verifies with NO key of the registry: altered" in result.stdout
    assert result.stderr.strip() == (
        "1 filing(s) whose signature no key of the run's registry verifies: the history was altered"
    )
    assert (
        run_cli("audit", "timeline", str(HISTORIES / "joint-action-completed.json"), env=dict(os.environ)).returncode
        == 0
    )


def test_the_timeline_of_a_termination(tmp_path):
    [history] = load([HISTORIES / "partnership-terminated.json"])
    entries = timeline(history)
    notice = [e for e in entries if e.kind == "filing" and e.detail["update"] == "give_termination_notice"]
    assert len(notice) == 1 and notice[0].paragraph == "31" and notice[0].detail["filed_by"] == "ROK"
    assert notice[0].detail["key"]  # the fingerprint of the key that signed it
    reminders = [e for e in entries if e.kind == "notification" and "Reminder: the Partnership terminates" in e.text]
    assert [r.paragraph for r in reminders] == ["31", "31", "31"]
    assert ["3 months" in reminders[0].text, "1 month" in reminders[1].text, "1 week" in reminders[2].text] == [
        True
    ] * 3
    effect = [e for e in entries if e.kind == "decision" and "terminated on" in e.text]
    assert len(effect) == 1 and effect[0].paragraph == "31"
    assert any(e.kind == "timer-fired" for e in entries) and any(e.kind == "timer-set" for e in entries)
    assert [e.at for e in entries] == sorted(e.at for e in entries)

    result = run_cli(
        "audit", "timeline", str(HISTORIES / "partnership-terminated.json"), "--json", env=dict(os.environ)
    )
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) == len(entries)


def test_the_timeline_says_what_each_filing_filed():
    """Review 6, F3: a joint action shows its latest reports; the timeline must show every one's
    status, percent and note (it said only "UK filed report")."""
    [history] = load([HISTORIES / "joint-action-completed.json"])
    (report,) = [e for e in timeline(history) if e.kind == "filing" and e.detail["update"] == "report"]
    assert {k: report.detail["terms"][k] for k in ("status", "percent")} == {"status": "on-track", "percent": 40}
    assert report.text.endswith("status: on-track; percent: 40") and "signature" not in report.detail["terms"]


# Against a real server -----------------------------------------------------------------------------


async def test_a_temporal_cli_export_of_a_real_run_replays(local_env, local_worker, data_dir, task_queue, tmp_path):
    wid = f"partnership-{uuid.uuid4().hex}"
    await bootstrap(local_env.client, task_queue, wid, schedule=False)
    await effects_done(local_env.client.get_workflow_handle(wid), PartnershipWorkflow.pending_effects)
    address = local_env.client.service_client.config.target_host
    shown = subprocess.run(
        [BIN / "temporal", "workflow", "show", "-w", wid, "--address", address, "--output", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    (tmp_path / f"{wid}.json").write_text(shown.stdout)
    ours = history_json(await fetch(local_env.client, wid))
    assert json.loads(ours) == json.loads(shown.stdout)
    # One history, one spelling (its keys sorted: protobuf maps have no order), so a saved hash holds.
    assert ours == json.dumps(json.loads(ours), indent=2, sort_keys=True) + "\n"
    assert ours == history_json(await fetch(local_env.client, wid))
    result = run_cli("audit", "replay", str(tmp_path), env=dict(os.environ))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("1 replayed, 0 failed")


async def test_export_writes_every_run_of_a_chain(local_env, local_worker, keys, task_queue, tmp_path):
    wid = f"partnership-{uuid.uuid4().hex}"
    state = PartnershipState(keys=keys, text_sha256=text_sha256(), continue_as_new_at_length=12)
    handle = await start_partnership(local_env.client, task_queue, wid, state)
    for side in (Identity.UK, Identity.ROK):
        filing = SignPartnership(filed_by=side, signed_on="2023-11-22", text_sha256=text_sha256())
        await local_env.client.get_workflow_handle(wid).execute_update(PartnershipWorkflow.sign, signed(filing, to=wid))
    await effects_done(local_env.client.get_workflow_handle(wid), PartnershipWorkflow.pending_effects)
    env = {"TEMPORAL_ADDRESS": local_env.client.service_client.config.target_host, "PATH": str(BIN)}
    out = tmp_path / "export"
    # A chain's runs are not written into a folder named like a file (audit walkthrough 4, F11).
    named = await asyncio.to_thread(run_cli, "audit", "export", wid, "-o", str(tmp_path / "chain.json"), env=env)
    assert named.returncode == 1 and "continued as new): give a folder with -o DIR" in named.stderr, named.stderr
    assert not (tmp_path / "chain.json").exists()
    # In a thread: the in-process worker must go on serving the continued run meanwhile (a blocked
    # event loop let its task time out over and over: the `attempt=11` of issue 17).
    result = await asyncio.to_thread(run_cli, "audit", "export", wid, "-o", str(out), env=env)
    assert result.returncode == 0, result.stderr
    files = sorted(out.iterdir())
    assert len(files) >= 2 and all(f.name.startswith(f"{wid}__") for f in files)
    replayed = await asyncio.to_thread(run_cli, "audit", "replay", str(out), env=dict(os.environ))
    assert replayed.returncode == 0, replayed.stdout
    everything = tmp_path / "all"
    result = await asyncio.to_thread(
        run_cli, "audit", "export", "--all", "--query", f"WorkflowId = '{wid}'", "-o", str(everything), env=env
    )
    assert result.returncode == 0, result.stderr
    assert sorted(f.name for f in everything.iterdir()) == sorted(f.name for f in files)
    # No run of the chain, the continued ones included, ever had a workflow task fail.
    for history in await fetch_all(local_env.client, f"WorkflowId = '{wid}'"):
        failed = [e.event_id for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED]
        assert not failed, f"run {history.run_id}: workflow task failed at events {failed}"
    del handle


@pytest.fixture
async def audited(local_env, local_worker, data_dir, task_queue):
    """A Partnership with a few decisions in the register, and the query that covers it."""
    wid = f"partnership-{uuid.uuid4().hex}"
    await bootstrap(local_env.client, task_queue, wid, schedule=False)
    handle = local_env.client.get_workflow_handle(wid)
    # The entry into effect is row 1 only once its effect has run before the notice is filed: the
    # two effects are independent activities, and a slow first one lets the second append first.
    await effects_done(handle, PartnershipWorkflow.pending_effects)
    await handle.execute_update(
        PartnershipWorkflow.give_termination_notice, signed(TerminationNotice(filed_by=Identity.UK), to=handle)
    )
    await effects_done(handle, PartnershipWorkflow.pending_effects)
    query = f"WorkflowId = '{wid}'"
    report = await verify(local_env.client, register_engine(), query)
    assert report.ok and report.rows == 2 and report.decisions_in_histories == 2
    return local_env.client, query


async def test_verify_catches_an_edited_row(audited):
    client, query = audited
    with register_engine().begin() as conn:
        conn.execute(text("UPDATE decisions SET summary = 'nothing happened' WHERE seq = 2"))
    problems = (await verify(client, register_engine(), query)).problems
    assert any("its content was edited" in p for p in problems)
    assert any(p.endswith("summary differs from the history") for p in problems)


async def test_verify_catches_a_deleted_row(audited):
    client, query = audited
    with register_engine().begin() as conn:
        conn.execute(text("DELETE FROM decisions WHERE seq = 1"))
    problems = (await verify(client, register_engine(), query)).problems
    assert any("a row was deleted or inserted here" in p for p in problems)
    assert any("entry-into-effect: recorded by" in p and p.endswith("it was deleted") for p in problems)


async def test_verify_catches_an_inserted_row_even_with_a_valid_chain(audited):
    client, query = audited
    wid = query.split("'")[1]
    forged = DecisionRecord(
        decision_id=f"{wid}/amendment-in-effect/forged",
        workflow_id=wid,
        kind="amendment-in-effect",
        paragraph="33",
        decided_at="2026-01-01T00:00:00Z",
        summary="An amendment nobody consented to.",
    )
    append_decision(register_engine(), forged)
    report = await verify(client, register_engine(), query)
    assert report.problems == [f"row 3 ({forged.decision_id}): no workflow history recorded it; it was inserted"]


async def test_verify_checks_the_closed_entries_the_reads_show(local_env, local_worker, data_dir, task_queue):
    """`status`, `partnership text` and the lists read closed things from the register's closed
    entries: one inserted, edited or deleted there is named, as a register row would be."""
    from activities.register import file_closed
    from models.consultation import ConsultationRequest, ConsultationWithdrawal
    from models.records import ClosedEntry
    from tests.helpers import eventually
    from workflows.consultation import ConsultationWorkflow

    wid = f"partnership-{uuid.uuid4().hex}"
    await bootstrap(local_env.client, task_queue, wid, schedule=False)
    handle = local_env.client.get_workflow_handle(wid)
    request = ConsultationRequest(filed_by=Identity.UK, about="28", summary="Costs of the workshops")
    receipt = await handle.execute_update(PartnershipWorkflow.open_consultation, signed(request, to=handle))
    consultation = local_env.client.get_workflow_handle(receipt.consultation_id)
    withdrawal = ConsultationWithdrawal(filed_by=Identity.UK, consultation_id=receipt.consultation_id)
    await consultation.execute_update(ConsultationWorkflow.withdraw, signed(withdrawal, to=consultation))
    query, engine = f"WorkflowId = '{wid}'", register_engine()

    async def filed():
        await effects_done(handle, PartnershipWorkflow.pending_effects)
        with engine.begin() as conn:
            return conn.execute(text("SELECT count(*) FROM closed_entries")).scalar() == 1

    await eventually(filed)
    assert (await verify(local_env.client, engine, query)).ok
    # A filing under way (its row written, its completion not yet in the history an auditor
    # fetched) is not an insertion; with no filing at all in the history, it is.
    from temporalio.client import WorkflowHistory

    from audit.verify import closed_entry_problems
    from models.names import FILE_CLOSED

    events = (await handle.fetch_history()).events
    filing = {
        e.event_id
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name == FILE_CLOSED
    }
    completed = EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
    under_way = [
        e
        for e in events
        if not (e.event_type == completed and e.activity_task_completed_event_attributes.scheduled_event_id in filing)
    ]
    assert closed_entry_problems(engine, [WorkflowHistory(wid, under_way)], {wid}) == []
    # Likewise a decision whose row is written before the history records `record_decision` done.
    from audit.verify import recorded_decisions, recording_under_way

    assert recording_under_way([WorkflowHistory(wid, events)]) == set()
    recording = [e for e in events if e.event_type != completed]
    assert recording_under_way([WorkflowHistory(wid, recording)]) == set(
        recorded_decisions(WorkflowHistory(wid, events))
    )
    assert recorded_decisions(WorkflowHistory(wid, events))
    # One given up (an effect set aside) is no longer under way: a row with its id is checked.
    from temporalio.api.history.v1 import ActivityTaskFailedEventAttributes, HistoryEvent

    gave_up = [
        HistoryEvent(
            event_id=10**6 + n,
            event_type=EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
            activity_task_failed_event_attributes=ActivityTaskFailedEventAttributes(
                scheduled_event_id=e.activity_task_completed_event_attributes.scheduled_event_id
            ),
        )
        for n, e in enumerate(events)
        if e.event_type == completed
    ]
    assert recording_under_way([WorkflowHistory(wid, recording + gave_up)]) == set()
    never = [e for e in under_way if e.event_id not in filing]
    assert closed_entry_problems(engine, [WorkflowHistory(wid, never)], {wid}) == [
        f"closed entry {receipt.consultation_id}: no workflow history filed it; it was inserted"
    ]
    with engine.begin() as conn:
        conn.execute(text("UPDATE closed_entries SET summary_json = replace(summary_json, 'WITHDRAWN', 'RESOLVED')"))
    problems = (await verify(local_env.client, engine, query)).problems
    assert problems == [f"closed entry {receipt.consultation_id}: it differs from what {wid} filed; it was edited"]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM closed_entries"))
    problems = (await verify(local_env.client, engine, query)).problems
    assert problems == [
        f"closed entry {receipt.consultation_id}: filed by {wid} but missing from the register; it was deleted"
    ]
    inserted = ClosedEntry(entry_id=f"{wid}-amendment-9", kind="amendment", partnership_id=wid, summary={})
    await asyncio.to_thread(file_closed, inserted)
    problems = (await verify(local_env.client, engine, query)).problems
    assert f"closed entry {inserted.entry_id}: no workflow history filed it; it was inserted" in problems


def test_auditor_commands_take_no_identity():
    result = run_cli("audit", "verify", "--as", "UK", env=dict(os.environ))
    assert result.returncode == 2


def test_export_file_names_carry_the_workflow_id():
    assert file_name("partnership") == "partnership.json"
    assert file_name("partnership", "abc") == "partnership__abc.json"


async def test_a_history_under_any_file_name_replays(tmp_path):
    """The workflow id is read from what the history recorded, not only from the file name."""
    (tmp_path / "exported-by-hand.json").write_text((HISTORIES / "partnership-programmes.json").read_text())
    [history] = load([tmp_path / "exported-by-hand.json"])
    assert history.workflow_id == "partnership-programmes"
    [outcome] = await replay([history])
    assert outcome.ok


def test_a_run_caught_before_its_first_workflow_task_replays_at_once(tmp_path):
    """An export can catch a continued run whose first workflow task has not completed: one event,
    no command recorded. Replay has nothing to check and must say so, not wait forever."""
    history = json.loads((HISTORIES / "partnership-signed.json").read_text())
    history["events"] = history["events"][:1]
    (tmp_path / "partnership-signed__caught.json").write_text(json.dumps(history))
    result = run_cli("audit", "replay", str(tmp_path), env=dict(os.environ), timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 events  ok" in result.stdout
    assert result.stdout.strip().endswith("1 replayed, 0 failed")


@pytest.mark.parametrize("command", ["replay", "timeline"])
def test_a_file_that_is_not_a_history_gets_one_line(tmp_path, command):
    for name, content in (("notes.json", b"this is not JSON"), ("latin1.json", b"\xff\xfe{")):
        (tmp_path / name).write_bytes(content)
        result = run_cli("audit", command, str(tmp_path / name), env=dict(os.environ), timeout=60)
        assert result.returncode == 1
        assert result.stderr.strip() == (
            f"{tmp_path / name} is not a workflow history (JSON as `temporal workflow show --output json` writes it)"
        )


@pytest.mark.parametrize(
    ("database", "where"),
    [
        (None, "no register at sqlite:///{data}/register.db (unable to open database file)"),
        ("bogus://x", "no register at bogus://x (Can't load plugin: sqlalchemy.dialects:bogus)"),
        (
            "postgresql+psycopg://auditor:secret@127.0.0.1:1/register",
            "no register at postgresql+psycopg://auditor:***@",
        ),
    ],
    ids=["an-office-without-one", "not-a-database", "a-server-that-does-not-answer"],
)
def test_verify_where_no_register_answers_says_so_in_one_line(tmp_path, database, where):
    """An auditor's or a Participant office's data dir holds no register (only the secretariat's
    stack writes one): `audit verify` says where it looked, in one line, without the password."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"PARTNERSHIP_DATA_DIR": str(tmp_path / "office"), "TEMPORAL_ADDRESS": "127.0.0.1:1"}
    if database:
        env["DATABASE_URL"] = database
    for extra in ([], ["--from-archive"]):
        result = run_cli("audit", "verify", *extra, env=env, timeout=60)
        assert result.returncode == 1, result.stdout
        [line] = result.stderr.strip().splitlines()
        assert line.startswith(where.format(data=tmp_path / "office")), line
        assert "secret" not in line and line.endswith("or point DATABASE_URL (or PARTNERSHIP_DATA_DIR) at it")


def test_from_the_archive_alone_a_closed_workflow_with_no_archived_history_was_lost(data_dir):
    """Walkthrough 2, A4: `audit verify --from-archive` counted a workflow whose history was lost
    before any archive pass among those "still running" and called the register consistent. The
    register's closed entry says it closed, so its history belongs in the archive once a pass has
    run since its last decision; one that closed after the last pass is not yet archived (review 5)."""
    from datetime import UTC, datetime

    from activities.register import _file_closed
    from models.records import ClosedEntry

    engine = register_engine()

    def row(workflow_id: str, kind: str, day: int) -> None:
        at = datetime(2026, 1, day, tzinfo=UTC)
        append_decision(
            engine,
            DecisionRecord(
                decision_id=f"{workflow_id}/{kind}", workflow_id=workflow_id, kind=kind, paragraph="32",
                decided_at=at, summary=kind,
            ),
        )  # fmt: skip

    for workflow_id in ("action-13a-lost", "action-13a-just-closed", "action-13a-closing", "action-13a-mailing"):
        _file_closed(ClosedEntry(entry_id=workflow_id, kind="action", partnership_id="partnership", summary={}))
    row("action-13a-lost", "discontinued", 1)
    row("action-13a-mailing", "discontinued", 1)  # still running at the pass, a mail retrying (review 8)
    row("action-9b-still-running", "agreed", 1)
    row("action-13a-just-closed", "completed", 3)
    # Closed half a day before the pass, its run may still have been sending its last mail (review 7, F5).
    row("action-13a-closing", "completed", 2)
    # A pass ran on day 2 and archived nothing: its sweep row dates it (audit walkthrough 4, F14).
    from activities.archive import archive_engine
    from models.archive import ArchiveLingering, ArchiveSweep

    with Session(archive_engine()) as session:
        on = datetime(2026, 1, 2, 12, tzinfo=UTC)  # more than a day after the lost one's last decision
        session.add(ArchiveSweep(task_queue="partnership", started_at=on, finished_at=on, archived=0))
        session.add(ArchiveLingering(started_at=on, workflow_id="action-13a-mailing"))
        session.commit()
    report = asyncio.run(verify(None, engine, from_archive=True))
    assert not report.ok and report.problems == [
        "action-13a-lost: the register holds its closed entry (action of partnership) but the archive holds no "
        "history of it, though a pass ran a day after its last decision: it was lost before it was archived"
    ]
