"""Issue 13, end to end through the real CLI: three data dirs (UK office, ROK office, secretariat),
each holding only its own private key, against one stack the secretariat runs on free ports. The
Partnership is started from public keys, each side signs and files from its own office; keys are
rotated and revoked; a registry swapped under a restarted Partnership is refused by every office."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from models.signing import fingerprint
from tests.cli_runner import Spawned, spawn
from tests.conftest import free_port
from tests.replay_all import served_histories_replay
from tests.test_cli_embedded import CLI, cli

pytestmark = pytest.mark.timeout(600)  # ~30 CLI runs each; a loaded 2-core machine takes seconds a run

OFFICES = ("UK", "ROK", "SECRETARIAT")


class Offices:
    """One environment per office; the secretariat's runs the stack (server and worker)."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        base = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "PARTNERSHIP_"))}
        base |= {"LOG_FORMAT": "json", "PARTNERSHIP_ARCHIVE_EVERY": "off", "PARTNERSHIP_STRICT_SANDBOX": "1"}
        self.port = free_port()
        self.env = {
            office: base | {"PARTNERSHIP_DATA_DIR": str(tmp_path / office.lower()), "PARTNERSHIP_OFFICE": office}
            for office in OFFICES
        }
        for office in ("UK", "ROK"):
            self.env[office]["TEMPORAL_ADDRESS"] = f"127.0.0.1:{self.port}"
        self.up: Spawned | None = None

    def data(self, office: str) -> Path:
        return Path(self.env[office]["PARTNERSHIP_DATA_DIR"])

    def run(self, office: str, *args: str) -> subprocess.CompletedProcess[str]:
        return cli(*args, env=self.env[office])

    def ok(self, office: str, *args: str) -> str:
        result = self.run(office, *args)
        assert result.returncode == 0, f"{office} {' '.join(args)}: {result.stderr}"
        return result.stdout

    def refused(self, office: str, *args: str) -> str:
        result = self.run(office, *args)
        assert result.returncode == 1, result.stdout
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        return result.stderr.strip()

    def start_stack(self) -> None:
        sec = self.env["SECRETARIAT"]
        self.up = spawn(  # forked, with the CLI imported (tests/cli_runner.py)
            ["up", "--port", str(self.port), "--ui-port", str(free_port()), "--console-port", "0"],
            sec,
            self.tmp / "up.log",
        )
        address = self.data("SECRETARIAT") / "temporal.address"
        deadline = time.monotonic() + 90
        while not address.exists():
            assert self.up.poll() is None, (self.tmp / "up.log").read_text()
            assert time.monotonic() < deadline, "stack did not start"
            time.sleep(0.2)
        sec["TEMPORAL_ADDRESS"] = address.read_text().strip()

    def set_up_and_sign(self) -> dict[str, Path]:
        """Each office makes its key, exports it, pins the others'; the secretariat starts the
        Partnership from the three public keys; each Participant signs from its own office."""
        exported: dict[str, Path] = {}
        for office in OFFICES:
            assert "created" in self.ok(office, "keys", "init", "--as", office)
            exported[office] = self.tmp / f"{office.lower()}.pub"
            exported[office].write_text(self.ok(office, "keys", "export", "--as", office))
            assert [p.name for p in (self.data(office) / "keys").glob("*.key")] == [f"{office.lower()}.key"]
        for office in ("UK", "ROK"):
            for other in OFFICES:
                if other != office:
                    pinned = self.ok(office, "keys", "pin", other, str(exported[other]))
                    # The fingerprint read back is written as the exported file writes it (and as
                    # every other command does), not in groups of four.
                    said = exported[other].read_text().split("fingerprint ", 1)[1].split()[0]
                    assert f"pinned {other} key {said}:" in pinned and len(said) == 16
        # A careless start giving UK's key for ROK too is refused in one line. Nothing is started or
        # pinned: the right start, next, would be refused if it had been.
        same = {"UK": exported["UK"], "ROK": exported["UK"], "SECRETARIAT": exported["SECRETARIAT"]}
        message = self.refused("SECRETARIAT", "start", *(f"--key={o}={same[o]}" for o in OFFICES))
        assert message.startswith("ROK and UK are given the same key ") and message.endswith("nothing was started")
        keys = [f"--key={o}={exported[o]}" for o in OFFICES]
        started = json.loads(self.ok("SECRETARIAT", "start", *keys, "--json"))
        assert started["state"] == "AWAITING_SIGNATURES"
        self.ok("UK", "sign", "--as", "UK", "--signed-on", "2023-11-20")
        signed = self.ok("ROK", "sign", "--as", "ROK", "--signed-on", "2023-11-22")
        assert "IN_EFFECT since 2023-11-22" in signed
        return exported

    def history_length(self, workflow_id: str = "partnership") -> int:
        """Its length once nothing is in flight (an effect landing later is not a filing)."""
        from tests.test_cli_embedded import outstanding

        deadline = time.monotonic() + 60
        while True:
            shown = subprocess.run(
                [str(Path(CLI).parent / "temporal"), "workflow", "show", "--workflow-id", workflow_id]
                + ["--address", self.env["UK"]["TEMPORAL_ADDRESS"], "--output", "json"],
                capture_output=True,
                text=True,
                check=True,
            )
            events = json.loads(shown.stdout)["events"]
            if not outstanding(events) or time.monotonic() > deadline:
                return len(events)
            time.sleep(0.2)

    def subjects(self) -> set[str]:
        mails = list((self.data("SECRETARIAT") / "mail" / "new").glob("*"))
        return {line for m in mails for line in m.read_text().splitlines() if line.startswith("Subject:")}

    def stop(self) -> None:
        if self.up is not None and self.up.poll() is None:
            try:
                served_histories_replay(self.env["SECRETARIAT"]["TEMPORAL_ADDRESS"])
            finally:  # stopped whatever the replay says, so no stack outlives its test
                self.up.kill()
                self.up.wait()


