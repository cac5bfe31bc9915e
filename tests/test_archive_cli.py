"""Issue 14 end to end, through the real CLI on the embedded stack: the namespace keeps histories
ten years, the archive schedule exists, a completed joint action whose history the server has
deleted is still exported, replayed, timelined and verified from the archive; an edited archive and
a cut register are reported; a backup taken while the stack runs restores into a new data dir and
resumes there."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_cli_embedded import cli, stack, start_up, stop  # noqa: F401 (stack: a fixture)

TEMPORAL = str(Path(sys.executable).parent / "temporal")


def temporal(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    address = (Path(env["PARTNERSHIP_DATA_DIR"]) / "temporal.address").read_text().strip()
    return subprocess.run([TEMPORAL, *args, "--address", address], capture_output=True, text=True, timeout=60)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def completed_action(env: dict[str, str]) -> str:
    ident = ok(cli("action", "propose", "--as", "UK", "--ref", "9b", "--title", "Open RAN testbed", env=env)).strip()
    ok(cli("action", "agree", ident, "--as", "ROK", env=env))
    ok(cli("action", "complete", ident, "--as", "UK", env=env))
    assert ok(cli("action", "complete", ident, "--as", "ROK", env=env)).strip() == f"{ident} COMPLETED"
    return ident


def until(check, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.3)
    return found


@pytest.mark.timeout(480)  # a stack and a dozen CLI runs on a shared machine
def test_a_history_the_server_deleted_is_audited_from_the_archive(stack):  # noqa: F811
    start, env, tmp = stack
    env["PARTNERSHIP_ARCHIVE_EVERY"] = "60"
    up = start()
    namespace = json.loads(ok(temporal(env, "operator", "namespace", "describe", "-n", "default", "-o", "json")))
    assert namespace["config"]["workflowExecutionRetentionTtl"] == f"{3653 * 86400}s"
    schedules = ok(temporal(env, "schedule", "list", "-o", "json"))
    # The Forum's cycles start on the Partnership's own timer (issue 11): no Schedule of its own.
    assert "partnership-archive-schedule" in schedules and "forum-schedule" not in schedules

    ident = completed_action(env)
    # A closed run the server has and the archive not yet (the action closes once its last effects
    # have landed, a moment after the filing that completed it was answered).
    until(lambda: f"awaiting archive: {ident} " in ok(cli("archive", "status", env=env)), seconds=90)
    archived = ok(cli("archive", "now", env=env))
    assert archived.startswith("archived 1 history (0 already archived)\narchive: 1 history, newest closed ")
    before = json.loads(ok(cli("audit", "timeline", ident, "--json", env=env)))
    assert json.loads(ok(cli("archive", "status", "--json", env=env)))["awaiting"] == []

    ok(temporal(env, "workflow", "delete", "--workflow-id", ident, "--yes"))
    until(lambda: temporal(env, "workflow", "describe", "--workflow-id", ident).returncode != 0, seconds=120)

    assert json.loads(ok(cli("audit", "timeline", ident, "--json", env=env))) == before
    assert json.loads(ok(cli("audit", "timeline", ident, "--json", "--from-archive", env=env))) == before
    replayed = ok(cli("audit", "replay", "-w", ident, env=env))
    assert f"JointActionWorkflow    {ident} " in replayed and replayed.strip().endswith("1 replayed, 0 failed")
    exported = tmp / f"{ident}.json"
    ok(cli("audit", "export", ident, "-o", str(exported), env=env))
    assert f"  {len(json.loads(exported.read_text())['events'])} events  ok" in replayed
    verified = ok(cli("audit", "verify", env=env))
    assert verified.strip().endswith("(1 archived): consistent"), verified
    # The counts add up to the register's: its decisions, and the row anchoring the archived history.
    with sqlite3.connect(f"file:{Path(env['PARTNERSHIP_DATA_DIR']) / 'register.db'}?mode=ro", uri=True) as db:
        [(held,)] = db.execute("SELECT count(*) FROM decisions").fetchall()
    assert f"{held - 1} register rows and 1 archive anchor, {held - 1} decisions in " in verified, verified

    stop(up)


@pytest.mark.timeout(480)  # two stacks and a dozen CLI runs on a shared machine
def test_a_backup_taken_while_running_restores_and_resumes(stack, tmp_path):  # noqa: F811
    start, env, _ = stack
    up = start()
    ok(cli("termination", "notify", "--as", "ROK", env=env))
    assert "awaits the other Participant's signature" in ok(cli("checkpoint", "sign", "--as", "UK", env=env))
    assert "co-signed by UK and ROK" in ok(cli("checkpoint", "sign", "--as", "ROK", env=env))
    status = json.loads(ok(cli("status", "--json", env=env)))
    notice = json.loads(ok(cli("termination", "show", "--json", env=env)))
    backup = tmp_path / "backup"
    taken = ok(cli("backup", str(backup), "--include-private-keys", env=env))
    assert taken.startswith("backed up ") and (backup / "temporal.db").exists() and (backup / "register.db").exists()
    stop(up)

    restored = env | {"PARTNERSHIP_DATA_DIR": str(tmp_path / "restored")}
    assert ok(cli("restore", str(backup), env=restored)).startswith("restored ")
    up = start_up(restored, tmp_path / "restored-up.log", ready="TERMINATION_PENDING")
    after = json.loads(ok(cli("status", "--json", env=restored)))
    assert after | {"archive": None} == status | {"archive": None}
    assert json.loads(ok(cli("termination", "show", "--json", env=restored))) == notice
    assert json.loads(ok(cli("checkpoint", "show", "--json", env=restored)))["latest"]["filings"].keys() == {
        "UK",
        "ROK",
    }
    timeline = json.loads(ok(cli("audit", "timeline", "partnership", "--json", env=restored)))
    set_ = [e["text"].split()[1] for e in timeline if e["kind"] == "timer-set"]
    fired = [e["text"].split()[1] for e in timeline if e["kind"] in ("timer-fired", "timer-cancelled")]
    assert [t for t in set_ if t not in fired], "no termination timer pending after the restore"

    def rows(data: str) -> list[tuple]:
        with sqlite3.connect(f"file:{Path(data) / 'register.db'}?mode=ro", uri=True) as db:
            return db.execute("SELECT seq, decision_id, hash FROM decisions ORDER BY seq").fetchall()

    assert rows(restored["PARTNERSHIP_DATA_DIR"]) == rows(env["PARTNERSHIP_DATA_DIR"])
    verified = ok(cli("audit", "verify", env=restored))
    assert verified.strip().endswith("consistent"), verified
    stop(up)
    up.wait()
