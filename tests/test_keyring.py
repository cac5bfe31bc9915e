"""Issue 13, the key registry: rotation and revocation instruments, validity intervals, the cap on
keys kept, and their reach into open children (a forged change reaches nothing)."""

from __future__ import annotations

import asyncio
import base64
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio.contrib.pydantic import pydantic_data_converter

from activities.register import decisions, register_engine
from engine.keys import load_private_key
from models.identities import Identity
from models.joint_action import ProgressReport
from models.key_changes import change_problem
from models.keyring import (
    KEYS_KEPT,
    KeyChange,
    KeyRevocation,
    KeyRing,
    KeyRotation,
    possession_bytes,
    signature_problem,
)
from models.messages import KeyChanges
from models.partnership import TerminationNotice
from models.signing import fingerprint, public_key_text, sign
from tests.helpers import effects_done, eventually, mails, rejected, subjects
from tests.test_joint_actions import agreed
from workflows.joint_action import JointActionWorkflow
from workflows.partnership import PartnershipWorkflow

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def rotation(identity: Identity, old: Ed25519PrivateKey, new: Ed25519PrivateKey, to: str = "") -> KeyRotation:
    filing = sign(
        KeyRotation(
            filed_by=identity,
            addressed_to=to,
            old_fingerprint=fingerprint(public_key_text(old)),
            new_key=public_key_text(new),
        ),
        old,
    )
    proof = base64.b64encode(new.sign(filing.canonical_bytes())).decode()
    return filing.model_copy(update={"new_key_signature": proof})


def revocation(
    by: Identity, signer, revoked: Identity, old: str, new: Ed25519PrivateKey, to: str = ""
) -> KeyRevocation:
    proof = base64.b64encode(new.sign(possession_bytes(revoked, public_key_text(new), fingerprint(old)))).decode()
    filing = KeyRevocation(
        filed_by=by,
        addressed_to=to,
        revoked=revoked,
        revoked_fingerprint=fingerprint(old),
        new_key=public_key_text(new),
        possession=proof,
    )
    return sign(filing, signer)


@pytest.fixture
def held() -> dict[Identity, Ed25519PrivateKey]:
    return {i: Ed25519PrivateKey.generate() for i in (Identity.UK, Identity.ROK, Identity.SECRETARIAT)}


def ring_of(held) -> KeyRing:
    return KeyRing.model_validate({i: public_key_text(k) for i, k in held.items()})


def test_rotation_keeps_old_filings_valid_and_refuses_the_old_key_after(held):
    ring = ring_of(held)
    new = Ed25519PrivateKey.generate()
    change = KeyChange(rotation=rotation(Identity.UK, held[Identity.UK], new))
    assert change_problem(ring, change, T0) is None
    after = ring.changed(change, T0)
    old_notice = sign(TerminationNotice(filed_by=Identity.UK), held[Identity.UK])
    assert signature_problem(old_notice, after, T0 - timedelta(days=1)) is None  # received before: valid
    problem = signature_problem(old_notice, after, T0 + timedelta(seconds=1))
    assert problem is not None and "replaced by rotation on 2026-01-01 00:00Z" in problem
    assert signature_problem(sign(TerminationNotice(filed_by=Identity.UK), new), after, T0) is None
    assert change_problem(after, change, T0) is not None  # the same instrument cannot move the key again

    # Unsigned by the new key, or by another's key: refused.
    unproven = change.rotation.model_copy(update={"new_key_signature": ""})  # type: ignore[union-attr]
    assert "new key's signature" in change_problem(ring, KeyChange(rotation=unproven), T0)  # type: ignore[operator]
    forged = rotation(Identity.UK, Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate())
    assert change_problem(ring, KeyChange(rotation=forged), T0) is not None