@pytest.fixture
def offices(tmp_path: Path):
    o = Offices(tmp_path)
    o.start_stack()
    yield o
    o.stop()


def test_three_offices_each_with_only_its_own_key(offices, tmp_path):
    o = offices
    o.set_up_and_sign()

    # Every pin is on the register and told to everyone: the Participants' once they signed, the
    # secretariat's (the keys it started the Partnership with) at the start.
    pinned = {f"Subject: {by} has pinned {whose}'s key" for by in OFFICES for whose in OFFICES if by != whose}
    deadline = time.monotonic() + 60
    while not pinned <= (subjects := o.subjects()):
        assert time.monotonic() < deadline, subjects
        time.sleep(0.3)
    for office in OFFICES:
        held = json.loads((o.data(office) / "keys" / "pins.json").read_text())
        assert all(p.get("recorded") for p in held.values()), held

    # Walkthrough 3, F8: a file that says it holds ROK's key is not pinned as UK's; one that does not
    # say, pinned as UK's where the Partnership holds another key for UK, is refused (exit 1).
    exported = {office: o.tmp / f"{office.lower()}.pub" for office in OFFICES}
    scratch = o.env["ROK"] | {"PARTNERSHIP_DATA_DIR": str(tmp_path / "scratch")}
    (tmp_path / "scratch").mkdir()
    labelled = cli("keys", "pin", "UK", str(exported["ROK"]), env=scratch)
    assert labelled.returncode == 1 and labelled.stderr.strip() == (
        "rok.pub says it holds ROK's key, not UK's; pin it as ROK, or ask UK for its own"
    )
    unlabelled = tmp_path / "key.pub"
    unlabelled.write_text(exported["ROK"].read_text().splitlines()[0] + "\n")
    wrong = cli("keys", "pin", "UK", str(unlabelled), env=scratch)
    assert wrong.returncode == 1 and "pin kept here, not on the Partnership's register" in wrong.stderr, wrong.stderr

    # From the UK office, ROK's signature cannot be made: one line naming the missing key, nothing sent.
    before = o.history_length()
    message = o.refused("UK", "termination", "notify", "--as", "ROK")
    assert message == ("this office (UK) holds no private key for ROK: ROK files from its own office, with its own key")
    assert o.history_length() == before

    # An amendment: UK proposes, ROK consents.
    wording = tmp_path / "amendment.txt"
    wording.write_text("The Forum will be held twice a year.\n")
    ident = o.ok("UK", "amendment", "propose", "--as", "UK", "--paragraph", "7", "--text-file", str(wording)).strip()
    # An office's inbox is its own without --as (walkthrough 3, F9).
    assert f"partnership amendment consent {ident} --as ROK" in o.ok("ROK", "inbox")
    o.ok("ROK", "amendment", "consent", ident, "--as", "ROK")

    # A joint action: proposed, agreed, reported, completed by both.
    action = o.ok("UK", "action", "propose", "--as", "UK", "--ref", "9b", "--title", "Open RAN testbed").strip()
    o.ok("ROK", "action", "agree", action, "--as", "ROK")
    o.ok("UK", "action", "report", action, "--as", "UK", "--status", "on-track", "--percent", "40")
    o.ok("UK", "action", "complete", action, "--as", "UK")
    assert "COMPLETED" in o.ok("ROK", "action", "complete", action, "--as", "ROK")

    # A Forum cycle: the secretariat starts it, both nominate, both agree the agenda.
    import datetime as dt

    year = str(dt.date.today().year + 1)
    o.ok("SECRETARIAT", "forum", "start", "--as", "SECRETARIAT", "--year", year)
    o.ok("UK", "forum", "nominate", "--as", "UK", "--name", "J. Doe", "--title", "Minister for AI", "--year", year)
    o.ok("ROK", "forum", "nominate", "--as", "ROK", "--name", "K. Lee", "--title", "Vice Minister", "--year", year)
    o.ok("UK", "forum", "agenda", "agree", "--as", "UK", "--year", year)
    o.ok("ROK", "forum", "agenda", "agree", "--as", "ROK", "--year", year)
    assert json.loads(o.ok("SECRETARIAT", "forum", "show", year, "--json"))["summary"]["stage"] == "AGENDA_FIXED"

    # A termination notice, then its withdrawal.
    o.ok("UK", "termination", "notify", "--as", "UK")
    o.ok("UK", "termination", "withdraw", "--as", "UK")
    status = json.loads(o.ok("SECRETARIAT", "status", "--json"))
    assert status["state"] == "IN_EFFECT" and status["version"] == 2


