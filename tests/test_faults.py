"""Nothing is lost and nothing is doubled: a worker killed at random, the embedded server
restarted under a pending notice, a mail server that is down for a while."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
import uuid
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from temporalio.api.enums.v1 import EventType

from activities.notify import message_id
from activities.register import decisions, register_engine
from audit.history import activity_calls, fetch_all
from audit.verify import verify
from engine.bootstrap import bootstrap
from models.amendment import AmendmentConsent, AmendmentProposal, AmendmentSummary
from models.identities import Identity
from models.joint_action import ActionAgreement, ActionClosure, JointActionProposal, Progress, ProgressReport
from models.names import NOTIFY
from models.partnership import TerminationNotice
from tests.cli_runner import Spawned, spawn
from tests.conftest import free_port
from tests.helpers import effects_done, eventually, mails, signed, withdrawal
from tests.test_cli_embedded import cli, start_up, stop
from tests.test_notify import Inbox
from workflows.amendment import AmendmentWorkflow
from workflows.joint_action import JointActionWorkflow
from workflows.partnership import PartnershipWorkflow

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent


def notification_keys(histories) -> list[str]:
    return [call.value["key"] for h in histories for call in activity_calls(h) if call.name == NOTIFY]


class Worker:
    """`python worker.py` in its own process, to be killed with SIGKILL and started again."""

    def __init__(self, address: str, task_queue: str, data_dir: Path, log: Path) -> None:
        self.env = os.environ | {
            "TEMPORAL_ADDRESS": address,
            "PARTNERSHIP_TASK_QUEUE": task_queue,
            "PARTNERSHIP_DATA_DIR": str(data_dir),
            "LOG_FORMAT": "json",
            "PARTNERSHIP_WORKER_CACHE": "0",  # every task replays the whole history, as after a kill
        }
        self.log = log
        self.process: Spawned | None = None

    def start(self) -> None:
        # A process of its own, forked with the worker imported (tests/cli_runner.py): a restart
        # after a kill keeps nothing of the killed worker's, which is what a restart is here.
        self.process = spawn(["worker.py"], self.env, self.log, cwd=ROOT)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


async def lifecycle(partnership, client, n: int) -> str:
    receipt = await partnership.execute_update(
        PartnershipWorkflow.propose_joint_action,
        signed(JointActionProposal(filed_by=Identity.UK, ref="16c", title=f"Matching round {n}"), to=partnership),
    )
    action = client.get_workflow_handle(receipt.action_id)
    ident = receipt.action_id
    await action.execute_update(
        JointActionWorkflow.agree, signed(ActionAgreement(filed_by=Identity.ROK, action_id=ident), to=action)
    )
    await action.execute_update(
        JointActionWorkflow.report,
        signed(
            ProgressReport(filed_by=Identity.UK, action_id=ident, status=Progress.AT_RISK, percent=n * 10), to=action
        ),
    )
    for side in (Identity.UK, Identity.ROK):
        await action.execute_update(
            JointActionWorkflow.close,
            signed(ActionClosure(filed_by=side, action_id=ident, outcome="complete"), to=action),
        )
    await action.result()
    return ident


async def amendment(partnership, client, n: int) -> str:
    receipt = await partnership.execute_update(
        PartnershipWorkflow.propose_amendment,
        signed(
            AmendmentProposal(filed_by=Identity.ROK, paragraphs=[n + 8], text=f"Amended wording {n}."), to=partnership
        ),
    )
    handle = client.get_workflow_handle(receipt.amendment_id, result_type=AmendmentSummary)
    await handle.execute_update(
        AmendmentWorkflow.consent,
        signed(AmendmentConsent(filed_by=Identity.UK, amendment_id=receipt.amendment_id), to=handle),
    )
    await handle.result()
    return receipt.amendment_id


async def test_a_worker_killed_at_random_loses_and_doubles_nothing(local_env, data_dir, tmp_path):
    address = local_env.client.service_client.config.target_host
    task_queue = f"faults-{uuid.uuid4()}"
    worker = Worker(address, task_queue, data_dir, tmp_path / "worker.log")
    worker.start()
    client = local_env.client
    wid = f"partnership-{uuid.uuid4().hex}"
    try:
        await bootstrap(client, task_queue, wid, schedule=False)
        partnership = client.get_workflow_handle(wid)

        async def load():
            await asyncio.gather(
                *(lifecycle(partnership, client, n) for n in range(6)),
                *(amendment(partnership, client, n) for n in range(3)),
            )
            await partnership.execute_update(
                PartnershipWorkflow.give_termination_notice,
                signed(TerminationNotice(filed_by=Identity.UK), to=partnership),
            )
            await partnership.execute_update(
                PartnershipWorkflow.withdraw_termination_notice,
                signed(await withdrawal(partnership, Identity.UK), to=partnership),
            )

        async def kill_at_random():
            chance = random.Random(7)
            for _ in range(3):
                await asyncio.sleep(chance.uniform(0.2, 1.2))
                worker.kill()
                worker.start()

        await asyncio.wait_for(asyncio.gather(load(), kill_at_random()), timeout=240)

        async def settled():
            status = await partnership.query(PartnershipWorkflow.status)
            return status.version == 4 and await partnership.query(PartnershipWorkflow.pending_effects) == 0

        await eventually(settled, timeout=120)
        histories = await fetch_all(client, f"WorkflowId STARTS_WITH '{wid}'")
        report = await verify(client, register_engine(), f"WorkflowId STARTS_WITH '{wid}'")
        assert report.problems == []
        assert [f.line() for f in report.findings] == []  # a killed worker is no outsider's act
        # entry into effect; agreed and completed per action; each amendment in effect; notice and withdrawal
        assert report.rows == report.decisions_in_histories == 1 + 6 * 2 + 3 + 2
        keys = set(notification_keys(histories))
        delivered = [m["Message-ID"] for m in mails(data_dir)]
        assert len(delivered) == len(set(delivered)) == len(keys)
        assert set(delivered) == {message_id(k) for k in keys}
    finally:
        worker.kill()


async def test_mail_that_cannot_be_sent_is_retried_and_arrives_once(
    local_env, local_worker, data_dir, task_queue, monkeypatch
):
    port = free_port()
    monkeypatch.setenv("PARTNERSHIP_SMTP_URL", f"smtp://127.0.0.1:{port}")
    wid = f"partnership-{uuid.uuid4().hex}"
    await bootstrap(local_env.client, task_queue, wid, schedule=False)  # three notices, none deliverable
    handle = local_env.client.get_workflow_handle(wid)

    # The mail server is down for a while: each notice fails twice and waits to be retried with
    # backoff (its third attempt pending), whatever the machine's speed.
    async def retried_twice():
        pending = (await handle.describe()).raw_description.pending_activities
        return len(pending) == 3 and all(a.attempt >= 3 for a in pending)

    await eventually(retried_twice, timeout=60)
    # …and only they wait: the decision went to the register in its own lane.
    await eventually(lambda: [r.kind for r in decisions(register_engine()) if r.workflow_id == wid])
    assert [r.kind for r in decisions(register_engine()) if r.workflow_id == wid] == ["entry-into-effect"]
    assert await handle.query(PartnershipWorkflow.pending_effects) == 3  # the three notices
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        await effects_done(handle, PartnershipWorkflow.pending_effects, timeout=60)
        expected = {
            message_id(f"{wid}/signature/UK"),
            message_id(f"{wid}/signature/ROK"),
            message_id(f"{wid}/entry-into-effect"),
        }
        received = [m["Message-ID"] for m in inbox.messages]
        assert sorted(received) == sorted(expected)
        attempts = [
            e.activity_task_started_event_attributes.attempt
            for e in (await handle.fetch_history()).events
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
        ]
        assert max(attempts) >= 3  # it failed, backed off and tried again
    finally:
        controller.stop()


def test_a_pending_notice_survives_a_restart_of_the_embedded_server(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    env |= {"PARTNERSHIP_DATA_DIR": str(tmp_path / "data"), "LOG_FORMAT": "json"}
    log = tmp_path / "up.log"
    up = start_up(env, log)
    try:
        given = cli("termination", "notify", "--as", "ROK", env=env)
        assert given.returncode == 0, given.stderr
        before = json.loads(cli("termination", "show", "--json", env=env).stdout)
        stop(up)
        up = start_up(env, log, ready="TERMINATION_PENDING")  # same data dir: same SQLite file
        after = json.loads(cli("termination", "show", "--json", env=env).stdout)
        assert after == before
        assert json.loads(cli("status", "--json", env=env).stdout)["state"] == "TERMINATION_PENDING"
        entries = json.loads(cli("audit", "timeline", "partnership", "--json", env=env).stdout)
        timers = [e for e in entries if e["kind"].startswith("timer")]
        assert timers[-1]["kind"] == "timer-set"  # still pending: not fired, not cancelled
        from datetime import date

        from models.calendar import local_midnight
        from rules.common import add_months

        first_reminder = local_midnight(add_months(date.fromisoformat(before["effective_on"]), -3), Identity.UK)
        assert (
            timers[-1]["text"]
            == f"timer {timers[-1]['text'].split()[1]} set to fire at {first_reminder:%Y-%m-%d %H:%M:%S}Z"
        )
    finally:
        stop(up)


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
