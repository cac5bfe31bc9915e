"""The fault soak of issue 17 (`make soak`; never part of `make test`).

Per round: the embedded dev server on free loopback ports with a data dir of its own, a separate
`worker.py` process that caches no workflow (PARTNERSHIP_WORKER_CACHE=0), four concurrent filers
(20 joint-action lifecycles; 5 amendments; 3 consultations and a termination notice and its
withdrawal; a Forum cycle as far as the calendar allows), the worker SIGKILLed N times at random
moments and the server killed and restarted M times. Then: every filing landed exactly once,
register rows = decisions in the histories (`audit verify`, which also names a stuck workflow),
one mail per notification key, and every history replays. One summary line per round; exit 1 on
any miss.

    python -m tests.soak [--rounds 5] [--kills 50] [--restarts 3] [--seed 17] [--minutes 10]

A filer retries a filing whose answer it did not get (server down, worker gone) with the same
signed instrument, so a retry is the same filing: accepted once, or rejected as already received.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RETRYABLE = ("already received",)  # the rejection a resent instrument gets once it landed
# An agenda agreement signed over an agenda that changed before it arrived (the Partnership pushes
# standing items as the other filers' actions progress): a user reads the agenda again and agrees
# that one, and so does the soak.
STALE = "has changed since this agreement was signed"
AGENDA_ATTEMPTS = 30
#: Joint actions whose cadence two working-group decisions change and a joint wind-down ends.
VOUCHED_ACTIONS = 2


class Miss(Exception):
    pass


class Stale(Exception):
    """A filing the rules refused because what it signed has moved on; the filer signs again."""


class Round:
    def __init__(self, number: int, args: argparse.Namespace, root: Path) -> None:
        from tests.conftest import free_port

        self.number, self.args = number, args
        self.chance = random.Random(args.seed * 1000 + number)
        self.data = root / "data"
        self.data.mkdir(parents=True)
        self.port, self.ui_port = free_port(), free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.env = os.environ | {
            "TEMPORAL_ADDRESS": self.address,
            "PARTNERSHIP_DATA_DIR": str(self.data),
            "PARTNERSHIP_TASK_QUEUE": "soak",
            "PARTNERSHIP_WORKER_CACHE": "0",
            "LOG_FORMAT": "json",
        }
        self.env.pop("PARTNERSHIP_SMTP_URL", None)
        self.env.pop("DATABASE_URL", None)
        self.server: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.sent: list[str] = []  # filing ids, once each
        self.kills = self.restarts = 0
        self.load_done = False

    # Processes ------------------------------------------------------------------------------------

    def start_server(self) -> None:
        from engine.stack import dev_server_command

        log = (self.data / "temporal-server.log").open("ab")
        self.server = subprocess.Popen(
            dev_server_command(self.port, self.ui_port, self.data / "temporal.db"),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_worker(self) -> None:
        log = (self.data / "worker.log").open("ab")
        self.worker = subprocess.Popen(
            [sys.executable, str(ROOT / "worker.py")], env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )

    @staticmethod
    def kill(process: subprocess.Popen | None) -> None:
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()

    def stop(self) -> None:
        self.kill(self.worker)
        if self.server is not None and self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            try:
                self.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill(self.server)

    # Filing through faults ---------------------------------------------------------------------------

    async def file(self, handle: Any, update: Any, filing: Any) -> Any:
        """File a signed instrument until it is answered. Returns the answer, or None when a
        resend found it already received (its first sending landed but was not answered)."""

        from tests.helpers import signed

        instrument = signed(filing, to=handle)
        self.sent.append(instrument.filing_id)
        try:
            return await self.send(handle, update, filing, instrument)
        except Stale:
            self.sent.remove(instrument.filing_id)  # refused by the rules: it never entered the record
            raise

    async def read(self, query: Any) -> Any:
        """A query, asked again through worker kills and server restarts."""
        deadline = time.monotonic() + 120
        while True:
            try:
                return await asyncio.wait_for(query(), timeout=30)
            except Exception as err:
                if time.monotonic() > deadline:
                    raise Miss(f"a query never answered: {err!r}") from None
                await asyncio.sleep(0.3)

    async def send(self, handle: Any, update: Any, filing: Any, instrument: Any) -> Any:
        from temporalio.client import WorkflowUpdateFailedError

        deadline = time.monotonic() + 120
        while True:
            try:
                return await asyncio.wait_for(handle.execute_update(update, instrument), timeout=30)
            except WorkflowUpdateFailedError as err:
                message = getattr(err.cause, "message", str(err.cause))
                if any(r in message for r in RETRYABLE):
                    return None
                if STALE in message:
                    raise Stale(message) from None
                raise Miss(f"{type(filing).__name__} {instrument.filing_id} rejected: {message}") from None
            except Exception as err:  # server restarting, worker killed mid-task, RPC timeout
                if time.monotonic() > deadline:
                    raise Miss(f"{type(filing).__name__} {instrument.filing_id} never answered: {err!r}") from None
                await asyncio.sleep(0.3)

    # The four filers ------------------------------------------------------------------------------------

    async def lifecycles(self, client: Any, partnership: Any) -> None:
        from models.identities import Identity
        from models.joint_action import (
            ActionAgreement,
            ActionClosure,
            JointActionProposal,
            Progress,
            ProgressReport,
            action_id_for,
        )
        from rules.common import child_id
        from workflows.joint_action import JointActionWorkflow
        from workflows.partnership import PartnershipWorkflow

        for n in range(20):
            proposal = JointActionProposal(filed_by=Identity.UK, ref="16c", title=f"Matching round {n}")
            await self.file(partnership, PartnershipWorkflow.propose_joint_action, proposal)
            ident = child_id(partnership.id, action_id_for(proposal.ref, proposal.title))
            action = client.get_workflow_handle(ident)
            await self.file(action, JointActionWorkflow.agree, ActionAgreement(filed_by=Identity.ROK, action_id=ident))
            report = ProgressReport(filed_by=Identity.UK, action_id=ident, status=Progress.ON_TRACK, percent=50)
            await self.file(action, JointActionWorkflow.report, report)
            for side in (Identity.UK, Identity.ROK):
                closure = ActionClosure(filed_by=side, action_id=ident, outcome="complete")
                await self.file(action, JointActionWorkflow.close, closure)

    async def vouched(self, client: Any, partnership: Any) -> None:
        """Messages the Partnership vouches for (review 5): two cadence changes of a working group,
        in turn, reach its two joint actions, which a joint wind-down then ends; each is acted on
        once the Partnership answers the action's ask, an activity whose completion runs it."""
        from models.identities import Identity
        from models.joint_action import ActionAgreement, JointActionProposal, WindDown, action_id_for
        from models.working_group import GroupLeads
        from rules.common import child_id
        from workflows.joint_action import JointActionWorkflow
        from workflows.partnership import PartnershipWorkflow

        idents = []
        for n in range(VOUCHED_ACTIONS):
            proposal = JointActionProposal(filed_by=Identity.UK, ref="9b", title=f"Testbed {n}")
            await self.file(partnership, PartnershipWorkflow.propose_joint_action, proposal)
            ident = child_id(partnership.id, action_id_for(proposal.ref, proposal.title))
            agreement = ActionAgreement(filed_by=Identity.ROK, action_id=ident)
            await self.file(client.get_workflow_handle(ident), JointActionWorkflow.agree, agreement)
            idents.append(ident)
        for cadence in (6, 12):
            for side in (Identity.UK, Identity.ROK):
                leads = GroupLeads(
                    filed_by=side, area="telecoms", lead_uk="A. Lee", lead_rok="B. Kim", cadence_months=cadence
                )
                await self.file(partnership, PartnershipWorkflow.set_group_leads, leads)
        for side in (Identity.UK, Identity.ROK):
            await self.file(
                partnership, PartnershipWorkflow.wind_down, WindDown(filed_by=side, actions=idents, reason="merged")
            )

    async def amendments(self, client: Any, partnership: Any) -> None:
        from models.amendment import AmendmentConsent, AmendmentProposal
        from models.identities import Identity
        from workflows.amendment import AmendmentWorkflow
        from workflows.partnership import PartnershipWorkflow

        for n in range(5):
            proposal = AmendmentProposal(filed_by=Identity.ROK, paragraphs=[n + 8], text=f"Amended wording {n}.")
            await self.file(partnership, PartnershipWorkflow.propose_amendment, proposal)
            ident = f"{partnership.id}-amendment-{n + 1}"  # this filer alone proposes amendments
            consent = AmendmentConsent(filed_by=Identity.UK, amendment_id=ident)
            await self.file(client.get_workflow_handle(ident), AmendmentWorkflow.consent, consent)

    async def consultations_and_notice(self, client: Any, partnership: Any) -> None:
        from models.consultation import ConsultationRequest, ResolutionAcceptance, ResolutionProposal
        from models.identities import Identity
        from models.partnership import TerminationNotice
        from rules.common import child_id
        from workflows.consultation import ConsultationWorkflow
        from workflows.partnership import PartnershipWorkflow

        for n in range(3):
            request = ConsultationRequest(filed_by=Identity.ROK, about="28", summary=f"Costs {n}")
            await self.file(partnership, PartnershipWorkflow.open_consultation, request)
            ident = child_id(partnership.id, f"consultation-{n + 1}")
            handle = client.get_workflow_handle(ident)
            proposal = ResolutionProposal(filed_by=Identity.UK, consultation_id=ident, resolution=f"Split {n}.")
            await self.file(handle, ConsultationWorkflow.propose, proposal)
            acceptance = ResolutionAcceptance(filed_by=Identity.ROK, consultation_id=ident, proposal=1)
            await self.file(handle, ConsultationWorkflow.accept, acceptance)
        notice = TerminationNotice(filed_by=Identity.UK)
        await self.file(partnership, PartnershipWorkflow.give_termination_notice, notice)
        from tests.helpers import withdrawal as withdrawal_of

        withdrawal = await self.read(lambda: withdrawal_of(partnership, Identity.UK))
        await self.file(partnership, PartnershipWorkflow.withdraw_termination_notice, withdrawal)

    async def forum(self, client: Any, partnership: Any) -> None:
        """Up to a fixed agenda: the meeting itself is a month away in real time."""
        from models.forum import AgendaItemFiling, ForumConvocation, ForumStage
        from models.identities import Identity
        from rules.common import child_id
        from tests.helpers import agenda_agreement, nomination
        from workflows.forum import ForumCycleWorkflow
        from workflows.partnership import PartnershipWorkflow

        on = (time_now() + timedelta(days=45)).date()
        convocation = ForumConvocation(filed_by=Identity.SECRETARIAT, year=on.year, on=on, venue="Seoul")
        await self.file(partnership, PartnershipWorkflow.start_forum, convocation)
        ident = child_id(partnership.id, f"forum-{on.year}")
        forum = client.get_workflow_handle(ident)
        for title in ("AI safety", "Semiconductors"):
            item = AgendaItemFiling(filed_by=Identity.UK, forum_id=ident, title=title)
            await self.file(forum, ForumCycleWorkflow.add_item, item)
        for side, title in ((Identity.UK, "Minister of State"), (Identity.ROK, "Vice Minister")):
            await self.file(forum, ForumCycleWorkflow.nominate, nomination(side, side.value, title))
        for _ in range(AGENDA_ATTEMPTS):
            view = await self.read(lambda: forum.query(ForumCycleWorkflow.show))
            if view.summary.stage is not ForumStage.CALLING_FOR_ITEMS:
                return
            try:  # a side whose agreement still stands does not agree again
                for side in (s for s in (Identity.UK, Identity.ROK) if s not in view.agenda_agreed_by):
                    agreement = await self.read(lambda side=side: agenda_agreement(forum, side))
                    await self.file(forum, ForumCycleWorkflow.agree_agenda, agreement)
            except Stale:
                continue
        raise Miss(f"the agenda of {ident} was never agreed by both in {AGENDA_ATTEMPTS} attempts")

    # Faults ---------------------------------------------------------------------------------------------

    async def faults(self) -> None:
        kills, restarts = self.args.kills, self.args.restarts
        restart_at = set(self.chance.sample(range(1, kills + 1), min(restarts, kills))) if kills else set()
        for n in range(1, kills + 1):
            await asyncio.sleep(self.chance.uniform(0.1, 1.6))
            self.kill(self.worker)
            self.kills += 1
            if n in restart_at:
                self.kill(self.server)  # SIGKILL: as a crashed machine would
                self.restarts += 1
                await asyncio.sleep(self.chance.uniform(0.2, 1.5))
                self.start_server()
            await asyncio.sleep(self.chance.uniform(0.0, 0.5))
            self.start_worker()

    # The checks ------------------------------------------------------------------------------------------

    async def check(self, client: Any, partnership: Any) -> str:
        from activities.notify import message_id
        from activities.register import register_engine
        from audit.history import fetch_all
        from audit.replay import replay
        from audit.verify import verify
        from tests.helpers import eventually, mails
        from tests.test_faults import notification_keys
        from workflows.partnership import PartnershipWorkflow
        from workflows.registry import GOVERNED

        async def settled() -> bool:  # the round's server holds this round's workflows only
            running = [w async for w in client.list_workflows(f"{GOVERNED} AND ExecutionStatus = 'Running'")]
            pending = [await client.get_workflow_handle(w.id).query("pending_effects") for w in running]
            status = await partnership.query(PartnershipWorkflow.status)
            return len(running) == 2 and not any(pending) and status.version == 6  # the Partnership, the Forum

        try:
            await eventually(settled, timeout=180, interval=0.5)
        except TimeoutError:
            raise Miss("the load did not settle within 3 minutes of the last fault") from None
        histories = await fetch_all(client)
        misses: list[str] = []
        accepted = Counter(filing_ids_accepted(histories))
        doubled = sorted(f for f, n in accepted.items() if n > 1)
        lost = sorted(set(self.sent) - set(accepted))
        stray = sorted(set(accepted) - set(self.sent))
        if doubled or lost or stray:
            misses.append(f"filings doubled {doubled[:3]} lost {lost[:3]} stray {stray[:3]}")
        report = await verify(client, register_engine())
        misses += report.problems[:5]
        if report.rows != report.decisions_in_histories:
            misses.append(f"{report.rows} register rows but {report.decisions_in_histories} decisions")
        keys = notification_keys(histories)
        delivered = [m["Message-ID"] for m in mails(self.data)]
        if len(delivered) != len(set(delivered)) or set(delivered) != {message_id(k) for k in keys}:
            misses.append(f"{len(delivered)} mails for {len(set(keys))} notification keys")
        outcomes = await replay(histories)
        misses += [f"{o.workflow_id} does not replay: {o.problem}" for o in outcomes if not o.ok][:5]
        status = await partnership.query(PartnershipWorkflow.status)
        if (
            status.state != "IN_EFFECT"
            or status.joint_actions.actions != 20 + VOUCHED_ACTIONS
            or status.open_consultations
        ):
            misses.append(f"unexpected end state: {status.state}, {status.joint_actions}")
        if misses:
            raise Miss("; ".join(misses))
        return (
            f"{len(accepted)} filings exactly once, {report.rows} register rows = decisions, "
            f"{len(delivered)} mails = notification keys, {len(outcomes)} histories replay"
        )

    async def run(self) -> str:
        from engine.bootstrap import bootstrap
        from engine.stack import wait_for_server

        self.start_server()
        assert self.server is not None
        client = await wait_for_server(self.address, self.server)
        self.start_worker()
        wid = "partnership"
        os.environ.update({k: v for k, v in self.env.items() if k.startswith("PARTNERSHIP_")})
        await bootstrap(client, "soak", wid, schedule=False)
        partnership = client.get_workflow_handle(wid)
        load = asyncio.gather(
            self.lifecycles(client, partnership),
            self.amendments(client, partnership),
            self.consultations_and_notice(client, partnership),
            self.forum(client, partnership),
            self.vouched(client, partnership),
        )
        await asyncio.gather(load, self.faults())
        if self.worker is None or self.worker.poll() is not None:
            self.start_worker()
        return await self.check(client, partnership)