def test_rotation_revocation_and_a_swapped_registry(offices, tmp_path):
    o = offices
    exported = o.set_up_and_sign()
    action = o.ok("UK", "action", "propose", "--as", "UK", "--ref", "9b", "--title", "Open RAN testbed").strip()

    # UK rotates: the open joint action verifies the forwarded instrument and takes UK's new key;
    # the other offices' pins follow the rotation (its instrument verifies from their pin on).
    old_uk = json.loads(o.ok("SECRETARIAT", "status", "--json"))["keys"]["UK"]
    assert "UK key rotated" in o.ok("UK", "keys", "rotate", "--as", "UK")
    # The first thing the secretariat's office runs after it, `keys show`, shows its pin followed.
    shown = json.loads(o.ok("SECRETARIAT", "keys", "show", "--json"))
    [current] = [e for e in shown["registry"]["entries"] if e["identity"] == "UK" and e["valid_until"] is None]
    assert shown["local"]["UK"]["fingerprint"] == fingerprint(current["public_key"]) != old_uk
    o.ok("ROK", "action", "agree", action, "--as", "ROK")
    o.ok("UK", "action", "report", action, "--as", "UK", "--status", "on-track", "--percent", "40")
    status = json.loads(o.ok("ROK", "status", "--json"))
    new_uk, rok_before = status["keys"]["UK"], status["keys"]["ROK"]
    assert new_uk != old_uk
    pins = json.loads((o.data("ROK") / "keys" / "pins.json").read_text())
    assert pins["UK"]["how"].startswith("followed the rotation")
    [retired_uk] = (o.data("UK") / "keys" / "retired").glob("uk-*.key")
    rejected = old_key_filing(o, retired_uk, "UK")
    assert f"signed with UK's key {old_uk}, replaced by rotation on" in rejected

    # ROK's key is lost: ROK makes a new one with a proof of possession; UK files the revocation.
    o.ok("ROK", "keys", "init", "--as", "ROK", "--replace")
    # Until UK files the revocation the Partnership holds ROK's old key: the ROK office still reads,
    # and a filing is refused before sending, saying what it waits for.
    assert json.loads(o.ok("ROK", "status", "--json"))["keys"]["ROK"] == rok_before
    waiting = o.refused("ROK", "action", "report", action, "--as", "ROK", "--status", "on-track", "--percent", "45")
    assert waiting.startswith(f"ROK's key here replaces {rok_before}, which the Partnership holds until UK files ")
    successor = tmp_path / "rok2.pub"
    successor.write_text(o.ok("ROK", "keys", "export", "--as", "ROK"))
    assert "revoked" in o.ok("UK", "keys", "revoke", "ROK", "--new-key", str(successor), "--as", "UK")
    [retired_rok] = (o.data("ROK") / "keys" / "retired").glob("rok-*.key")
    assert "revoked on" in old_key_filing(o, retired_rok, "ROK")
    o.ok("ROK", "action", "report", action, "--as", "ROK", "--status", "at-risk", "--percent", "50")
    o.ok("ROK", "termination", "notify", "--as", "ROK")
    o.ok("ROK", "termination", "withdraw", "--as", "ROK")
    o.ok("SECRETARIAT", "status")  # its pin of ROK follows the revocation, which UK's pinned key signed
    pins = json.loads((o.data("SECRETARIAT") / "keys" / "pins.json").read_text())
    assert pins["ROK"]["how"].startswith("followed the revocation")

    # The audit names the key history and the filings made with a key revoked later.
    audit = o.ok("SECRETARIAT", "audit", "verify", "--query", "WorkflowId = 'partnership'")
    assert "key history" in audit and "revoked later" in audit, audit
    assert {"Subject: UK's key has been rotated", "Subject: ROK's key has been revoked"} <= o.subjects()

    # The Partnership restarted under a swapped registry: every pinned office refuses it.
    swap_registry(o, {"ROK": o.data("ROK") / "keys" / "rok.pub", "SECRETARIAT": exported["SECRETARIAT"]})
    for office in OFFICES:
        message = o.refused(office, "status")
        assert message.startswith("the Partnership holds key ") and "for UK;" in message, message
    # A governed thing's state too: it is shown only under the registry the office agreed to.
    assert o.refused("ROK", "action", "show", action).startswith("the Partnership holds key ")
    # `keys show`, the command to look into it, shows both sides beside the disagreement (deploy 5).
    shown = o.run("ROK", "keys", "show")
    assert shown.returncode == 1 and "the Partnership's registry:" in shown.stdout, shown
    assert shown.stderr.strip().startswith("the Partnership holds key ") and "office ROK, data dir" in shown.stdout


