"""Written instruments (DESIGN §1): canonical JSON of a filing's fields, Ed25519-signed by the filer.

Pure functions only: the CLI signs with them; verification is `models.keyring.signature_problem`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from typing import Any, ClassVar, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import Field

from models.base import Model
from models.identities import Identity
from models.limits import Addressee, FilingId, Signature


def new_filing_id() -> str:
    return uuid.uuid4().hex


class Filing(Model):
    """A signed instrument. Every user filing derives from this; `signature` covers all else.

    `filing_id` is chosen by the filer's client and signed with the rest, so the same signed paper
    cannot be presented twice (workflows remember the ids they accepted)."""

    filed_by: Identity
    filing_id: FilingId = Field(default_factory=new_filing_id)
    # The workflow the instrument is filed on, signed with the rest (issue 11): a paper signed for
    # one Forum cycle, amendment, action or Partnership is good for that one only.
    addressed_to: Addressee = ""
    signature: Signature = ""

    #: Fields a kind of instrument gained after instruments of it had been signed: left out of
    #: what is signed while unset (None), so an instrument signed before still verifies.
    LATER_FIELDS: ClassVar[tuple[str, ...]] = ()

    def canonical_bytes(self) -> bytes:
        # The instrument's kind is part of what is signed, so a signature on one kind of filing
        # can never be presented as another kind with the same fields.
        unset = {name for name in self.LATER_FIELDS if getattr(self, name) is None}
        body: dict[str, Any] = self.model_dump(mode="json", exclude={"signature", *unset})
        body["instrument"] = type(self).__name__
        return canonical_json(body)

    def evidence(self) -> str:
        """The instrument exactly as signed: its id and a digest of its bytes and signature. What a
        sender vouches for (models/records.SenderCheck) when its receiver can no longer check the
        signature itself, the key behind it having left the registry it carries."""
        digest = hashlib.sha256(self.canonical_bytes() + b"." + self.signature.encode()).hexdigest()
        return f"{self.filing_id}#{digest[:32]}"


F = TypeVar("F", bound=Filing)


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no insignificant white space, UTF-8: the same bytes on every machine."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def public_key_text(private_key: Ed25519PrivateKey) -> str:
    """The registry form of a public key: base64 of its 32 raw bytes."""
    raw = private_key.public_key().public_bytes_raw()
    return base64.b64encode(raw).decode()


def fingerprint(public_key: str) -> str:
    """A short, stable name for a registered key (first 16 hex digits of its SHA-256)."""
    return hashlib.sha256(base64.b64decode(public_key)).hexdigest()[:16]


def sign(filing: F, private_key: Ed25519PrivateKey) -> F:
    """The filing with its signature set."""
    unsigned = filing.model_copy(update={"signature": ""})
    signature = private_key.sign(unsigned.canonical_bytes())
    return filing.model_copy(update={"signature": base64.b64encode(signature).decode()})


def address_problem(filing: Filing, workflow_id: str) -> str | None:
    """Why `filing` may not act on the workflow `workflow_id`, or None: it must name it."""
    if filing.addressed_to != workflow_id:
        named = filing.addressed_to or "no workflow"
        return f"this {type(filing).__name__} is addressed to {named}, not to {workflow_id}; sign one for {workflow_id}"
    return None