def filing_ids_accepted(histories: list[Any]) -> list[str]:
    """The filing id of every accepted Update, from the histories (bootstrap's signatures aside)."""
    from temporalio.api.enums.v1 import EventType

    found = []
    for history in histories:
        for event in history.events:
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
                request = event.workflow_execution_update_accepted_event_attributes.accepted_request
                if request.input.name == "sign":
                    continue
                payload = request.input.args.payloads[0]
                found.append(json.loads(payload.data)["filing_id"])
    return found


def time_now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


async def soak(args: argparse.Namespace) -> int:
    failures = 0
    for number in range(1, args.rounds + 1):
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="partnership-soak-") as root:
            round_ = Round(number, args, Path(root))
            try:
                summary = await asyncio.wait_for(round_.run(), timeout=args.minutes * 60)
                verdict = f"OK: {summary}"
            except (Miss, TimeoutError, AssertionError) as err:
                failures += 1
                verdict = f"MISS: {str(err) or f'the round took longer than {args.minutes:g} minutes'}"
                if args.keep:
                    kept = Path(tempfile.mkdtemp(prefix="partnership-soak-kept-"))
                    subprocess.run(["cp", "-r", str(round_.data), str(kept)], check=False)
                    verdict += f" (data kept in {kept})"
            finally:
                round_.stop()
        print(
            f"soak round {number}/{args.rounds} seed {args.seed}: {round_.kills} worker kills, "
            f"{round_.restarts} server restarts, {time.monotonic() - started:.0f} s: {verdict}",
            flush=True,
        )
    return 1 if failures else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--kills", type=int, default=50, help="worker SIGKILLs per round")
    parser.add_argument("--restarts", type=int, default=3, help="server kills and restarts per round")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--minutes", type=float, default=10, help="a round taking longer is a miss")
    parser.add_argument("--keep", action="store_true", help="keep the data dir of a round that missed")
    from engine.logs import configure

    os.environ.setdefault("LOG_FORMAT", "json")
    configure()
    import logging

    logging.getLogger().setLevel(logging.CRITICAL)  # the summary lines are the output
    from temporalio.runtime import Runtime

    from audit.replay import quiet_runtime

    Runtime.set_default(quiet_runtime(), error_if_already_set=False)  # no retry warnings while the server is down
    code = asyncio.run(soak(parser.parse_args()))
    # The SDK's core threads can still hold the GIL machinery while the interpreter finalizes (a
    # "Fatal Python error: PyGILState_Release" that turned a clean soak's exit status into SIGABRT):
    # the summary is printed, so leave without finalizing.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