async def connected(o: Offices):
    from temporalio.client import Client
    from temporalio.contrib.pydantic import pydantic_data_converter

    return await Client.connect(o.env["UK"]["TEMPORAL_ADDRESS"], data_converter=pydantic_data_converter)


def old_key_filing(o: Offices, key_file: Path, identity: str) -> str:
    """A termination notice signed with a retired key, sent straight to the server: its refusal."""
    from cryptography.hazmat.primitives import serialization
    from temporalio.client import WorkflowUpdateFailedError

    from models.partnership import TerminationNotice
    from models.signing import sign
    from workflows.partnership import PartnershipWorkflow

    key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    notice = sign(TerminationNotice(filed_by=identity, addressed_to="partnership"), key)  # type: ignore[arg-type]

    async def send() -> str:
        handle = (await connected(o)).get_workflow_handle("partnership")
        try:
            await handle.execute_update(PartnershipWorkflow.give_termination_notice, notice)
        except WorkflowUpdateFailedError as err:
            return err.cause.message  # type: ignore[union-attr]
        raise AssertionError("a filing signed with a retired key was accepted")

    return asyncio.run(send())


def swap_registry(o: Offices, exported: dict[str, Path]) -> None:
    """Terminate the Partnership and start it again under the same id, with ROK's and the
    SECRETARIAT's current keys but an outsider's key for UK."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from temporalio.common import WorkflowIDReusePolicy

    from engine.bootstrap import text_sha256
    from engine.keys import read_public_key
    from models.partnership import PartnershipState
    from models.signing import public_key_text
    from workflows.partnership import PartnershipWorkflow

    keys = {"UK": public_key_text(Ed25519PrivateKey.generate())}
    keys |= {office: read_public_key(path) for office, path in exported.items()}
    state = PartnershipState(keys=keys, text_sha256=text_sha256())

    async def swap() -> None:
        client = await connected(o)
        await client.get_workflow_handle("partnership").terminate("a registry swapped by an outsider")
        await client.start_workflow(
            PartnershipWorkflow.run,
            state,
            id="partnership",
            task_queue="partnership",
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )

    asyncio.run(swap())
