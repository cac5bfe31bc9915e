"""The record outlives the server (DESIGN §2, issue 14): closed histories are archived into the
register database, once each, run by run, anchored in the hash chain, and audits read them there."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DataError
from sqlmodel import Session, select
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from activities.archive import archive_engine
from activities.register import append_decision, decisions, register_engine
from audit.archive import archive_problems, histories_of, summary
from audit.replay import replay
from audit.verify import verify
from engine.archive import archive_now
from engine.bootstrap import start_partnership, text_sha256
from models.archive import ARCHIVED_KIND, ArchivedHistory
from models.identities import Identity
from models.joint_action import ActionAgreement, ActionClosure, JointActionProposal
from models.partnership import PartnershipState, SignPartnership
from models.records import DecisionRecord
from tests.cli_runner import run_cli
from tests.helpers import effects_done, eventually, signed
from workflows.joint_action import JointActionWorkflow
from workflows.partnership import PartnershipWorkflow

BIN = Path(sys.executable).parent


async def completed_action(partnership, client, title="Open RAN testbed"):
    receipt = await partnership.execute_update(
        PartnershipWorkflow.propose_joint_action,
        signed(JointActionProposal(filed_by=Identity.UK, ref="9b", title=title), to=partnership),
    )
    action = client.get_workflow_handle(receipt.action_id)
    await action.execute_update(
        JointActionWorkflow.agree, signed(ActionAgreement(filed_by=Identity.ROK, action_id=action.id), to=action)
    )
    for side in (Identity.UK, Identity.ROK):
        await action.execute_update(
            JointActionWorkflow.close,
            signed(ActionClosure(filed_by=side, action_id=action.id, outcome="complete"), to=action),
        )
    await action.result()
    return action


def archived_rows(workflow_id: str) -> list[ArchivedHistory]:
    with Session(archive_engine()) as session:
        return list(session.exec(select(ArchivedHistory).where(ArchivedHistory.workflow_id == workflow_id)))


async def test_a_completed_joint_action_is_archived_once_and_anchored(register_db, local_env, partnership, task_queue):
    action = await completed_action(partnership, local_env.client)
    first = await archive_now(local_env.client, task_queue)
    assert (first.archived, first.already) == (1, 0)  # the Partnership still runs: only the action closed
    again = await archive_now(local_env.client, task_queue, full=True)
    assert (again.archived, again.already) == (0, 1)

    [row] = archived_rows(action.id)
    assert row.workflow_type == "JointActionWorkflow" and row.status == "COMPLETED"
    [history] = await histories_of(None, archive_engine(), action.id)
    assert history.run_id == row.run_id and len(history.events) == row.events
    server = await action.fetch_history()
    assert [e.event_id for e in history.events] == [e.event_id for e in server.events]
    anchors = [r for r in decisions(register_engine()) if r.kind == ARCHIVED_KIND]
    assert [(a.workflow_id, a.decision_id.endswith(row.run_id)) for a in anchors] == [(action.id, True)]
    assert row.sha256 in anchors[0].details_json
    assert summary(archive_engine()).histories == 1

    # The Partnership's filing of the action's closed entry settled first: a history read before
    # it filed, and the register after, would show the row as inserted.
    await effects_done(partnership, PartnershipWorkflow.pending_effects)
    report = await verify(local_env.client, register_engine(), f"WorkflowId IN ('{action.id}', '{partnership.id}')")
    assert report.ok, report.problems
    assert report.archived == 1 and report.unarchived == []


async def test_a_pass_started_from_outside_cannot_steer_later_passes(register_db, local_env, partnership, task_queue):
    """Adversarial review 2, F1/F2: anyone may start ArchiveWorkflow, so its input steers nothing.
    A pass dated 2999 made every later pass look only past 2999 (nothing was archived again); a batch
    size of -1 looped for ever; another task queue's name recorded its sweep there."""
    from datetime import UTC, datetime, timedelta

    from activities.archive import last_sweep_start
    from models.archive import ArchiveSweep
    from models.archive_pass import ArchiveSettings
    from workflows.archive import ArchiveWorkflow

    future = datetime(2999, 1, 1, tzinfo=UTC)
    forged = ArchiveSettings(task_queue="elsewhere", batch_size=-1, sweep_started=future)
    outcome = await local_env.client.execute_workflow(
        ArchiveWorkflow.run,
        forged,
        id=f"forged-archive-{uuid.uuid4()}",
        task_queue=task_queue,
        execution_timeout=timedelta(seconds=60),
    )
    assert outcome.batches == 1
    with Session(archive_engine()) as session:
        sweeps = list(session.exec(select(ArchiveSweep).where(ArchiveSweep.task_queue == task_queue)))
        elsewhere = list(session.exec(select(ArchiveSweep).where(ArchiveSweep.task_queue == "elsewhere")))
    assert len(sweeps) == 1 and sweeps[0].started_at <= sweeps[0].finished_at and elsewhere == []
    # A row dated so before this change is not taken for the last pass either.
    with Session(archive_engine()) as session:
        session.add(ArchiveSweep(task_queue=task_queue, started_at=future, finished_at=datetime.now(UTC), archived=0))
        session.commit()
    assert last_sweep_start(archive_engine(), task_queue) < datetime.now(UTC)

    action = await completed_action(partnership, local_env.client)
    assert (await archive_now(local_env.client, task_queue)).archived == 1
    assert len(archived_rows(action.id)) == 1