def test_revocation_by_the_other_side_and_the_secretariats_by_both(held):
    ring = ring_of(held)
    uk_old = public_key_text(held[Identity.UK])
    new = Ed25519PrivateKey.generate()
    by_rok = revocation(Identity.ROK, held[Identity.ROK], Identity.UK, uk_old, new)
    by_self = revocation(Identity.UK, held[Identity.UK], Identity.UK, uk_old, new)
    assert "revoked by ROK" in change_problem(ring, KeyChange(revocations=[by_self]), T0)  # type: ignore[operator]
    assert change_problem(ring, KeyChange(revocations=[by_rok]), T0) is None
    after = ring.changed(KeyChange(revocations=[by_rok]), T0)
    late = sign(TerminationNotice(filed_by=Identity.UK), held[Identity.UK])
    assert "revoked on 2026-01-01" in signature_problem(late, after, T0 + timedelta(hours=1))  # type: ignore[operator]

    sec_old = public_key_text(held[Identity.SECRETARIAT])
    sec_new = Ed25519PrivateKey.generate()
    one = revocation(Identity.UK, held[Identity.UK], Identity.SECRETARIAT, sec_old, sec_new)
    other = revocation(Identity.ROK, held[Identity.ROK], Identity.SECRETARIAT, sec_old, sec_new)
    assert change_problem(ring, KeyChange(revocations=[one]), T0) is not None
    assert change_problem(ring, KeyChange(revocations=[one, other]), T0) is None


def test_every_revocation_half_is_signed_with_its_filers_key_valid_now(held):
    """Review findings 4 and its review: a copy of the registry takes a revocation only when every
    half verifies with its filer's key valid on receipt. A key retired by rotation (departed staff,
    `keys/retired/`) added to the other Participant's genuine half, copied from the history, does
    not revoke the SECRETARIAT's key in any child; the Partnership drops a held half once its filer's
    key changes (the workflow test below), so no genuine revocation ever needs one."""
    uk, rok, hour = held[Identity.UK], held[Identity.ROK], timedelta(hours=1)
    sec_old, sec_new = public_key_text(held[Identity.SECRETARIAT]), Ed25519PrivateKey.generate()
    uk_half = revocation(Identity.UK, uk, Identity.SECRETARIAT, sec_old, sec_new)
    rok_half = revocation(Identity.ROK, rok, Identity.SECRETARIAT, sec_old, sec_new)
    assert change_problem(ring_of(held), KeyChange(revocations=[uk_half, rok_half]), T0 + hour) is None
    uk2 = Ed25519PrivateKey.generate()
    rotated = ring_of(held).changed(KeyChange(rotation=rotation(Identity.UK, uk, uk2)), T0 + hour)
    forged = change_problem(rotated, KeyChange(revocations=[uk_half, rok_half]), T0 + 2 * hour)
    assert forged is not None and "UK's key" in forged and "replaced by rotation" in forged
    # Signed again with UK's new key, it completes the revocation.
    uk_again = revocation(Identity.UK, uk2, Identity.SECRETARIAT, sec_old, sec_new)
    assert change_problem(rotated, KeyChange(revocations=[uk_again, rok_half]), T0 + 2 * hour) is None


def test_a_registry_keeps_at_most_KEYS_KEPT_keys_per_identity(held):
    ring, key = ring_of(held), held[Identity.ROK]
    for n in range(KEYS_KEPT + 3):
        new = Ed25519PrivateKey.generate()
        ring = ring.changed(KeyChange(rotation=rotation(Identity.ROK, key, new)), T0 + timedelta(days=n))
        key = new
    assert len(ring.history(Identity.ROK)) == KEYS_KEPT
    assert ring.current(Identity.ROK).public_key == public_key_text(key)  # type: ignore[union-attr]
    assert len(ring.history(Identity.UK)) == 1
    # A plain {identity: key} registry (states written before issue 13) reads as a ring.
    assert KeyRing.model_validate(ring.model_dump(mode="json")) == ring


async def test_a_rotation_reaches_open_children_and_a_forged_change_reaches_nothing(partnership, local_env, data_dir):
    client = local_env.client
    action = await agreed(partnership, client)
    uk = load_private_key(Identity.UK)
    new = Ed25519PrivateKey.generate()

    # An outsider signals the child a key change of its own making: nothing changes.
    outsider = Ed25519PrivateKey.generate()
    await action.signal(
        JointActionWorkflow.keys_changed,
        KeyChanges(changes=[KeyChange(rotation=rotation(Identity.UK, outsider, Ed25519PrivateKey.generate()))]),
    )
    by_outsider = sign(
        ProgressReport(
            filed_by=Identity.UK, addressed_to=action.id, action_id=action.id, status="on-track", percent=10
        ),
        outsider,
    )
    assert "does not verify" in await rejected(action, JointActionWorkflow.report, by_outsider)

    entry = await partnership.execute_update(
        PartnershipWorkflow.rotate_key, rotation(Identity.UK, uk, new, to=partnership.id)
    )
    assert entry.fingerprint == fingerprint(public_key_text(new))
    await effects_done(partnership, PartnershipWorkflow.pending_effects)
    report = ProgressReport(
        filed_by=Identity.UK, addressed_to=action.id, action_id=action.id, status="on-track", percent=20
    )
    message = await rejected(action, JointActionWorkflow.report, sign(report, uk))
    assert "replaced by rotation" in message
    await action.execute_update(JointActionWorkflow.report, sign(report, new))

    await effects_done(partnership, PartnershipWorkflow.pending_effects)
    rows = [r for r in decisions(register_engine()) if r.kind == "key-rotation"]
    assert len(rows) == 1 and rows[0].workflow_id == partnership.id
    assert "UK's key has been rotated" in subjects(data_dir)


