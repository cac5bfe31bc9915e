"""`audit verify --from-archive`, the auditor's check decades on, with only the archive, the
register and the public keys (audit walkthrough 4): what archived runs recorded is checked even
while their chain runs on, an anchor whose history is gone is a problem, the stored wording is
checked, an empty or damaged register is said, and filings made with a key revoked later are
listed however closed their run."""

from __future__ import annotations

import asyncio
import os
import sqlite3

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from sqlmodel import Session, select

from activities.register import register_engine
from audit.verify import verify
from engine.archive import archive_now
from engine.keys import load_private_key
from models.identities import Identity
from models.register import GENESIS, Decision, StoredTextRow, hash_of
from models.signing import public_key_text
from tests.cli_runner import run_cli
from tests.helpers import effects_done, signed, signed_partnership
from tests.test_amendments import consent, in_force, propose
from tests.test_keyring import revocation
from workflows.partnership import PartnershipWorkflow


def rewrite(engine, change) -> None:
    """Change the register as a database writer can, then recompute the chain after it, so that
    only the histories can tell."""
    with Session(engine) as session:
        rows = list(session.exec(select(Decision).order_by(Decision.seq)))
        change(session, rows)
        session.flush()
        prev = GENESIS
        for row in session.exec(select(Decision).order_by(Decision.seq)):
            row.prev_hash = prev
            row.hash = hash_of(row)
            prev = row.hash
        session.commit()


def audit(partnership_id: str | None = None) -> list[str]:
    return asyncio.run(verify(None, register_engine(), from_archive=True, partnership_id=partnership_id)).problems


@pytest.mark.timeout(150)
async def test_the_archive_alone_checks_what_archived_runs_recorded_and_what_they_anchor(
    local_env, local_worker, keys, task_queue, data_dir
):
    handle, first_run = await signed_partnership(local_env.client, task_queue, keys, continue_as_new_at_length=12)
    partnership = local_env.client.get_workflow_handle(handle.id)
    receipt, amendment = await propose(partnership, local_env.client, to=partnership.id)
    await amendment.execute_update("consent", consent(receipt.amendment_id))
    assert await in_force(partnership)
    await effects_done(partnership, PartnershipWorkflow.pending_effects)
    await archive_now(local_env.client, task_queue)
    engine = register_engine()
    assert await asyncio.to_thread(audit) == []
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"PARTNERSHIP_DATA_DIR": str(data_dir)}
    said = await asyncio.to_thread(run_cli, "audit", "verify", "--from-archive", env=env)
    last = said.stdout.strip().splitlines()[-1]
    unchecked = (await verify(None, engine, from_archive=True)).unchecked_rows
    # Not "consistent" alone where the archive reaches only part of the register.
    verdict = f"consistent as far as the archive reaches ({unchecked} rows not checked)" if unchecked else "consistent"
    assert said.returncode == 0 and last.endswith(f": {verdict}"), said.stdout

    # F1: a row the Partnership's first run recorded (archived, though the Partnership runs on),
    # rewritten and the chain recomputed, is caught from the archive alone.
    def edit_entry(session, rows):
        (row,) = [r for r in rows if r.kind == "entry-into-effect"]
        row.summary = "In effect since 1999."

    rewrite(engine, edit_entry)
    problems = await asyncio.to_thread(audit)
    assert any("entry-into-effect): summary differs from the history" in p for p in problems), problems

    # F3: the stored wording is checked by its hash.
    with Session(engine) as session:
        (text,) = session.exec(select(StoredTextRow)).all()
        text.text, sha = "The Forum will be held once a decade.", text.sha256
        session.commit()
    assert f"stored text {sha}: its bytes do not hash to its key; it was edited" in await asyncio.to_thread(audit)

    # F15: what the archive says of a run (status, close time, events) is held to its anchor.
    from datetime import UTC, datetime

    from models.archive import ArchivedHistory

    with Session(engine) as session:
        row = session.exec(select(ArchivedHistory).where(ArchivedHistory.workflow_id == amendment.id)).one()
        row.status, row.close_time = "TERMINATED", datetime(2030, 1, 1, tzinfo=UTC)
        session.commit()
    problems = await asyncio.to_thread(audit)
    assert any(f"{amendment.id} run " in p and "its close time, status differ from register row" in p for p in problems)

    # F2: an archived history dropped is missed by its anchor, from the archive alone too.
    with Session(engine) as session:
        dropped = session.exec(select(ArchivedHistory).where(ArchivedHistory.workflow_id == amendment.id)).one()
        session.delete(dropped)
        session.commit()
    problems = await asyncio.to_thread(audit)
    assert any(
        p.endswith("the archived history it anchors is missing from the archive; it was deleted") for p in problems
    )
    assert not any("lost before it was archived" in p and amendment.id in p for p in problems), problems


