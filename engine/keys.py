"""One office's keys under `<data dir>/keys/` (issue 13): its own Ed25519 key pairs, the public keys
it pinned for the others (as SSH's known_hosts does), and the check of a running Partnership's
registry against both. Private keys never leave this directory.

`PARTNERSHIP_OFFICE` (or `--office`) names the identities this data dir acts for, e.g. `UK`; unset,
one machine holds all three (the `make run` set-up for trying the engine, not a deployment).
"""

from __future__ import annotations

import base64
import getpass
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from engine import config
from models.identities import FILERS, Identity
from models.key_changes import change_problem, lost_key_problem, revokers
from models.keyring import KeyEntry, KeyRing, possession_bytes
from models.signing import fingerprint, public_key_text

OFFICE_ENV = "PARTNERSHIP_OFFICE"
PASSPHRASE_ENV = "PARTNERSHIP_KEY_PASSPHRASE"


class KeyProblem(Exception):
    """A key that cannot be used, or a registry this office does not recognise; one line."""


class KeyMissing(KeyProblem):
    pass


def office() -> tuple[Identity, ...] | None:
    """The identities this data dir acts for; None: all of them (one machine, `make run`)."""
    raw = os.environ.get(OFFICE_ENV, "").strip()
    if not raw:
        return None
    names = [n.strip().upper() for n in raw.split(",") if n.strip()]
    bad = [n for n in names if n not in {i.value for i in FILERS}]
    if bad:
        raise KeyProblem(f"{OFFICE_ENV}={raw}: {', '.join(bad)} is not an office; use UK, ROK or SECRETARIAT")
    return tuple(Identity(n) for n in names)


def the_office() -> Identity | None:
    """The one identity this data dir acts for, where PARTNERSHIP_OFFICE names one."""
    named = office()
    return named[0] if named and len(named) == 1 else None


def office_identities() -> tuple[Identity, ...]:
    return office() or FILERS


def office_name() -> str:
    return ",".join(office_identities())


def private_key_path(identity: Identity, root: Path | None = None) -> Path:
    return (root or config.keys_dir()) / f"{identity.value.lower()}.key"


def public_key_path(identity: Identity, root: Path | None = None) -> Path:
    return (root or config.keys_dir()) / f"{identity.value.lower()}.pub"


def pins_path(root: Path | None = None) -> Path:
    return (root or config.keys_dir()) / "pins.json"


# Own keys ------------------------------------------------------------------------------------------


def _write(path: Path, data: bytes, mode: int, exclusive: bool = False) -> None:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


#: The passphrase last typed in this process (to open a key, or for `keys init`'s new one): the key
#: a rotation or a replacement makes next is encrypted with it too, not written in clear (review 9).
_typed: list[str] = []


def typed(passphrase: str) -> None:
    _typed[:] = [passphrase] if passphrase else []


def new_key_passphrase() -> str | None:
    """What encrypts a key written now: PARTNERSHIP_KEY_PASSPHRASE, else the one typed last."""
    return os.environ.get(PASSPHRASE_ENV) or (_typed[0] if _typed else None)


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    """PKCS8 PEM, encrypted with `new_key_passphrase` when there is one."""
    passphrase = new_key_passphrase()
    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode()) if passphrase else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def public_key_file(identity: Identity, key: Ed25519PrivateKey, replaces: str | None = None) -> str:
    """The exchangeable form: the key, a proof of possession when it replaces a lost key, and a
    comment with the fingerprint to read aloud."""
    public = public_key_text(key)
    lines = [public]
    if replaces:
        proof = base64.b64encode(key.sign(possession_bytes(identity, public, replaces))).decode()
        lines.append(f"possession {replaces} {proof}")
    lines.append(f"# {identity} key, fingerprint {fingerprint(public)}")
    return "\n".join(lines) + "\n"


def write_key_pair(identity: Identity, key: Ed25519PrivateKey, root: Path | None = None, replaces: str | None = None):
    root = config.owner_only_dir(root or config.keys_dir())
    _write(private_key_path(identity, root), private_key_pem(key), 0o600)
    _write(public_key_path(identity, root), public_key_file(identity, key, replaces).encode(), 0o644)


def init_keys(root: Path | None = None, identities: tuple[Identity, ...] | None = None) -> dict[Identity, bool]:
    """Create a key pair for each identity of this office that has none; returns which were created."""
    root = root or config.keys_dir()
    config.owner_only_dir(root)
    created: dict[Identity, bool] = {}
    for identity in identities or office_identities():
        if private_key_path(identity, root).exists():
            created[identity] = False
            continue
        write_key_pair(identity, Ed25519PrivateKey.generate(), root)
        created[identity] = True
    return created


def retire(identity: Identity, root: Path | None = None) -> None:
    """Move an identity's key files aside (never deleted: the old public key stays on record)."""
    root = root or config.keys_dir()
    retired = config.owner_only_dir(root / "retired")
    old = read_public_key(public_key_path(identity, root))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for path in (private_key_path(identity, root), public_key_path(identity, root)):
        if path.exists():
            path.rename(retired / f"{path.stem}-{fingerprint(old)}-{stamp}{path.suffix}")


