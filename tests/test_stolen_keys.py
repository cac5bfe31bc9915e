"""A stolen key is revoked whatever its thief does with it (adversarial review 3, F4): a revocation
had to name the current key, and a rotation needed only the current key, so whoever took a key
rotated it once and the revocation its office made for the key it knew could no longer land; each
rotation also voided the halves of a revocation of the secretariat's key already filed."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from engine.keys import load_private_key
from models.identities import Identity
from models.joint_action import Progress, ProgressReport
from models.signing import fingerprint, public_key_text, sign
from tests.helpers import effects_done, rejected
from tests.test_joint_actions import agreed
from tests.test_keyring import revocation, rotation
from workflows.joint_action import JointActionWorkflow
from workflows.partnership import PartnershipWorkflow

UK, ROK, SECRETARIAT = Identity.UK, Identity.ROK, Identity.SECRETARIAT


def key_of(private: Ed25519PrivateKey) -> str:
    return fingerprint(public_key_text(private))


@pytest.mark.timeout(120)
async def test_a_key_rotated_by_its_thief_is_still_revoked_and_the_thief_cannot_rotate_fast(
    partnership, local_env, data_dir
):
    action = await agreed(partnership, local_env.client)  # a child, which takes the changes too
    stolen, rok = load_private_key(UK), load_private_key(ROK)
    thief = Ed25519PrivateKey.generate()
    await partnership.execute_update(PartnershipWorkflow.rotate_key, rotation(UK, stolen, thief, to=partnership.id))
    # Rotating again at once, to push the stolen key out of the registry's memory, is refused.
    again = await rejected(
        partnership,
        PartnershipWorkflow.rotate_key,
        rotation(UK, thief, Ed25519PrivateKey.generate(), to=partnership.id),
    )
    assert again.startswith("UK's key came in at ") and "rotated at most once a day" in again
    # ROK revokes the key UK's office knows it lost, with the key that office made to replace it.
    successor = Ed25519PrivateKey.generate()
    taken = await partnership.execute_update(
        PartnershipWorkflow.revoke_key, revocation(ROK, rok, UK, public_key_text(stolen), successor, to=partnership.id)
    )
    assert taken.fingerprint == key_of(successor)
    ring = await partnership.query(PartnershipWorkflow.key_ring)
    assert ring.current(UK).fingerprint == key_of(successor)
    assert [e.ended_by for e in ring.history(UK)] == ["rotation", "revocation", None]
    # The thief's key signs nothing any more; the successor signs, on the child too (once the
    # Partnership has sent it the changes).
    await effects_done(partnership, PartnershipWorkflow.pending_effects)
    report = ProgressReport(
        filed_by=UK, addressed_to=action.id, action_id=action.id, status=Progress.ON_TRACK, percent=50, note="n"
    )
    refused = await rejected(action, JointActionWorkflow.report, sign(report, thief))
    assert "signature" in refused or "key" in refused, refused
    await action.execute_update(
        JointActionWorkflow.report, sign(report.model_copy(update={"filing_id": "r2"}), successor)
    )


@pytest.mark.timeout(120)
async def test_a_half_of_a_revocation_of_the_secretariats_key_outlives_its_thiefs_rotation(
    partnership, local_env, data_dir
):
    uk, rok, stolen = load_private_key(UK), load_private_key(ROK), load_private_key(SECRETARIAT)
    successor = Ed25519PrivateKey.generate()
    half = revocation(UK, uk, SECRETARIAT, public_key_text(stolen), successor, to=partnership.id)
    assert await partnership.execute_update(PartnershipWorkflow.revoke_key, half) is None
    thief = Ed25519PrivateKey.generate()
    await partnership.execute_update(
        PartnershipWorkflow.rotate_key, rotation(SECRETARIAT, stolen, thief, to=partnership.id)
    )
    assert len(await partnership.query(PartnershipWorkflow.pending_revocations)) == 1  # UK's half stands
    other = revocation(ROK, rok, SECRETARIAT, public_key_text(stolen), successor, to=partnership.id)
    taken = await partnership.execute_update(PartnershipWorkflow.revoke_key, other)
    assert taken is not None and taken.fingerprint == key_of(successor)
    ring = await partnership.query(PartnershipWorkflow.key_ring)
    assert ring.current(SECRETARIAT).fingerprint == key_of(successor)


def test_an_office_still_follows_a_revocation_whose_named_key_has_left_the_registry():
    """Review 7, F2: a revocation naming a key rotations back was refused by an office checking it
    later, once that key had left the KEYS_KEPT, and the office was locked out as if the registry
    had been swapped."""
    from datetime import timedelta

    from engine.keys import _change_trusted
    from models.key_changes import change_problem
    from models.keyring import KeyChange
    from tests.test_keyring import T0, ring_of

    held = {i: Ed25519PrivateKey.generate() for i in (UK, ROK, SECRETARIAT)}
    ring, at = ring_of(held), T0
    thief = Ed25519PrivateKey.generate()
    ring = ring.changed(KeyChange(rotation=rotation(UK, held[UK], thief)), at)  # ROK's office pins this
    successor = Ed25519PrivateKey.generate()
    revoked = KeyChange(revocations=[revocation(ROK, held[ROK], UK, public_key_text(held[UK]), successor)])
    at += timedelta(hours=1)
    assert change_problem(ring, revoked, at) is None
    ring = ring.changed(revoked, at)
    current = successor
    for _ in range(6):  # UK rotates once a day; the stolen key leaves the registry
        at += timedelta(days=1, minutes=1)
        following = Ed25519PrivateKey.generate()
        ring = ring.changed(KeyChange(rotation=rotation(UK, current, following)), at)
        current = following
    assert public_key_text(held[UK]) not in {e.public_key for e in ring.history(UK)}
    trusted = {public_key_text(k) for k in (held[ROK], held[SECRETARIAT], thief)}
    entry = next(e for e in ring.history(UK) if e.public_key == public_key_text(successor))
    assert _change_trusted(ring, entry, trusted) is None


def test_an_old_revocation_sent_again_to_a_child_is_refused_once_its_keys_have_left_the_registry():
    """Review 8, R8-1: looking past the keys kept is an office's check only. Taken by a child, an
    old revocation copied from the history put a retired key back once both the key it named and
    the key it brought in had left the registry."""
    from datetime import timedelta

    from models.keyring import KeyChange
    from models.messages import KeyChanges
    from rules.messages import changes_problem
    from tests.test_keyring import T0, ring_of

    held = {i: Ed25519PrivateKey.generate() for i in (UK, ROK, SECRETARIAT)}
    ring, at = ring_of(held), T0
    successor = Ed25519PrivateKey.generate()
    old = KeyChange(revocations=[revocation(ROK, held[ROK], UK, public_key_text(held[UK]), successor)])
    ring = ring.changed(old, at)
    current = successor
    for _ in range(8):  # years of routine rotation by UK
        at += timedelta(days=30)
        following = Ed25519PrivateKey.generate()
        ring = ring.changed(KeyChange(rotation=rotation(UK, current, following)), at)
        current = following
    assert public_key_text(successor) not in {e.public_key for e in ring.history(UK)}
    refused = changes_problem(ring, KeyChanges(changes=[old]), at + timedelta(days=1))
    assert refused is not None and "names a key no longer in use" in refused