def test_an_empty_or_damaged_register_is_said_not_called_consistent(data_dir, tmp_path):
    """F7, F8: a wiped register was "consistent" from the archive; a damaged one or another
    database file gave a traceback."""
    register_engine()  # the tables, no row
    assert audit() == ["the register holds no decision at all: nothing could be checked against the archive"]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"PARTNERSHIP_DATA_DIR": str(data_dir)}
    broken = tmp_path / "broken.db"
    broken.write_bytes((data_dir / "register.db").read_bytes()[:3000])
    other = tmp_path / "other.db"  # a database, but not a register
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    done = run_cli("audit", "verify", "--from-archive", env=env | {"DATABASE_URL": f"sqlite:///{other}"})
    assert done.returncode == 1 and "holds no register (no decisions table)" in done.stderr, done.stderr
    for database in (broken, tmp_path / "not-a-register.json"):
        if not database.exists():
            database.write_text('{"events": []}\n')
        done = run_cli("audit", "verify", "--from-archive", env=env | {"DATABASE_URL": f"sqlite:///{database}"})
        [line] = done.stderr.strip().splitlines()
        assert done.returncode == 1 and "Traceback" not in done.stderr and "cannot be read" in line, done.stderr
    # Nor is its archive "none yet" (F9): the register may hold one, damaged since.
    done = run_cli("archive", "status", env=env | {"DATABASE_URL": f"sqlite:///{broken}"})
    assert (
        done.returncode == 1
        and done.stderr.startswith("archive: not readable: the register ")
        and ("cannot be read (" in done.stderr)
    ), done.stderr


@pytest.mark.timeout(120)
async def test_a_filing_made_with_a_key_revoked_later_is_listed_whatever_run_it_is_in(local_env, partnership, data_dir):
    """F10: a closed child (here an amendment in force) never learns of a later revocation, so
    none of its filings was listed as made with a key revoked since."""
    receipt, amendment = await propose(partnership, local_env.client, to=partnership.id, by=Identity.ROK)
    await amendment.execute_update("consent", consent(receipt.amendment_id, by=Identity.UK))
    assert await in_force(partnership)
    uk, rok = load_private_key(Identity.UK), load_private_key(Identity.ROK)
    revoked = revocation(
        Identity.ROK, rok, Identity.UK, public_key_text(uk), Ed25519PrivateKey.generate(), to=partnership.id
    )
    await partnership.execute_update(PartnershipWorkflow.revoke_key, revoked)
    query = f"WorkflowId = '{partnership.id}' OR WorkflowId = '{amendment.id}'"
    report = await verify(local_env.client, register_engine(), query=query, partnership_id=partnership.id)
    assert any(line.startswith(f"{amendment.id} event ") and "revoked later" in line for line in report.revoked_later)


@pytest.mark.timeout(120)
async def test_a_register_no_row_of_which_the_server_recorded_is_said_first(local_env, partnership, data_dir):
    """F12: against another Partnership's server every row read as an edit, an insertion or a
    deletion; when not one row agrees, that is said first."""
    from datetime import UTC, datetime

    await effects_done(partnership, PartnershipWorkflow.pending_effects)

    def elsewhere(session, rows):
        for row in rows:
            row.decided_at = datetime(2031, 1, 1, tzinfo=UTC)

    rewrite(register_engine(), elsewhere)
    report = await verify(local_env.client, register_engine(), query=f"WorkflowId = '{partnership.id}'")
    first = report.problems[0]
    assert first.startswith("not one of the register's ") and "that server runs another Partnership" in first


@pytest.mark.timeout(150)
async def test_a_pass_records_what_it_found_still_running_after_its_closed_entry(
    partnership, local_env, task_queue, data_dir, monkeypatch
):
    """Review 8, R8-2: a thing files its closed entry before its run ends, and a mail retrying can
    keep it running for days; the pass records it as still running, so the archive-only audit
    does not call its history lost."""
    from activities.register import every_closed_entry
    from audit.verify import swept
    from models.consultation import ConsultationWithdrawal
    from tests.helpers import eventually
    from tests.test_consultations import open_one
    from workflows.consultation import ConsultationWorkflow

    consultation = await open_one(partnership, local_env.client)
    monkeypatch.setenv("PARTNERSHIP_SMTP_URL", "smtp://127.0.0.1:1")  # every mail from now on retries
    withdrawal = ConsultationWithdrawal(filed_by=Identity.ROK, consultation_id=consultation.id)
    await consultation.execute_update(ConsultationWorkflow.withdraw, signed(withdrawal, to=consultation))
    engine = register_engine()
    await eventually(lambda: any(r.entry_id == consultation.id for r in every_closed_entry(engine)), timeout=60)
    await archive_now(local_env.client, task_queue)
    assert consultation.id in swept(engine)[1]
    # The Partnership never continued as new: none of its rows is in the archive yet, and the
    # verdict says how far the archive reaches.
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"PARTNERSHIP_DATA_DIR": str(data_dir)}
    said = await asyncio.to_thread(run_cli, "audit", "verify", "--from-archive", env=env)
    assert said.stdout.strip().endswith("rows not checked)"), said.stdout