@pytest.mark.timeout(90)
async def test_archive_now_names_a_pass_it_joined_that_cannot_run(local_env, local_worker, task_queue):
    """Adversarial review 2, F2: a pass started under `archive now`'s id with input no worker can
    read holds every `archive now`; it is named, with how to end it, not blamed on the worker."""
    from engine.archive import on_demand_id, why_not_finished

    assert "is a worker running" in await why_not_finished(local_env.client, task_queue)
    ident = on_demand_id(task_queue)
    await local_env.client.start_workflow("ArchiveWorkflow", "not settings", id=ident, task_queue=task_queue)

    async def stuck() -> str | None:
        said = await why_not_finished(local_env.client, task_queue)
        return said if "cannot run" in said else None

    said = await eventually(stuck, timeout=60, interval=0.5)
    assert said.startswith(f"the archive pass {ident} (started ") and f"terminate --workflow-id {ident}" in said
    await local_env.client.get_workflow_handle(ident).terminate("test over")


def audit_verify(local_env, *ids: str) -> subprocess.CompletedProcess[str]:
    """`partnership audit verify` through the CLI, over these workflows (the namespace is shared)."""
    env = os.environ | {"TEMPORAL_ADDRESS": local_env.client.service_client.config.target_host}
    query = "WorkflowId IN (" + ", ".join(f"'{i}'" for i in ids) + ")"
    return run_cli("audit", "verify", "--query", query, env=env)


async def test_an_edited_archive_and_a_cut_register_are_reported(register_db, local_env, partnership, task_queue):
    action = await completed_action(partnership, local_env.client)
    await archive_now(local_env.client, task_queue)
    [row] = archived_rows(action.id)
    where = f"archived history {action.id} run {row.run_id} (archive row {row.seq})"
    with archive_engine().begin() as conn:
        conn.execute(
            text("UPDATE histories SET compressed = :b WHERE seq = :s"), {"b": row.compressed[:-1], "s": row.seq}
        )
    edited = audit_verify(local_env, action.id, partnership.id)
    assert edited.returncode == 1, edited.stdout + edited.stderr
    assert edited.stdout.splitlines()[:-1] == [f"{where}: its bytes do not hash to its SHA-256; it was edited"]
    with archive_engine().begin() as conn:
        conn.execute(text("UPDATE histories SET compressed = :b WHERE seq = :s"), {"b": row.compressed, "s": row.seq})
        conn.execute(text("UPDATE histories SET sha256 = :h WHERE seq = :s"), {"h": "0" * 64, "s": row.seq})
    anchor = decisions(register_engine())[-1]
    assert archive_problems(register_engine()) == [
        f"{where}: its bytes do not hash to its SHA-256; it was edited",
        f"{where}: its SHA-256 differs from register row {anchor.seq}; it was replaced",
    ]
    with archive_engine().begin() as conn:
        conn.execute(text("UPDATE histories SET sha256 = :h WHERE seq = :s"), {"h": row.sha256, "s": row.seq})
        conn.execute(text("DELETE FROM decisions WHERE seq = :s"), {"s": anchor.seq})
    cut = audit_verify(local_env, action.id, partnership.id)
    assert cut.returncode == 1
    assert cut.stdout.splitlines()[:-1] == [f"{where}: no register row anchors it; it was inserted or its row deleted"]
    # A query that matches no governed workflow verifies nothing: it is not called consistent.
    env = os.environ | {"TEMPORAL_ADDRESS": local_env.client.service_client.config.target_host}
    bogus = run_cli("audit", "verify", "--query", "WorkflowId ===", env=env)
    assert bogus.returncode == 2 and "--query: " in bogus.stderr, bogus.stderr  # a usage error
    typo = audit_verify(local_env, f"{partnership.id}-typo")
    assert typo.returncode == 1 and typo.stderr.strip() == (
        f"no governed workflow matches \"WorkflowId IN ('{partnership.id}-typo')\": nothing was verified"
    )


