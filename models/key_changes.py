"""What moves a key (issue 13): the rules a rotation's and a revocation's instruments are checked
by, in the Partnership before it takes them and in every copy of the registry (each governed
thing's, each office's) before it follows them."""

from __future__ import annotations

from datetime import datetime, timedelta

from models.identities import PARTICIPANTS, Identity, other_participant
from models.keyring import (
    KeyChange,
    KeyRevocation,
    KeyRing,
    KeyRotation,
    new_key_problem,
    possession_bytes,
    signature_problem,
    verifies,
)
from models.signing import fingerprint

#: Decided (adversarial review 3, F4): how long a key that came in by a change is kept before its
#: holder may rotate it again (`rotation_pause_problem`).
ROTATION_PAUSE = timedelta(days=1)


def current_key_problem(ring: KeyRing, identity: Identity, named: str) -> str | None:
    current = ring.current(identity)
    if current is None:
        return f"no key is registered for {identity}"
    if current.fingerprint != named:
        return f"{identity}'s key is {current.fingerprint}, not {named}: the instrument names a key no longer in use"
    return None


def lost_key_problem(ring: KeyRing, identity: Identity, named: str, looking_back: bool = False) -> str | None:
    """Decided (adversarial review 3, F4): the key a revocation names as lost is the identity's
    current key, or one it was rotated away from since, by rotations only: whoever took a key
    could otherwise keep it for good by rotating it once before the revocation, made for the key
    its office knows, lands. A key replaced by a revocation since is no longer in use."""
    current = ring.current(identity)
    if current is None:
        return f"no key is registered for {identity}"
    history = ring.history(identity)
    at = next((n for n, e in enumerate(history) if e.fingerprint == named), None)
    first = history[0]
    if looking_back and at is None and first.valid_from is not None and first.change and first.change.rotation:
        # An office checking, later, a change the Partnership took: older keys have left the
        # KEYS_KEPT, and the named one may be among them, in the same line of rotations (review 7,
        # F2). Only there: a workflow taking a change holds the named key if the change is new,
        # and an old revocation sent to it again must not land (review 8, R8-1).
        at = 0
    if at is None or any(e.ended_by != "rotation" for e in history[at:-1]):
        return f"{identity}'s key is {current.fingerprint}, not {named}: the instrument names a key no longer in use"
    return None


def rotation_pause_problem(ring: KeyRing, rotation: KeyRotation, at: datetime) -> str | None:
    """Decided (adversarial review 3, F4): a key that came in by a change is not rotated again for
    ROTATION_PAUSE, so that rotating fast cannot push a lost key out of the KEYS_KEPT a revocation
    of it is checked against; every rotation is mailed to every office meanwhile. The
    Partnership's rule, not re-checked by the copies of the registry, which take its changes as
    they come (several may reach a child at one instant)."""
    current = ring.current(rotation.filed_by)
    if current is not None and current.valid_from is not None and at - current.valid_from < ROTATION_PAUSE:
        return (
            f"{rotation.filed_by}'s key came in at {current.valid_from:%Y-%m-%d %H:%MZ}; a key is rotated at most "
            f"once a day (a lost one is revoked at any time: `partnership keys revoke`)"
        )
    return None


def rotation_problem(ring: KeyRing, rotation: KeyRotation, at: datetime) -> str | None:
    """A rotation: the old key is the holder's current key and signed it; the new key did too."""
    if rotation.filed_by not in (*PARTICIPANTS, Identity.SECRETARIAT):
        return f"{rotation.filed_by} holds no key to rotate"
    if problem := current_key_problem(ring, rotation.filed_by, rotation.old_fingerprint):
        return problem
    if problem := new_key_problem(ring, rotation.new_key):
        return problem
    if not verifies(rotation.new_key, rotation.new_key_signature, rotation.canonical_bytes()):
        return "the new key's signature does not verify: the rotation must be signed by the new key too"
    return signature_problem(rotation, ring, at)


def revokers(revoked: Identity) -> tuple[Identity, ...]:
    """Decided (issue 13): a Participant's key is revoked by the other Participant, the
    SECRETARIAT's by both; the holder of a lost key cannot be trusted to sign with it."""
    if revoked in PARTICIPANTS:
        return (other_participant(revoked),)
    if revoked is Identity.SECRETARIAT:
        return PARTICIPANTS
    return ()


