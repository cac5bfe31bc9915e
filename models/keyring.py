"""The key registry (issue 13): every key each identity has held, with the interval it was valid in,
and the instruments that change it (rotation by the key's holder, revocation by the other side).

One type, `KeyRing`, and one check, `signature_problem(filing, ring, at)`: every workflow and every
audit verifies a signature through them, so "which key was valid when this was received" has one
answer everywhere. Pure functions only; the workflows call them inside validators and handlers.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import Field, StringConstraints, model_validator

from models.base import Model
from models.identities import Identity
from models.limits import Signature
from models.signing import Filing, canonical_json, fingerprint

#: Decided (issue 13): a registry keeps at most this many keys per identity, the current one and
#: the latest ones it replaced. Older ones drop out of the workflows' state (which must stay
#: bounded over decades); the filings they signed stay in the histories and the archive.
KEYS_KEPT = 8

#: Base64 of a raw 32-byte Ed25519 public key (44 characters).
#: An Ed25519 public key in base64, in its one canonical spelling: the last character before "="
#: carries two unused bits, which must be zero (else four spellings name one key, and "the same key"
#: compared as text could be registered for two identities).
PublicKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$")]
Fingerprint = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16}$")]


def verifies(public_key: str, signature: str, message: bytes) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key))
        key.verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, ValueError):
        return False
    return True


class KeyRotation(Filing):
    """The holder replaces its own key: signed by the old key (`signature`) and by the new one
    (`new_key_signature`, proof that the filer holds it), over the same fields."""

    old_fingerprint: Fingerprint
    new_key: PublicKey
    new_key_signature: Signature = ""

    def canonical_bytes(self) -> bytes:
        body: dict[str, Any] = self.model_dump(mode="json", exclude={"signature", "new_key_signature"})
        body["instrument"] = type(self).__name__
        return canonical_json(body)


def possession_bytes(identity: Identity, new_key: str, replaces: str) -> bytes:
    """What a new key signs to prove its holder has it, bound to the key it replaces (so the proof
    cannot be presented again once that key is gone)."""
    return canonical_json(
        {"instrument": "KeyPossession", "identity": identity, "new_key": new_key, "replaces": replaces}
    )


class KeyRevocation(Filing):
    """A lost or compromised key is revoked by the other Participant (the SECRETARIAT's by both),
    naming the key it revokes and its successor, with the successor's proof of possession."""

    revoked: Identity
    revoked_fingerprint: Fingerprint
    new_key: PublicKey
    possession: Signature

    def terms(self) -> tuple[str, str, str, str]:
        return (self.revoked, self.revoked_fingerprint, self.new_key, self.possession)


class KeyChange(Model):
    """What moves a key, as received: one rotation, or the revocation filings that complete a
    revocation. The Partnership forwards it as is, so each receiver verifies the instruments."""

    rotation: KeyRotation | None = None
    revocations: list[KeyRevocation] = Field(default_factory=list, max_length=2)

    @property
    def identity(self) -> Identity:
        return self.rotation.filed_by if self.rotation else self.revocations[0].revoked

    @property
    def new_key(self) -> str:
        return self.rotation.new_key if self.rotation else self.revocations[0].new_key

    @property
    def old_fingerprint(self) -> str:
        return self.rotation.old_fingerprint if self.rotation else self.revocations[0].revoked_fingerprint

    @property
    def kind(self) -> Literal["rotation", "revocation"]:
        return "rotation" if self.rotation else "revocation"

    @property
    def filing_id(self) -> str:
        return self.rotation.filing_id if self.rotation else self.revocations[-1].filing_id

    @property
    def filers(self) -> list[Identity]:
        return [self.rotation.filed_by] if self.rotation else [r.filed_by for r in self.revocations]


class KeyEntry(Model):
    identity: Identity
    public_key: PublicKey
    valid_from: datetime | None = None  # None: from the registry's first day
    valid_until: datetime | None = None  # None: still the identity's key
    ended_by: Literal["rotation", "revocation"] | None = None
    change: KeyChange | None = None  # the instrument that brought it in, for offices to check

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def valid_at(self, at: datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= at) and (
            self.valid_until is None or at < self.valid_until
        )

    def interval(self) -> str:
        since = f"{self.valid_from:%Y-%m-%d %H:%MZ}" if self.valid_from else "the start"
        until = f"{self.valid_until:%Y-%m-%d %H:%MZ} ({self.ended_by})" if self.valid_until else "now"
        return f"{since} to {until}"


class KeyRing(Model):
    """Every key each identity has held (at most KEYS_KEPT each), oldest first."""

    entries: list[KeyEntry] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _from_plain_registry(cls, data: Any) -> Any:
        """States and histories written before issue 13 carry `{identity: public key}`."""
        if isinstance(data, dict) and "entries" not in data:
            return {"entries": [{"identity": i, "public_key": k} for i, k in data.items()]}
        return data

    def history(self, identity: Identity) -> list[KeyEntry]:
        return [e for e in self.entries if e.identity == identity]

    def current(self, identity: Identity) -> KeyEntry | None:
        return next((e for e in self.history(identity) if e.valid_until is None), None)

    def valid_at(self, identity: Identity, at: datetime) -> KeyEntry | None:
        return next((e for e in self.history(identity) if e.valid_at(at)), None)

    def identities(self) -> list[Identity]:
        return sorted({e.identity for e in self.entries})

    def fingerprints(self) -> dict[Identity, str]:
        """identity -> fingerprint of its current key."""
        return {i: e.fingerprint for i in self.identities() if (e := self.current(i))}

    def forgot(self, identity: Identity, since: datetime) -> bool:
        """Whether a key `identity` held at some time after `since` has left this registry (it keeps
        the latest KEYS_KEPT): an instrument about something begun at `since` may then verify with
        no key held here, genuine or not. Otherwise every key it could carry is here."""
        held = self.history(identity)
        return bool(held) and held[0].valid_from is not None and held[0].valid_from > since

    def signer(self, filing: Filing) -> KeyEntry | None:
        """Which of the filer's keys made the signature, whenever it was valid (audit)."""
        body = filing.canonical_bytes()
        return next((e for e in self.history(filing.filed_by) if verifies(e.public_key, filing.signature, body)), None)

    def as_of(self, at: datetime) -> KeyRing:
        """The registry as it stood just before `at` (the changes received at `at` not yet made)."""
        kept = []
        for e in self.entries:
            if e.valid_from is not None and e.valid_from >= at:
                continue
            ended = e.valid_until is not None and e.valid_until < at
            kept.append(e if ended else e.model_copy(update={"valid_until": None, "ended_by": None}))
        return KeyRing(entries=kept)

    def changed(self, change: KeyChange, at: datetime, kept: int | None = KEYS_KEPT) -> KeyRing:
        """The registry after `change`, received at `at` (verify it first: `change_problem`), keeping
        the latest `kept` keys of each identity (the audit, bound by no carried state, keeps all)."""
        entries = [
            e.model_copy(update={"valid_until": at, "ended_by": change.kind})
            if e.identity == change.identity and e.valid_until is None
            else e
            for e in self.entries
        ]
        entries.append(KeyEntry(identity=change.identity, public_key=change.new_key, valid_from=at, change=change))
        own = [e for e in entries if e.identity == change.identity]
        dropped = {id(e) for e in own[: max(0, len(own) - kept)]} if kept is not None else set()
        return KeyRing(entries=[e for e in entries if id(e) not in dropped])


def signature_problem(filing: Filing, ring: KeyRing, at: datetime) -> str | None:
    """Why `filing`, received at `at`, is not validly signed by its filer, or None when it is.

    The key valid for `filed_by` at `at` must verify it: one identity signing for another fails,
    and so does a key replaced or revoked before `at` (the message says which, and when)."""
    registered = ring.valid_at(filing.filed_by, at)
    if registered is None:
        return f"no key is registered for {filing.filed_by}; registered: {', '.join(ring.identities())}"
    if not filing.signature:
        return f"the filing is unsigned; sign it with {filing.filed_by}'s key"
    if verifies(registered.public_key, filing.signature, filing.canonical_bytes()):
        return None
    used = ring.signer(filing)
    if used is not None and used.valid_until is not None and used.valid_until <= at:
        how = "revoked" if used.ended_by == "revocation" else "replaced by rotation"
        return (
            f"signed with {filing.filed_by}'s key {used.fingerprint}, {how} on {used.valid_until:%Y-%m-%d %H:%MZ}; "
            f"{filing.filed_by}'s key is now {registered.fingerprint}"
        )
    return (
        f"the signature does not verify with the key registered for {filing.filed_by} "
        f"({registered.fingerprint}); sign with {filing.filed_by}'s own key"
    )


def carried_signature_problem(
    filing: Filing, ring: KeyRing, since: datetime, received_at: datetime | None = None, vouched: bool = False
) -> str | None:
    """Why `filing`, an instrument received earlier and now carried as evidence in a message
    between workflows (issue 11), is not validly signed, or None. One of its filer's keys must
    verify it, and not one revoked before `since`, when the thing it concerns began: no instrument
    about it can have been received before then. (A key replaced by rotation stays good for what
    it signed while it was current.)

    `received_at`: where the message is the first word of a filing its sender has just taken (an
    amendment's consent), the key must still be valid as the message arrives, as it was when the
    sender took it: a key retired (rotated or revoked) before then signs nothing new, in a
    message as in a filing (a second adversarial review: a revoked key's consent, sent by hand,
    brought an amendment into effect). A change taken in the same workflow task as the message
    came after it: the message was already waiting.

    `vouched`: the message is acted on only once its sender, asked through Temporal, says it took a
    decision on exactly these instruments (their `evidence`). Where the filer's keys have changed
    so often since that the key behind the signature has left this registry, that answer stands
    in for the signature this registry can no longer check (adversarial review 5: a consent or a
    notice became unusable once its signer's key had changed KEYS_KEPT times)."""
    if not filing.signature:
        return f"the filing is unsigned; sign it with {filing.filed_by}'s key"
    used = ring.signer(filing)
    if used is None and vouched and ring.forgot(filing.filed_by, since):
        return None
    if used is None:
        return f"the signature does not verify with any key registered for {filing.filed_by}"
    ended = used.valid_until
    how = "revoked" if used.ended_by == "revocation" else "replaced by rotation"
    if received_at is not None and ended is not None and ended < received_at:
        return f"signed with {filing.filed_by}'s key {used.fingerprint}, {how} on {ended:%Y-%m-%d %H:%MZ}"
    if used.ended_by == "revocation" and ended is not None and ended <= since:
        return (
            f"signed with {filing.filed_by}'s key {used.fingerprint}, revoked on {ended:%Y-%m-%d %H:%MZ} "
            f"before {since:%Y-%m-%d %H:%MZ}"
        )
    return None


class KeyPin(Filing):
    """An office's record, filed on the Partnership, that it pinned `identity`'s key after checking
    its fingerprint with that office (issue 13: every key event is on the register)."""

    identity: Identity
    fingerprint: Fingerprint


def pin_problem(ring: KeyRing, pin: KeyPin) -> str | None:
    """A pin is recorded only of another identity's key, and only the key the Partnership holds."""
    if pin.identity is pin.filed_by:
        return f"an office pins the keys of the others, not its own ({pin.identity})"
    current = ring.current(pin.identity)
    if current is None:
        return f"no key is registered for {pin.identity}; registered: {', '.join(ring.identities())}"
    if current.fingerprint != pin.fingerprint:
        return f"the Partnership holds key {current.fingerprint} for {pin.identity}; you pinned {pin.fingerprint}"
    return None


def shared_key_problem(ring: KeyRing) -> str | None:
    """Each identity signs with a key of its own: one key given to two would let whoever holds it
    file for both, and every mutual rule would be decided by one side."""
    holders: dict[str, list[Identity]] = {}
    for entry in ring.entries:
        holders.setdefault(entry.public_key, []).append(entry.identity)
    for key, identities in holders.items():
        if len(set(identities)) > 1:
            names = " and ".join(sorted(set(identities)))
            return f"{names} are given the same key {fingerprint(key)}: each office signs with a key of its own"
    return None


def new_key_problem(ring: KeyRing, new_key: str) -> str | None:
    """A key once registered is never registered again (for anyone): an old instrument it signed
    could otherwise come back to life."""
    if any(e.public_key == new_key for e in ring.entries):
        return f"key {fingerprint(new_key)} has been registered before; make a new key pair"
    return None