async def test_an_archive_rewritten_with_its_hashes_is_caught_against_the_servers_copy(
    local_env, partnership, task_queue
):
    """Adversarial review 2, F4: whoever writes the register database can rewrite an archived
    history and recompute its SHA-256 and anchor (and the chain after it); while the server still
    has the run, verify compares the two copies event by event."""
    import json

    from temporalio.api.history.v1 import History

    from audit.verify import verify
    from models.archive import pack, unpack

    action = await completed_action(partnership, local_env.client)
    await archive_now(local_env.client, task_queue)
    [row] = archived_rows(action.id)
    history = History.FromString(unpack(row.compressed))
    history.events[0].workflow_execution_started_event_attributes.identity = "someone else"
    sha256, compressed = pack(history.SerializeToString())
    anchor = next(d for d in decisions(register_engine()) if d.kind == ARCHIVED_KIND and d.workflow_id == action.id)
    details = json.loads(anchor.details_json) | {"sha256": sha256}
    with archive_engine().begin() as conn:
        conn.execute(
            text("UPDATE histories SET compressed = :b, sha256 = :h WHERE seq = :s"),
            {"b": compressed, "h": sha256, "s": row.seq},
        )
        conn.execute(
            text("UPDATE decisions SET details_json = :d WHERE seq = :s"), {"d": json.dumps(details), "s": anchor.seq}
        )
    report = await verify(local_env.client, register_engine(), f"WorkflowId IN ('{action.id}', '{partnership.id}')")
    assert (
        f"archived history {action.id} run {row.run_id} differs from the server's history of that run; "
        "the archive was rewritten"
    ) in report.problems


async def test_a_closed_run_not_yet_archived_is_listed_and_once_lost_is_reported(local_env, partnership):
    action = await completed_action(partnership, local_env.client)
    query = f"WorkflowId = '{partnership.id}'"  # the Partnership's audit covers the actions it started
    report = await verify(local_env.client, register_engine(), query)
    run_id = (await action.describe()).run_id
    assert report.ok and report.unarchived == [f"{action.id} {run_id}"]

    address = local_env.client.service_client.config.target_host
    subprocess.run(
        [BIN / "temporal", "workflow", "delete", "-w", action.id, "--address", address, "--yes"], check=True, timeout=60
    )
    lost = [r for r in decisions(register_engine()) if r.workflow_id == action.id]

    async def deleted():
        try:
            await action.describe()
        except RPCError as err:
            return err.status is RPCStatusCode.NOT_FOUND
        return False

    await eventually(deleted, timeout=120)
    problems = (await verify(local_env.client, register_engine(), query)).problems
    assert problems == [
        f"row {r.seq} ({r.decision_id}): the history of {action.id} is neither on the server nor in the archive; "
        "it was lost before it was archived, or the row was inserted"
        for r in lost
    ]


async def test_a_continue_as_new_chain_is_archived_run_by_run(local_env, local_worker, keys, task_queue):
    state = PartnershipState(keys=keys, text_sha256=text_sha256(), continue_as_new_at_length=12)
    wid = f"partnership-{uuid.uuid4().hex}"
    handle = await start_partnership(local_env.client, task_queue, wid, state)
    for side in (Identity.UK, Identity.ROK):
        filing = SignPartnership(filed_by=side, signed_on="2023-11-22", text_sha256=text_sha256())
        await local_env.client.get_workflow_handle(wid).execute_update(PartnershipWorkflow.sign, signed(filing, to=wid))
    latest = local_env.client.get_workflow_handle(wid)
    await effects_done(latest, PartnershipWorkflow.pending_effects)
    await latest.terminate("test over")

    async def listed():  # visibility catches up with the termination a moment later
        runs = [w async for w in local_env.client.list_workflows(f"WorkflowId = '{wid}'")]
        statuses = {r.status for r in runs}
        ended = {WorkflowExecutionStatus.CONTINUED_AS_NEW, WorkflowExecutionStatus.TERMINATED}
        return runs if len(runs) >= 2 and statuses == ended else None

    runs = await eventually(listed)

    outcome = await archive_now(local_env.client, task_queue)
    assert outcome.archived == len(runs)
    chain = await histories_of(None, archive_engine(), wid)
    assert sorted(h.run_id for h in chain) == sorted(r.run_id for r in runs)
    starts = [h.events[0].event_time.ToDatetime() for h in chain]
    assert starts == sorted(starts)  # oldest run first
    outcomes = await replay(chain)
    assert [o.problem for o in outcomes] == [None] * len(runs)
    del handle