async def test_the_secretariats_revocation_reaches_an_open_forum_cycle_after_a_revokers_rotation(
    local_env, data_dir, task_queue
):
    """Review finding 4, end to end: UK files its half and rotates (its held half then no longer
    counts, and UK files it again with its new key); ROK files the other half and rotates in the
    same breath (the worker is down, so the Partnership takes both in one task and forwards both
    changes together). The open Forum cycle applies both, in the order they were made: the old
    SECRETARIAT key no longer adds an agenda item there, the new one does."""
    from temporalio.api.enums.v1 import EventType

    from models.forum import AgendaItemFiling
    from tests.conftest import bootstrapped
    from tests.test_forum import start
    from worker import build_worker
    from workflows.forum import ForumCycleWorkflow

    uk, rok, sec = (load_private_key(i) for i in (Identity.UK, Identity.ROK, Identity.SECRETARIAT))
    sec_new, uk2, rok2 = (Ed25519PrivateKey.generate() for _ in range(3))
    async with build_worker(local_env.client, task_queue, cold=False):
        partnership = await bootstrapped(local_env, task_queue)
        forum = await start(partnership, local_env.client, date.today().year + 1)
        half = {
            by: revocation(by, key, Identity.SECRETARIAT, public_key_text(sec), sec_new, to=partnership.id)
            for by, key in ((Identity.UK, uk), (Identity.ROK, rok))
        }
        assert await partnership.execute_update(PartnershipWorkflow.revoke_key, half[Identity.UK]) is None
        uk_rotation = rotation(Identity.UK, uk, uk2, to=partnership.id)
        await partnership.execute_update(PartnershipWorkflow.rotate_key, uk_rotation)
        # UK's held half no longer counts once UK's key has changed: UK files it again.
        again = revocation(Identity.UK, uk2, Identity.SECRETARIAT, public_key_text(sec), sec_new, to=partnership.id)
        assert await partnership.execute_update(PartnershipWorkflow.revoke_key, again) is None
        await effects_done(partnership, PartnershipWorkflow.pending_effects)
    revoked = asyncio.create_task(partnership.execute_update(PartnershipWorkflow.revoke_key, half[Identity.ROK]))
    await asyncio.sleep(0.5)
    rok_rotation = rotation(Identity.ROK, rok, rok2, to=partnership.id)
    rotated = asyncio.create_task(partnership.execute_update(PartnershipWorkflow.rotate_key, rok_rotation))
    await asyncio.sleep(0.5)
    async with build_worker(local_env.client, task_queue, cold=False):
        assert (await revoked).fingerprint == fingerprint(public_key_text(sec_new))
        await rotated
        await effects_done(partnership, PartnershipWorkflow.pending_effects)
        item = AgendaItemFiling(filed_by=Identity.SECRETARIAT, addressed_to=forum.id, forum_id=forum.id, title="AOB")
        assert "revoked on" in await rejected(forum, ForumCycleWorkflow.add_item, sign(item, sec))
        await forum.execute_update(ForumCycleWorkflow.add_item, sign(item, sec_new))
        assert (await forum.query(ForumCycleWorkflow.refused_messages)).count == 0

    # The two changes taken in one task went to the cycle in one signal, the revocation first.
    sent = []
    async for event in partnership.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
            attrs = event.signal_external_workflow_execution_initiated_event_attributes
            if attrs.signal_name == "keys_changed" and attrs.workflow_execution.workflow_id == forum.id:
                batch = pydantic_data_converter.payload_converter.from_payload(attrs.input.payloads[0], KeyChanges)
                sent.append([change.kind for change in batch.changes])
    assert sent == [["rotation"], ["revocation", "rotation"]]