def load_private_key(identity: Identity, root: Path | None = None) -> Ed25519PrivateKey:
    mine = office()
    if mine is not None and identity not in mine:
        raise KeyMissing(
            f"this office ({office_name()}) holds no private key for {identity}: {identity} files from its own "
            f"office, with its own key"
        )
    path = private_key_path(identity, root)
    if not path.exists():
        raise KeyMissing(
            f"no private key for {identity} at {path}; run `partnership keys init --as {identity}` "
            f"or set PARTNERSHIP_DATA_DIR to the directory that holds {identity}'s keys"
        )
    if path.stat().st_mode & 0o077:
        raise KeyProblem(f"{path} is readable by others; run `chmod 600 {path}` (and consider the key exposed)")
    data = path.read_bytes()
    password = None
    if b"ENCRYPTED" in data:
        passphrase = os.environ.get(PASSPHRASE_ENV)
        if passphrase is None and sys.stdin.isatty():
            passphrase = getpass.getpass(f"passphrase of {identity}'s key: ")
            typed(passphrase)
        if not passphrase:
            raise KeyMissing(f"{path} is encrypted; set {PASSPHRASE_ENV} or run the command on a terminal")
        password = passphrase.encode()
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except (ValueError, TypeError):
        raise KeyProblem(f"{path} cannot be opened: wrong passphrase, or not a private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyMissing(f"{path} is not an Ed25519 private key")
    return key


# Public keys and pins --------------------------------------------------------------------------------


def read_public_key_file(path: Path) -> tuple[str, tuple[str, str] | None]:
    """(key, (replaced fingerprint, proof of possession) or None) from an exchanged `.pub` file."""
    try:
        lines = [ln.strip() for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    except (OSError, UnicodeDecodeError):
        raise KeyProblem(f"{path} cannot be read as a public key file") from None
    try:
        key = lines[0]
        raw = base64.b64decode(key, validate=True)
        if len(raw) != 32:
            raise ValueError
    except (IndexError, ValueError):
        raise KeyProblem(f"{path} holds no Ed25519 public key (base64 of 32 bytes on its first line)") from None
    if (canonical := base64.b64encode(raw).decode()) != key:  # one key, one spelling (models/keyring.PublicKey)
        raise KeyProblem(f"{path}: the key is not in canonical base64 (it should read {canonical})")
    possession = None
    for line in lines[1:]:
        parts = line.split()
        if len(parts) == 3 and parts[0] == "possession":
            possession = (parts[1], parts[2])
    return key, possession


def key_file_label(path: Path) -> Identity | None:
    """Whose key an exported `.pub` file says it holds (`# ROK key, fingerprint …`), if it says."""
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for words in (line.split() for line in lines):
        if len(words) >= 3 and words[0] == "#" and words[2].startswith("key") and words[1] in Identity.__members__:
            return Identity(words[1])
    return None


def read_public_key(path: Path) -> str:
    return read_public_key_file(path)[0]


def keys_without_private_half(root: Path | None = None) -> list[Identity]:
    """This office's identities whose public key is here but not their private key: a data dir
    restored from a backup without private keys. Making a key for one would overwrite the very file
    that says which key the restored Partnership holds (walkthrough 2)."""
    return [
        i for i in office_identities() if public_key_path(i, root).exists() and not private_key_path(i, root).exists()
    ]


def own_public_keys(root: Path | None = None) -> dict[Identity, str]:
    """This office's own public keys: identity -> base64 public key."""
    return {i: read_public_key(p) for i in office_identities() if (p := public_key_path(i, root)).exists()}


def public_keys(root: Path | None = None) -> dict[Identity, str]:
    """The registry to give the Partnership at bootstrap (one machine): identity -> public key."""
    return own_public_keys(root)


def pins(root: Path | None = None) -> dict[Identity, dict[str, str]]:
    path = pins_path(root)
    if not path.exists():
        return {}
    return {Identity(k): v for k, v in json.loads(path.read_text()).items()}


def pin(identity: Identity, public_key: str, how: str, root: Path | None = None) -> None:
    all_pins = pins(root)
    all_pins[identity] = {"public_key": public_key, "how": how, "pinned_at": datetime.now(UTC).isoformat()}
    config.owner_only_dir(root or config.keys_dir())
    _write(pins_path(root), json.dumps(all_pins, indent=2, sort_keys=True).encode(), 0o600)


def mark_recorded(identity: Identity, filing_id: str, root: Path | None = None) -> None:
    """The pin of `identity` is on the Partnership's register (filing `filing_id`)."""
    all_pins = pins(root)
    all_pins[identity]["recorded"] = filing_id
    _write(pins_path(root), json.dumps(all_pins, indent=2, sort_keys=True).encode(), 0o600)


def expected_keys(root: Path | None = None) -> dict[Identity, tuple[str, str]]:
    """identity -> (public key, "this office holds" | "you pinned"): what the registry must show."""
    expected = {i: (k, "you pinned") for i, k in ((i, p["public_key"]) for i, p in pins(root).items())}
    return expected | {i: (k, "this office holds") for i, k in own_public_keys(root).items()}


def awaiting_revocation(root: Path | None = None) -> dict[Identity, str]:
    """identity -> the fingerprint of the key this office replaced (`keys init --replace`): its
    new public key file carries the proof of possession that the revocation will file."""
    awaiting = {}
    for identity in office_identities():
        if (path := public_key_path(identity, root)).exists() and (possession := read_public_key_file(path)[1]):
            awaiting[identity] = possession[0]
    return awaiting


def replaced_here(ring: KeyRing, root: Path | None = None) -> dict[Identity, str]:
    """identity -> the replaced key's fingerprint, for this office's keys replaced here whose
    revocation the Partnership has not taken yet: it still holds the replaced key, or one it was
    rotated to since (by whoever took it: the revocation still lands, `lost_key_problem`), the
    replaced key compared in full with the public half `retire` kept (a 64-bit fingerprint alone is
    no proof of the key)."""
    retired = (root or config.keys_dir()) / "retired"
    found = {}
    for identity, replaced in awaiting_revocation(root).items():
        kept = {read_public_key(p) for p in retired.glob(f"{public_key_path(identity, root).stem}-{replaced}-*.pub")}
        held = any(e.public_key in kept for e in ring.history(identity))
        if held and lost_key_problem(ring, identity, replaced) is None:
            found[identity] = replaced
    return found


def awaiting_revocation_line(identity: Identity, replaced: str) -> str:
    """Why a filing as `identity` is not sent while its key replaced here awaits the revocation."""
    who = " and ".join(revokers(identity))
    return (
        f"{identity}'s key here replaces {replaced}, which the Partnership holds until {who} "
        f"{'files' if identity.is_participant else 'each file'} `partnership keys revoke {identity} --new-key "
        f"{identity.value.lower()}.pub`; nothing was sent"
    )


def registry_problem(ring: KeyRing) -> str | None:
    """Check a running Partnership's registry against this office's keys and pins. A pin moves on
    only along changes whose instruments verify from the pinned key onward; anything else (a
    registry swapped under a restarted Partnership) is refused with both fingerprints. A key this
    office replaced is still the registry's until the other side files the revocation: the office
    reads (and files the revocation, where it holds the revoker's key too) meanwhile."""
    expected = expected_keys()
    awaiting = replaced_here(ring)
    anchors: dict[Identity, int] = {}
    for identity, (key, source) in expected.items():
        history = ring.history(identity)
        at = next((n for n, e in enumerate(history) if e.public_key == key), None)
        current = ring.current(identity)
        held = f"the Partnership holds key {current.fingerprint if current else 'none'} for {identity}"
        if current is not None and current.public_key == key:
            continue
        if source == "this office holds" and identity in awaiting:
            continue
        if at is None or source == "this office holds":
            return f"{held}; {source} {fingerprint(key)}"
        anchors[identity] = at
    if not anchors:
        return None
    trusted = {e.public_key for i, e in _entries_up_to_anchors(ring, expected)}
    later = sorted(
        (e for i, n in anchors.items() for e in ring.history(i)[n + 1 :]),
        key=lambda e: e.valid_from or datetime.min.replace(tzinfo=UTC),
    )
    for entry in later:
        if (problem := _change_trusted(ring, entry, trusted)) is not None:
            key, source = expected[entry.identity]
            return (
                f"the Partnership holds key {ring.current(entry.identity).fingerprint} for "  # type: ignore[union-attr]
                f"{entry.identity}, but {problem}; {source} {fingerprint(key)}"
            )
        trusted.add(entry.public_key)
    for identity in anchors:
        current = ring.current(identity)
        assert current is not None
        how = current.change.kind if current.change else "key change"
        pin(identity, current.public_key, f"followed the {how} received {current.valid_from:%Y-%m-%d %H:%MZ}")
    return None


def _entries_up_to_anchors(ring: KeyRing, expected: dict[Identity, tuple[str, str]]):
    """Keys this office trusts as they are: each pinned or own key and those before it."""
    for identity, (key, _) in expected.items():
        for entry in ring.history(identity):
            yield identity, entry
            if entry.public_key == key:
                break


def _change_trusted(ring: KeyRing, entry: KeyEntry, trusted: set[str]) -> str | None:
    change, at = entry.change, entry.valid_from
    if change is None or at is None:
        return f"key {entry.fingerprint} came in without an instrument"
    before = ring.as_of(at)
    if problem := change_problem(before, change, at, looking_back=True):
        return f"the change to key {entry.fingerprint} does not verify ({problem})"
    filings = [change.rotation] if change.rotation else change.revocations
    for filing in filings:
        signer = before.valid_at(filing.filed_by, at)  # type: ignore[union-attr]
        if signer is None or signer.public_key not in trusted:
            return f"the change to key {entry.fingerprint} is signed by a key this office has not pinned"
    return None