@pytest.mark.timeout(150)
async def test_a_run_the_database_refuses_never_stops_the_archive(register_db, local_env, partnership, task_queue):
    """Adversarial review 3, F5: an outsider's run of a governed type under a 500-character id
    failed every pass on PostgreSQL (the column held 400), for ever. Ids of any length are stored;
    and a run the database still refuses is set aside and reported, the pass going on."""
    import activities.archive
    from models.keyring import KeyRing
    from models.register import FailedEffect

    action = await completed_action(partnership, local_env.client)
    long_id = f"x{uuid.uuid4().hex}" + "y" * 500
    outsider = await local_env.client.start_workflow(
        PartnershipWorkflow.run,
        PartnershipState(keys=KeyRing(), text_sha256="0" * 64),
        id=long_id,
        task_queue=task_queue,
    )
    await outsider.terminate("an outsider's run")
    done = await archive_now(local_env.client, task_queue)
    assert done.archived == 2 and len(archived_rows(long_id)) == 1 and len(archived_rows(action.id)) == 1

    refused = await completed_action(partnership, local_env.client, title="Refused by the database")
    stored = activities.archive.store

    def store(engine, execution, *args):
        if execution.id == refused.id:
            raise DataError("INSERT …", {}, ValueError("value too long"))
        return stored(engine, execution, *args)

    activities.archive.store = store
    try:
        done = await archive_now(local_env.client, task_queue)
    finally:
        activities.archive.store = stored
    assert done.archived == 0 and archived_rows(refused.id) == []
    with Session(register_engine()) as session:
        (aside,) = session.exec(select(FailedEffect).where(FailedEffect.kind == "archive")).all()
    assert aside.effect_id.startswith("archive/") and "cannot store this run: ValueError" in aside.reason
    # Set aside, it is not waited for again: more of them than a batch holds kept a pass going for
    # ever (review 7, F3). A full pass lists it and finds nothing to do.
    from activities.archive import already_archived

    run_id = aside.effect_id.removeprefix("archive/")
    assert already_archived(archive_engine(), [run_id]) == {run_id}
    again = await archive_now(local_env.client, task_queue, full=True)
    assert again.archived == 0 and archived_rows(refused.id) == []


@pytest.mark.timeout(120)
async def test_a_thing_the_server_no_longer_has_is_said_closed_not_missing(local_env, partnership, monkeypatch):
    """Audit walkthrough 4, F5: once retention deleted a closed action's workflow, `action show`
    said there was no such action, and pointed to the list that showed it."""
    import cli.common
    import models.names
    from tests.helpers import delete_history

    action = await completed_action(partnership, local_env.client)
    await effects_done(partnership, PartnershipWorkflow.pending_effects)  # its closed entry filed
    await delete_history(local_env.client, action.id)
    monkeypatch.setenv("TEMPORAL_ADDRESS", local_env.client.service_client.config.target_host)
    monkeypatch.setattr(models.names, "PARTNERSHIP_ID", partnership.id)
    monkeypatch.setattr(cli.common, "_connected", [])
    with pytest.raises(cli.common.Missing) as said:
        await cli.common.query_or_explain(action, JointActionWorkflow.show, f"no joint action {action.id}")
    assert str(said.value) == (
        f"{action.id} has closed and its workflow is no longer on the server: `partnership action list` shows its "
        f"last summary, `partnership audit timeline {action.id}` its record (from the archive)"
    )
    cli.common.forget_connection()


