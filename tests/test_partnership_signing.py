"""¶31: the Partnership is in effect from the date both Participants have signed; signatures are
signed instruments, and a rejected one leaves no trace in the history.

These run on the real dev server: only it keeps a rejected Update out of the history entirely (the
time-skipping test server writes a workflow task for every Update, accepted or not)."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from datetime import date, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from activities.register import decisions, register_engine
from engine.bootstrap import start_partnership, text_sha256
from engine.keys import load_private_key
from models.identities import Identity
from models.partnership import PartnershipState, SignPartnership, Stage
from models.signing import sign
from tests import helpers
from tests.helpers import effects_done, signed, subjects
from tests.helpers import rejected as rejected_update
from workflows.partnership import PartnershipWorkflow


def signature(by: Identity, on: date = date(2023, 11, 22), text: str | None = None) -> SignPartnership:
    return SignPartnership(filed_by=by, signed_on=on, text_sha256=text or text_sha256())


@pytest.fixture
async def unsigned(local_env, local_worker, keys, task_queue):
    state = PartnershipState(keys=keys, text_sha256=text_sha256())
    handle = await start_partnership(local_env.client, task_queue, f"partnership-{uuid.uuid4().hex}", state)
    helpers.current_partnership = handle.id
    await handle.query(PartnershipWorkflow.status)  # the first workflow task is done
    return handle


async def rejected(handle, filing: SignPartnership) -> str:
    return await rejected_update(handle, PartnershipWorkflow.sign, filing)


async def test_in_effect_only_after_both_sign_from_the_later_date(unsigned, data_dir):
    receipt = await unsigned.execute_update(
        PartnershipWorkflow.sign, signed(signature(Identity.UK, date(2023, 11, 20)), to=unsigned)
    )
    assert receipt.state is Stage.AWAITING_SIGNATURES
    status = await unsigned.query(PartnershipWorkflow.status)
    assert status.state is Stage.AWAITING_SIGNATURES and status.in_effect_since is None

    receipt = await unsigned.execute_update(
        PartnershipWorkflow.sign, signed(signature(Identity.ROK, date(2023, 11, 22)), to=unsigned)
    )
    assert receipt.state is Stage.IN_EFFECT
    status = await unsigned.query(PartnershipWorkflow.status)
    assert status.state is Stage.IN_EFFECT
    assert status.in_effect_since == date(2023, 11, 22)
    assert [s.participant for s in status.signatories] == [Identity.UK, Identity.ROK]
    assert status.version == 1

    await effects_done(unsigned, PartnershipWorkflow.pending_effects)
    rows = decisions(register_engine())
    assert [(r.kind, r.paragraph, r.workflow_id) for r in rows] == [("entry-into-effect", "31", unsigned.id)]
    assert subjects(data_dir) == [
        "ROK has signed the UK-RoK Digital Partnership",
        "The UK-RoK Digital Partnership is in effect",
        "UK has signed the UK-RoK Digital Partnership",
    ]


async def test_a_forged_signature_is_rejected(unsigned):
    forged = sign(signature(Identity.UK).model_copy(update={"addressed_to": unsigned.id}), Ed25519PrivateKey.generate())
    message = await rejected(unsigned, forged)
    assert "does not verify with the key registered for UK" in message


async def test_one_side_cannot_sign_for_the_other(unsigned):
    on_behalf = sign(
        signature(Identity.ROK).model_copy(update={"addressed_to": unsigned.id}), load_private_key(Identity.UK)
    )
    message = await rejected(unsigned, on_behalf)
    assert "key registered for ROK" in message


async def test_a_tampered_filing_is_rejected(unsigned):
    filing = signed(signature(Identity.UK, date(2023, 11, 22)))
    tampered = filing.model_copy(update={"signed_on": date(2023, 11, 1)})
    assert "does not verify" in await rejected(unsigned, tampered)


async def test_a_participant_signs_once(unsigned):
    await unsigned.execute_update(PartnershipWorkflow.sign, signed(signature(Identity.UK), to=unsigned))
    message = await rejected(unsigned, signed(signature(Identity.UK)))
    assert "UK has already signed (on 2023-11-22)" in message


async def test_only_participants_sign(unsigned):
    message = await rejected(unsigned, signed(signature(Identity.SECRETARIAT)))
    assert "only a Participant (UK or ROK) signs the Partnership, not SECRETARIAT" in message


async def test_a_signature_dated_in_the_future_is_rejected(unsigned):
    tomorrow = date.today() + timedelta(days=2)
    message = await rejected(unsigned, signed(signature(Identity.UK, tomorrow)))
    assert "is in the future; sign on or before UK's today, " in message


async def test_a_signature_over_another_text_is_rejected(unsigned):
    message = await rejected(unsigned, signed(signature(Identity.UK, text="0" * 64)))
    assert "over a different text" in message


async def test_rejections_leave_the_state_unchanged(unsigned):
    await rejected(unsigned, signed(signature(Identity.SECRETARIAT)))
    status = await unsigned.query(PartnershipWorkflow.status)
    assert status.state is Stage.AWAITING_SIGNATURES and status.signatories == []


async def test_a_partnership_started_with_one_key_for_two_identities_refuses_to_run(
    local_env, local_worker, keys, task_queue
):
    """¶31's two signatures are two only if each Participant signs with a key of its own: a client
    that starts the Partnership with UK's key given to ROK too starts one that refuses to run."""
    from temporalio.client import WorkflowFailureError

    state = PartnershipState(keys=keys | {Identity.ROK: keys[Identity.UK]}, text_sha256=text_sha256())
    handle = await start_partnership(local_env.client, task_queue, f"partnership-{uuid.uuid4().hex}", state)
    with pytest.raises(WorkflowFailureError) as failed:
        await asyncio.wait_for(handle.result(), timeout=30)  # one that ran would never end
    assert failed.value.cause.message.startswith("ROK and UK are given the same key ")