async def test_a_held_half_no_longer_counts_once_its_filers_key_is_revoked(partnership, local_env, data_dir):
    """UK's half of the SECRETARIAT's revocation is held; ROK then revokes UK's key. The held half
    may have been signed by whoever took that key, so ROK's half does not complete the revocation:
    it is held in turn, the mail tells UK, and UK's half filed again with its new key completes it."""
    uk, rok, sec = (load_private_key(i) for i in (Identity.UK, Identity.ROK, Identity.SECRETARIAT))
    sec_new, uk2 = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()

    def half(by: Identity, key) -> KeyRevocation:
        return revocation(by, key, Identity.SECRETARIAT, public_key_text(sec), sec_new, to=partnership.id)

    assert await partnership.execute_update(PartnershipWorkflow.revoke_key, half(Identity.UK, uk)) is None
    uk_lost = revocation(Identity.ROK, rok, Identity.UK, public_key_text(uk), uk2, to=partnership.id)
    await partnership.execute_update(PartnershipWorkflow.revoke_key, uk_lost)
    assert await partnership.execute_update(PartnershipWorkflow.revoke_key, half(Identity.ROK, rok)) is None
    entry = await partnership.execute_update(PartnershipWorkflow.revoke_key, half(Identity.UK, uk2))
    assert entry.fingerprint == fingerprint(public_key_text(sec_new))
    await effects_done(partnership, PartnershipWorkflow.pending_effects)
    bodies = [
        m.get_payload(decode=True).decode() for m in mails(data_dir) if m["Subject"] == "UK's key has been revoked"
    ]
    assert bodies and "no longer counts: UK files it again with its new key" in " ".join(bodies[0].split())


def test_an_office_key_at_rest_encrypted_owner_only_and_its_own(tmp_path, monkeypatch):
    from engine.keys import KeyProblem, init_keys, private_key_path

    monkeypatch.setenv("PARTNERSHIP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PARTNERSHIP_OFFICE", "UK")
    monkeypatch.setenv("PARTNERSHIP_KEY_PASSPHRASE", "correct horse")
    assert init_keys() == {Identity.UK: True}  # only this office's key
    path = private_key_path(Identity.UK)
    assert b"ENCRYPTED" in path.read_bytes()
    assert load_private_key(Identity.UK) is not None
    with pytest.raises(KeyProblem, match="holds no private key for ROK: ROK files from its own office"):
        load_private_key(Identity.ROK)
    monkeypatch.setenv("PARTNERSHIP_KEY_PASSPHRASE", "wrong")
    with pytest.raises(KeyProblem, match="wrong passphrase"):
        load_private_key(Identity.UK)
    monkeypatch.delenv("PARTNERSHIP_KEY_PASSPHRASE")
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    with pytest.raises(KeyProblem, match="is encrypted; set PARTNERSHIP_KEY_PASSPHRASE"):
        load_private_key(Identity.UK)
    path.chmod(0o644)
    with pytest.raises(KeyProblem, match=f"readable by others; run `chmod 600 {path}`"):
        load_private_key(Identity.UK)


@pytest.mark.parametrize("landed", [True, False], ids=["landed", "refused"])
def test_a_rotation_refused_on_its_retry_keeps_the_new_key_only_if_the_registry_holds_it(
    data_dir, monkeypatch, capsys, landed
):
    """`keys rotate` asked again after no answer may meet a Partnership that has continued as new
    and refuses the repeat: if the registry's key is now the new one, the first sending landed and
    the office keeps the new key (deleting it would lock the office out); otherwise the refusal
    stands and the office keeps its old key."""
    import typer
    from temporalio.client import WorkflowUpdateFailedError
    from temporalio.exceptions import ApplicationError

    from cli import keys as keys_cli
    from models.keyring import KeyEntry, KeyRing

    old_key = public_key_text(load_private_key(Identity.UK))
    sent = []

    class Partnership:
        id = "partnership"

        async def query(self, query, *args, **kwargs):
            current = sent[0].new_key if landed else old_key
            return KeyRing(entries=[KeyEntry(identity=Identity.UK, public_key=current, valid_from=datetime.now(UTC))])

    async def the_partnership(*args, **kwargs):
        return Partnership()

    async def refused_on_retry(handle, update, rotation):
        sent.append(rotation)
        raise WorkflowUpdateFailedError(ApplicationError(f"filing {rotation.filing_id} was already received"))

    monkeypatch.setattr(keys_cli, "partnership", the_partnership)
    monkeypatch.setattr(keys_cli, "send", refused_on_retry)
    if landed:
        keys_cli.keys_rotate(identity=Identity.UK)
        assert capsys.readouterr().out.startswith("UK key rotated: ")
        assert public_key_text(load_private_key(Identity.UK)) == sent[0].new_key
    else:
        with pytest.raises(typer.Exit):
            keys_cli.keys_rotate(identity=Identity.UK)
        assert public_key_text(load_private_key(Identity.UK)) == old_key
        assert not list((data_dir / "keys" / "rotating").glob("*"))