def test_backup_and_restore_refuse_what_would_overwrite_or_is_damaged(data_dir, tmp_path, monkeypatch):
    from engine.backup import BackupRefused, backup, restore

    append_decision(register_engine(), DecisionRecord(**RECORD))
    target = tmp_path / "backup"
    manifest = backup(target)
    assert sorted(manifest["files"]) == ["keys/rok.pub", "keys/secretariat.pub", "keys/uk.pub", "register.db"]
    with pytest.raises(BackupRefused, match="is not empty; back up into a new folder"):
        backup(target)
    with pytest.raises(BackupRefused, match=r"already holds a stack \(register.db\); restore into a new data dir"):
        restore(target)
    (target / "keys" / "uk.pub").write_text("not the key that was backed up\n")
    monkeypatch.setenv("PARTNERSHIP_DATA_DIR", str(tmp_path / "new"))
    with pytest.raises(BackupRefused, match=r"the backup is damaged \(keys/uk.pub not as backup.json says\); nothing"):
        restore(target)
    assert not (tmp_path / "new").exists()  # a refused restore changes nothing


def test_a_backup_keeps_the_offices_pins_and_retired_keys(data_dir, tmp_path, monkeypatch):
    """Walkthrough 3, F2: only keys/*.pub were copied, so a restored office had no pins to hold the
    Partnership's registry to, and lost the keys it had rotated away."""
    from engine.backup import backup, restore

    append_decision(register_engine(), DecisionRecord(**RECORD))
    keys = data_dir / "keys"
    (keys / "pins.json").write_text('{"UK": "pinned"}\n')
    (keys / "retired").mkdir()
    (keys / "retired" / "uk-0123456789abcdef-1.pub").write_text("old public key\n")
    (keys / "retired" / "uk-0123456789abcdef-1.key").write_text("old private key\n")
    public_only = backup(tmp_path / "public")
    assert {"keys/pins.json", "keys/retired/uk-0123456789abcdef-1.pub"} <= set(public_only["files"])
    assert "keys/retired/uk-0123456789abcdef-1.key" not in public_only["files"]
    assert "keys/retired/uk-0123456789abcdef-1.key" in backup(tmp_path / "all", private_keys=True)["files"]
    monkeypatch.setenv("PARTNERSHIP_DATA_DIR", str(tmp_path / "restored"))
    restore(tmp_path / "public")
    assert (tmp_path / "restored" / "keys" / "pins.json").read_text() == '{"UK": "pinned"}\n'


@pytest.mark.parametrize(
    "name",
    [
        "mail/../../outside",
        "ABSOLUTE",
        "keys/../../outside.pub",
        "mail/cur/../../../outside",
        "notes.txt",
        "keys/a\x00b.pub",
    ],
)
def test_a_restore_takes_only_what_a_backup_holds_and_writes_nothing_outside(data_dir, tmp_path, monkeypatch, name):
    """Adversarial review 3, F6: a manifest's names were copied as they were, `..` and all, so an
    edited backup wrote wherever it liked (`~/.ssh/authorized_keys`)."""
    import hashlib
    import json

    from engine.backup import BackupRefused, backup, restore

    append_decision(register_engine(), DecisionRecord(**RECORD))
    target = tmp_path / "deep" / "er" / "backup"
    backup(target)
    name = str(tmp_path / "deep" / "outside") if name == "ABSOLUTE" else name
    if "\x00" not in name:  # a NUL: no file can be planted, the manifest alone names it (review 8)
        planted = target / name  # an absolute name is itself
        planted.parent.mkdir(parents=True, exist_ok=True)
        planted.write_text("planted\n")
    manifest = json.loads((target / "backup.json").read_text())
    manifest["files"][name] = hashlib.sha256(b"planted\n").hexdigest()
    (target / "backup.json").write_text(json.dumps(manifest))
    monkeypatch.setenv("PARTNERSHIP_DATA_DIR", str(tmp_path / "deep" / "new" / ".data"))
    with pytest.raises(BackupRefused, match=r"which no backup holds; nothing was restored"):
        restore(target)
    assert not (tmp_path / "deep" / "new").exists()


def test_a_restore_refuses_a_manifest_that_is_not_one_or_holds_no_stack(data_dir, tmp_path, monkeypatch):
    from engine.backup import BackupRefused, backup, restore

    append_decision(register_engine(), DecisionRecord(**RECORD))
    target = tmp_path / "backup"
    backup(target)
    monkeypatch.setenv("PARTNERSHIP_DATA_DIR", str(tmp_path / "new"))
    (target / "backup.json").write_text('{"files": {"keys/uk.pub": "0"}}')
    with pytest.raises(BackupRefused, match=r"holds no stack \(no temporal.db, no register.db\)"):
        restore(target)
    for garbage in ("[1, 2", '{"files": ["register.db"]}', '{"files": {"register.db": 1}}', "[]"):
        (target / "backup.json").write_text(garbage)  # the last three: review 7, F4 (a traceback)
        with pytest.raises(BackupRefused, match=r"does not read as a backup's manifest; nothing was restored"):
            restore(target)
    assert not (tmp_path / "new").exists()