@pytest.mark.timeout(150)
async def test_a_cosigned_checkpoint_reaches_the_archive_and_holds_the_register_to_it(
    local_env, partnership, task_queue, data_dir
):
    """The running run is never archived, so a checkpoint kept only there was out of the archive's
    reach, and with it every row it anchors. A run that holds a co-signed checkpoint now continues
    as new behind it: the next pass stores it, and the archive alone catches a register cut back."""
    from temporalio.client import WorkflowExecutionStatus

    from models.partnership import TerminationNotice
    from tests.helpers import eventually
    from tests.test_checkpoint import checkpoint, head

    notice = signed(TerminationNotice(filed_by=Identity.UK), to=partnership)
    await partnership.execute_update(PartnershipWorkflow.give_termination_notice, notice)
    await effects_done(partnership, PartnershipWorkflow.pending_effects)
    running = (await partnership.describe()).run_id
    rows, head_hash = head()
    for participant in (Identity.UK, Identity.ROK):
        await partnership.execute_update(PartnershipWorkflow.sign_checkpoint, checkpoint(participant, rows, head_hash))
    cosigning = local_env.client.get_workflow_handle(partnership.id, run_id=running)

    async def continued():
        return (await cosigning.describe()).status == WorkflowExecutionStatus.CONTINUED_AS_NEW

    assert await eventually(continued, timeout=60)
    await effects_done(partnership, PartnershipWorkflow.pending_effects)
    assert (await partnership.query(PartnershipWorkflow.checkpoint)).latest.rows == rows  # carried on
    await archive_now(local_env.client, task_queue)
    report = await verify(None, register_engine(), from_archive=True, partnership_id=partnership.id)
    assert report.problems == [] and report.unchecked_rows == 0, report

    with register_engine().begin() as conn:  # the last rows go, the checkpoint's own row with them
        conn.execute(text("DELETE FROM decisions WHERE seq >= :keep"), {"keep": rows})
    problems = await asyncio.to_thread(audit, partnership.id)
    assert any(p.startswith(f"the register has {rows - 1} rows, fewer than the checkpoint co-signed") for p in problems)


@pytest.mark.timeout(150)
async def test_a_run_the_partnership_did_not_start_is_not_taken_for_a_thing_still_closing(
    partnership, local_env, task_queue, data_dir
):
    """A closed thing's history deleted from the server before a pass stored it, and a run of the
    same type started under its id by someone with namespace access, was recorded as still
    running: the archive-only audit then did not call the history lost for as long as that ran."""
    from activities.archive import lingering, running_query
    from audit.verify import swept
    from models.consultation import ConsultationWithdrawal
    from tests.helpers import delete_history, eventually, signed
    from tests.test_consultations import open_one
    from workflows.consultation import ConsultationWorkflow

    client = local_env.client
    consultation = await open_one(partnership, client)
    withdrawal = ConsultationWithdrawal(filed_by=Identity.ROK, consultation_id=consultation.id)
    await consultation.execute_update(ConsultationWorkflow.withdraw, signed(withdrawal, to=consultation))
    await consultation.result()
    await effects_done(partnership, PartnershipWorkflow.pending_effects)  # its closed entry filed

    await delete_history(client, consultation.id)
    stand_in = await client.start_workflow(
        "ConsultationWorkflow", "not a case", id=consultation.id, task_queue=task_queue
    )
    listed = f"{running_query(task_queue)} AND WorkflowId = '{consultation.id}'"

    async def running() -> bool:
        return [e.id async for e in client.list_workflows(listed)] == [consultation.id]

    try:
        await eventually(running, timeout=60, interval=0.5)
        assert consultation.id not in await lingering(client, register_engine(), task_queue)
        await archive_now(client, task_queue)
        assert consultation.id not in swept(register_engine())[1]
    finally:  # nobody's history: it is not one of those the run's end replays
        await stand_in.terminate("test over")
        await delete_history(client, consultation.id)