async def test_a_child_started_in_the_same_task_as_a_rotation_starts_with_the_new_key(local_env, data_dir, task_queue):
    """Review finding 11: a joint action proposed and a rotation filed while the worker is down
    are taken in one task; the action then starts with the registry as rotated (a key change
    signalled with its start could reach the server before the action exists, and be lost)."""
    from temporalio.api.enums.v1 import EventType

    from models.joint_action import JointActionCase, JointActionProposal
    from tests.conftest import bootstrapped
    from worker import build_worker

    uk, uk2 = load_private_key(Identity.UK), Ed25519PrivateKey.generate()
    async with build_worker(local_env.client, task_queue, cold=False):
        partnership = await bootstrapped(local_env, task_queue)
    proposal = sign(
        JointActionProposal(filed_by=Identity.UK, addressed_to=partnership.id, ref="9b", title="Testbed"), uk
    )
    proposed = asyncio.create_task(partnership.execute_update(PartnershipWorkflow.propose_joint_action, proposal))
    await asyncio.sleep(0.5)
    rotated = asyncio.create_task(
        partnership.execute_update(PartnershipWorkflow.rotate_key, rotation(Identity.UK, uk, uk2, to=partnership.id))
    )
    await asyncio.sleep(0.5)
    async with build_worker(local_env.client, task_queue, cold=False):
        receipt, _ = await proposed, await rotated
        await effects_done(partnership, PartnershipWorkflow.pending_effects)
    action = local_env.client.get_workflow_handle(receipt.action_id)
    started = (await action.fetch_history()).events[0]
    assert started.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
    payload = started.workflow_execution_started_event_attributes.input.payloads[0]
    case = pydantic_data_converter.payload_converter.from_payload(payload, JointActionCase)
    assert case.keys.current(Identity.UK).fingerprint == fingerprint(public_key_text(uk2))


async def test_a_held_half_signed_with_a_key_since_rotated_no_longer_counts(partnership, local_env, data_dir):
    """UK's half of a revocation of the SECRETARIAT's key is held; UK then rotates its own key. The
    half is signed with a key no copy of the registry takes any more and could never complete a
    revocation: the rotation's mail says it no longer counts. (A half naming a key since rotated
    still counts: tests/test_stolen_keys.py.)"""
    uk, sec = load_private_key(Identity.UK), load_private_key(Identity.SECRETARIAT)
    sec_new, uk2 = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    half = revocation(Identity.UK, uk, Identity.SECRETARIAT, public_key_text(sec), sec_new, to=partnership.id)
    assert await partnership.execute_update(PartnershipWorkflow.revoke_key, half) is None
    await partnership.execute_update(PartnershipWorkflow.rotate_key, rotation(Identity.UK, uk, uk2, to=partnership.id))
    await effects_done(partnership, PartnershipWorkflow.pending_effects)
    bodies = [
        " ".join(m.get_payload(decode=True).decode().split())
        for m in mails(data_dir)
        if m["Subject"] == "UK's key has been rotated"
    ]
    assert bodies and "no longer counts: UK files it again with its new key" in bodies[0]
    assert await partnership.query(PartnershipWorkflow.pending_revocations) == []