async def test_bootstrap_refuses_a_partnership_running_under_other_keys_before_making_any(
    local_env, partnership, task_queue, data_dir, tmp_path, monkeypatch
):
    """Walk-through F13: `partnership bootstrap` in a data dir without keys (an auditor's), or
    with keys of another trial, while a Partnership already runs under other keys, is refused in
    one line before any key is made (it made three private keys, then failed to sign, and left
    the dir unable to read anything). Where the keys match, it stays idempotent."""
    from engine.bootstrap import bootstrap
    from engine.keys import KeyProblem, init_keys, own_public_keys, retire, write_key_pair
    from models.signing import fingerprint

    ring = await partnership.query(PartnershipWorkflow.key_ring)
    before = len((await partnership.fetch_history()).events)
    assert (await bootstrap(local_env.client, task_queue, partnership.id, schedule=False)).state is Stage.IN_EFFECT

    keyless = tmp_path / "auditor"
    monkeypatch.setenv("PARTNERSHIP_DATA_DIR", str(keyless))
    with pytest.raises(KeyProblem) as refused:
        await bootstrap(local_env.client, task_queue, partnership.id, schedule=False)
    address = local_env.client.service_client.config.target_host
    assert str(refused.value) == (
        f"a Partnership with other keys already runs at {address} "
        f"(it holds key {ring.current(Identity.UK).fingerprint} for UK; this data dir holds none): "
        "bootstrap is for a new one-machine trial; no key was made"
    )
    assert not (keyless / "keys").exists() or list((keyless / "keys").iterdir()) == []

    other = tmp_path / "another-trial"
    monkeypatch.setenv("PARTNERSHIP_DATA_DIR", str(other))
    init_keys()
    made = sorted(p.name for p in (other / "keys").iterdir())
    with pytest.raises(KeyProblem) as refused:
        await bootstrap(local_env.client, task_queue, partnership.id, schedule=False)
    assert f"this data dir holds {fingerprint(own_public_keys()[Identity.UK])}" in str(refused.value)
    assert sorted(p.name for p in (other / "keys").iterdir()) == made

    # One key replaced here, awaiting the other side's revocation (README's lost-key recipe): this
    # trial's own dir, so bootstrap (and `up`) still runs, and has nothing to do.
    replaced = tmp_path / "replaced"
    shutil.copytree(data_dir / "keys", replaced / "keys")
    monkeypatch.setenv("PARTNERSHIP_DATA_DIR", str(replaced))
    write_key_pair(Identity.ROK, Ed25519PrivateKey.generate())  # a key that replaces nothing: refused
    with pytest.raises(KeyProblem, match="it holds key .* for ROK; this data dir holds "):
        await bootstrap(local_env.client, task_queue, partnership.id, schedule=False)
    shutil.rmtree(replaced / "keys")
    shutil.copytree(data_dir / "keys", replaced / "keys")
    retire(Identity.ROK)  # as `keys init --replace` does: the old key kept aside, the new one naming it
    write_key_pair(Identity.ROK, Ed25519PrivateKey.generate(), replaces=ring.current(Identity.ROK).fingerprint)
    assert (await bootstrap(local_env.client, task_queue, partnership.id, schedule=False)).state is Stage.IN_EFFECT
    assert len((await partnership.fetch_history()).events) == before  # nothing filed by any of them

    # Restored from a backup without private keys (walkthrough 2): the public keys say which keys
    # the Partnership holds; making new keys over them left every later command refused.
    restored = tmp_path / "restored"
    shutil.copytree(data_dir / "keys", restored / "keys")
    for private in (restored / "keys").glob("*.key"):
        private.unlink()
    published = {p.name: p.read_bytes() for p in (restored / "keys").glob("*.pub")}
    monkeypatch.setenv("PARTNERSHIP_DATA_DIR", str(restored))
    with pytest.raises(KeyProblem) as refused:
        await bootstrap(local_env.client, task_queue, partnership.id, schedule=False)
    assert "holds the public key but not the private key of UK, ROK, SECRETARIAT: put uk.key" in str(refused.value)
    assert {p.name: p.read_bytes() for p in (restored / "keys").glob("*.pub")} == published
    assert not list((restored / "keys").glob("*.key"))