RECORD = {
    "decision_id": "partnership/entry-into-effect",
    "workflow_id": "partnership",
    "kind": "entry-into-effect",
    "paragraph": "31",
    "decided_at": "2023-11-22T00:00:00Z",
    "summary": "In effect.",
}


def test_a_run_not_yet_archived_is_said_to_be_so_from_the_archive(data_dir):
    """Walkthrough 3, F3: read from the archive alone, the running Partnership was said to be on
    neither the server nor the archive, which reads as a record lost."""
    append_decision(register_engine(), DecisionRecord(**RECORD))  # a register with no archived run
    env = os.environ | {"PARTNERSHIP_DATA_DIR": str(data_dir)}
    for command in (("audit", "timeline"), ("audit", "export")):
        done = run_cli(*command, "partnership", "--from-archive", env=env)
        assert done.returncode == 1 and done.stderr.strip() == (
            "no run of partnership in the archive: a run is archived once it has closed (a workflow still "
            "running, such as the Partnership before it continues as new, is read from the server)"
        )


def test_archive_status_where_no_register_is_says_only_that(data_dir, tmp_path):
    """Walkthrough 3, F10: an office without the register was told it cannot read the archive, then
    shown every archived run as awaiting archive."""
    office = tmp_path / "uk-office"
    office.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {
        "PARTNERSHIP_DATA_DIR": str(office),
        "TEMPORAL_ADDRESS": "127.0.0.1:1",  # never asked
    }
    done = run_cli("archive", "status", env=env)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip() == (
        f"the archive is not readable here (no register at {office / 'register.db'}; DATABASE_URL reaches the "
        "secretariat's)"
    )


def test_a_restore_with_the_register_elsewhere_says_how_to_restore_the_register(data_dir, tmp_path):
    """A two-ministry walkthrough (deploy 5): `restore` said nothing of a register in DATABASE_URL,
    and one kept from later swallowed the decisions the restored server took again."""
    import os

    from engine.backup import backup
    from tests.cli_runner import run_cli

    append_decision(register_engine(), DecisionRecord(**RECORD))
    backup(tmp_path / "backup")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"PARTNERSHIP_DATA_DIR": str(tmp_path / "new"), "DATABASE_URL": "postgresql+psycopg://r@127.0.0.1:1/p"}
    done = run_cli("restore", str(tmp_path / "backup"), env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("note: the register is in DATABASE_URL, not in the backup: restore it from the dump")


def test_start_says_when_the_namespace_forgets_closed_histories_soon():
    """A two-ministry walkthrough (deploy 5): on a cluster `start` left the default retention of a
    day without a word."""
    from datetime import timedelta

    from engine.archive import TEN_YEARS, retention_note

    assert retention_note(timedelta(days=1)) == (
        "note: this namespace keeps a closed workflow's history 1 day; the hourly archive keeps the record, but set "
        'a longer retention too (README, "Retention and the archive")'
    )
    assert "history 30 days;" in (retention_note(timedelta(days=30)) or "")
    assert retention_note(timedelta(days=90)) is None and retention_note(TEN_YEARS) is None


def test_a_pass_asks_about_more_running_things_than_a_statement_takes(register_db):
    """Adversarial review 5: the running things a pass asks the register about were bound one
    parameter each, and PostgreSQL takes at most 65,535: more runs of a governed type than that,
    which anyone with namespace access can start, would have failed every pass."""
    from activities.archive import archive_engine, closed_among
    from activities.register import _file_closed
    from models.records import ClosedEntry

    for entry_id in ("action-9b-a", "action-9b-b"):
        _file_closed(ClosedEntry(entry_id=entry_id, kind="action", partnership_id="partnership", summary={}))
    running = [f"squatter-{n}" for n in range(70_000)] + ["action-9b-b", "action-9b-a"]
    assert closed_among(archive_engine(), running) == {"action-9b-a": "partnership", "action-9b-b": "partnership"}