def test_a_key_replaced_on_one_machine_awaits_its_revocation_without_locking_the_office_out(data_dir):
    """`keys init --as ROK --replace` on the one-machine data dir (which holds every key): the
    Partnership holds ROK's old key until UK files the revocation. Meanwhile the office's reads and
    UK's revocation pass the registry check, and a ROK filing is refused before it is sent; a
    registry holding any other key for ROK is still refused."""
    from typer.testing import CliRunner

    from engine.keys import own_public_keys, registry_problem, replaced_here
    from models.keyring import KeyEntry, KeyRing
    from starter import app

    before = KeyRing.model_validate(own_public_keys())
    old = before.current(Identity.ROK).fingerprint
    assert registry_problem(before) is None and replaced_here(before) == {}
    result = CliRunner().invoke(app, ["keys", "init", "--as", "ROK", "--replace"])
    assert result.exit_code == 0, result.output
    assert registry_problem(before) is None and replaced_here(before) == {Identity.ROK: old}
    # The registry's key is compared in full with the replaced key kept aside, not by fingerprint.
    [kept] = (data_dir / "keys" / "retired").glob(f"rok-{old}-*.pub")
    held = kept.read_text()
    kept.write_text(public_key_text(Ed25519PrivateKey.generate()) + "\n")
    assert replaced_here(before) == {} and registry_problem(before) is not None
    kept.write_text(held)
    # Once the revocation is taken the registry holds the new key: nothing awaits any more.
    after = KeyRing.model_validate(own_public_keys())
    assert registry_problem(after) is None and replaced_here(after) == {}
    # A registry holding a key this office never had for ROK is refused as before.
    stranger = public_key_text(Ed25519PrivateKey.generate())
    swapped = KeyRing(
        entries=[e for e in before.entries if e.identity != Identity.ROK]
        + [KeyEntry(identity=Identity.ROK, public_key=stranger)]
    )
    assert registry_problem(swapped).startswith(f"the Partnership holds key {fingerprint(stranger)} for ROK")


async def test_a_key_change_a_closed_child_cannot_take_is_routine_not_a_warning(partnership, local_env, caplog):
    """Key changes go to every child the Partnership knows, closed ones too (what shows them closed
    is an unsigned roll-up): one that has ended is logged at info, not as a warning an operator
    would chase, once per closed child per change."""
    import logging

    from tests.test_joint_actions import closure

    action = await agreed(partnership, local_env.client)
    for side in (Identity.UK, Identity.ROK):
        await action.execute_update(JointActionWorkflow.close, closure(action, side))
    await action.result()
    await effects_done(partnership, PartnershipWorkflow.pending_effects)
    caplog.set_level(logging.INFO, logger="temporalio.workflow")
    uk = load_private_key(Identity.UK)
    await partnership.execute_update(
        PartnershipWorkflow.rotate_key, rotation(Identity.UK, uk, Ed25519PrivateKey.generate(), to=partnership.id)
    )
    await effects_done(partnership, PartnershipWorkflow.pending_effects)

    def undelivered():
        return [
            r
            for r in caplog.records
            if r.getMessage().startswith("message not delivered") and action.id in str(r.__dict__)
        ]

    found = await eventually(undelivered)
    assert [r.levelno for r in found] == [logging.INFO], [r.__dict__ for r in found]


def test_a_key_has_one_spelling_so_one_key_is_never_registered_for_two(data_dir, tmp_path):
    """Base64 of 32 bytes leaves two bits of its last character unused: four spellings decode to one
    key. Only the canonical one is taken (a key file, a registry, a filing), so comparing keys as
    text cannot let UK's key in through another spelling as ROK's, or back as its own successor."""
    from pydantic import ValidationError

    from engine.keys import KeyProblem, own_public_keys, read_public_key
    from models.keyring import KeyRing, shared_key_problem

    keys = own_public_keys()
    uk = keys[Identity.UK]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    other = uk[:42] + alphabet[alphabet.index(uk[42]) | 1] + "="
    assert other != uk and base64.b64decode(other) == base64.b64decode(uk)
    with pytest.raises(ValidationError, match="public_key"):
        KeyRing.model_validate(keys | {Identity.ROK: other})
    assert shared_key_problem(KeyRing.model_validate(keys | {Identity.ROK: uk})).startswith("ROK and UK are given")
    made = rotation(Identity.ROK, load_private_key(Identity.ROK), Ed25519PrivateKey.generate())
    with pytest.raises(ValidationError, match="new_key"):
        KeyRotation.model_validate(made.model_dump() | {"new_key": other})
    respelt = tmp_path / "uk-respelt.pub"
    respelt.write_text(other + "\n")
    with pytest.raises(KeyProblem, match=f"not in canonical base64 \\(it should read {re.escape(uk)}\\)"):
        read_public_key(respelt)