def completed_revocation(held: dict[Identity, KeyRevocation], filing: KeyRevocation) -> KeyChange | None:
    """The revocation `filing` completes with the halves `held` for it, or None while one awaits."""
    halves = held | {filing.filed_by: filing}
    filings = [halves[p] for p in revokers(filing.revoked) if p in halves and halves[p].terms() == filing.terms()]
    return KeyChange(revocations=filings) if len(filings) == len(revokers(filing.revoked)) else None


def void_halves(held: dict[Identity, KeyRevocation], change: KeyChange) -> list[Identity]:
    """Decided (review finding 4): the filers whose held revocation half no longer counts once
    `change` has moved a key: the half of the identity whose key it moved (revoked, whoever took
    the key may have signed it; rotated, it would complete a revocation with a key no copy of the
    registry takes any more), and, once a revocation has replaced it, one naming that key (it can
    no longer be completed). A rotation leaves a half naming the rotated key standing: it still
    revokes what the key was rotated to (`lost_key_problem`)."""
    changed = change.identity
    return [
        filer
        for filer, half in held.items()
        if filer == changed or (half.revoked == changed and change.kind == "revocation")
    ]


def revocation_terms_problem(ring: KeyRing, filing: KeyRevocation, looking_back: bool = False) -> str | None:
    """What one revocation filing names: right filer, the revoked key current, a fresh successor
    that proves possession."""
    allowed = revokers(filing.revoked)
    if not allowed:
        return f"{filing.revoked} holds no key to revoke"
    if filing.filed_by not in allowed:
        who = " and ".join(allowed)
        return f"{filing.revoked}'s key is revoked by {who}, not by {filing.filed_by}"
    if problem := lost_key_problem(ring, filing.revoked, filing.revoked_fingerprint, looking_back):
        return problem
    if problem := new_key_problem(ring, filing.new_key):
        return problem
    proof = possession_bytes(filing.revoked, filing.new_key, filing.revoked_fingerprint)
    if not verifies(filing.new_key, filing.possession, proof):
        return (
            f"the new key {fingerprint(filing.new_key)} has no valid proof of possession for replacing "
            f"{filing.revoked_fingerprint}; export it with `partnership keys init --as {filing.revoked} --replace`"
        )
    return None


def revocation_filing_problem(
    ring: KeyRing, filing: KeyRevocation, at: datetime, looking_back: bool = False
) -> str | None:
    """One revocation filing on its own, as received at `at`: its terms, and the filer's own
    signature with the key valid at `at`."""
    return revocation_terms_problem(ring, filing, looking_back) or signature_problem(filing, ring, at)


def change_problem(ring: KeyRing, change: KeyChange, at: datetime, looking_back: bool = False) -> str | None:
    """Whether a forwarded key change is genuine against this registry at `at`: what a child
    workflow checks before applying it, so a forged one changes nothing, and what the Partnership
    checks before completing a revocation, so what it applies every child applies too. An office
    checking later, `looking_back`, against a registry that may have let the named key go, takes
    a revocation naming a key before the oldest kept (`lost_key_problem`)."""
    if change.rotation is not None:
        return (
            "a key change is one rotation or one revocation"
            if change.revocations
            else rotation_problem(ring, change.rotation, at)
        )
    if not change.revocations:
        return "a key change carries its instrument"
    first = change.revocations[0]
    if any(r.terms() != first.terms() for r in change.revocations):
        return "the revocation filings name different keys"
    if sorted(r.filed_by for r in change.revocations) != sorted(revokers(first.revoked)):
        return f"{first.revoked}'s key is revoked by {' and '.join(revokers(first.revoked))}"
    # Each half signed with its filer's key valid now: the Partnership drops a half it holds once
    # its filer's key changes (workflows/keys.py), so a half signed with a key retired since never
    # completes a revocation, here or there; and it forwards the changes it takes together in one
    # signal, in order (models.messages.KeyChanges), so the keys valid there are the keys valid here.
    for filing in change.revocations:
        if problem := revocation_filing_problem(ring, filing, at, looking_back):
            return problem
    return None