@pytest.mark.timeout(120)
async def test_filings_stay_signed_in_the_audit_however_often_the_key_changed_since(local_env, partnership):
    """Adversarial review 5, F2: a workflow carries only the latest KEYS_KEPT keys of an identity;
    the audit looked each filing's signer up in that registry, so once ROK's key had changed that
    often, ROK's own signature of the Partnership was called altered and audit verify failed."""
    from audit.verify import verify
    from models.keyring import KEYS_KEPT

    uk, rok = load_private_key(Identity.UK), load_private_key(Identity.ROK)
    first = public_key_text(rok)
    for _ in range(KEYS_KEPT + 1):
        new = Ed25519PrivateKey.generate()
        revoked = revocation(Identity.UK, uk, Identity.ROK, public_key_text(rok), new, to=partnership.id)
        await partnership.execute_update(PartnershipWorkflow.revoke_key, revoked)
        rok = new
    assert first not in [e.public_key for e in (await partnership.query(PartnershipWorkflow.key_ring)).entries]
    await effects_done(partnership, PartnershipWorkflow.pending_effects)
    query = f"WorkflowId = '{partnership.id}'"
    report = await verify(local_env.client, register_engine(), query, partnership_id=partnership.id)
    assert report.problems == [] and report.findings == [], report
    assert f"ROK key {fingerprint(first)}: valid" in "\n".join(report.key_history)


def test_keys_init_asks_for_a_passphrase_on_a_terminal_and_says_when_a_key_is_in_clear(tmp_path, monkeypatch):
    """A two-ministry walkthrough (deploy 5): README promised a prompt to encrypt a new key; there
    was none, and nothing said the key was written in clear."""
    from typer.testing import CliRunner

    import cli.keys
    import engine.keys
    from engine.keys import PASSPHRASE_ENV
    from starter import app

    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    monkeypatch.setattr(engine.keys, "_typed", [])  # what the prompt keeps goes with the test
    monkeypatch.setenv("PARTNERSHIP_OFFICE", "UK")
    monkeypatch.setenv("PARTNERSHIP_DATA_DIR", str(tmp_path / "piped"))
    piped = CliRunner().invoke(app, ["keys", "init", "--as", "UK"])
    assert piped.exit_code == 0 and "written unencrypted: set PARTNERSHIP_KEY_PASSPHRASE" in piped.output
    assert (tmp_path / "piped" / "keys" / "uk.key").read_text().startswith("-----BEGIN PRIVATE KEY-----")
    again = CliRunner().invoke(app, ["keys", "init", "--as", "UK"])  # kept: nothing new, nothing said
    assert again.exit_code == 0 and "unencrypted" not in again.output

    monkeypatch.setattr(cli.keys, "on_a_terminal", lambda: True)
    monkeypatch.setenv("PARTNERSHIP_DATA_DIR", str(tmp_path / "typed"))
    typed = CliRunner().invoke(app, ["keys", "init", "--as", "UK"], input="correct horse\ncorrect horse\n")
    assert typed.exit_code == 0 and "unencrypted" not in typed.output, typed.output
    assert (tmp_path / "typed" / "keys" / "uk.key").read_text().startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")


def test_a_key_opened_with_a_typed_passphrase_is_succeeded_by_an_encrypted_one(tmp_path, monkeypatch):
    """Review 9: a key encrypted at `keys init` was opened at `keys rotate` with the passphrase typed
    at the prompt, and its successor was then written in clear, without a word."""
    import getpass
    import sys

    import engine.keys
    from engine.keys import PASSPHRASE_ENV, write_key_pair

    monkeypatch.setattr(engine.keys, "_typed", [])
    monkeypatch.setenv("PARTNERSHIP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PARTNERSHIP_OFFICE", "UK")
    monkeypatch.setenv(PASSPHRASE_ENV, "correct horse")
    (tmp_path / "keys").mkdir(mode=0o700)
    write_key_pair(Identity.UK, Ed25519PrivateKey.generate())
    monkeypatch.delenv(PASSPHRASE_ENV)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(getpass, "getpass", lambda prompt: "correct horse")
    load_private_key(Identity.UK)  # as `keys rotate` opens the key it rotates
    write_key_pair(Identity.UK, Ed25519PrivateKey.generate())  # …and writes its successor
    assert (tmp_path / "keys" / "uk.key").read_text().startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
