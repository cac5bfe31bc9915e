"""Ed25519 keys per identity under `<data dir>/keys/`. Private keys never leave this directory."""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from engine import config
from models.identities import FILERS, Identity
from models.signing import public_key_text


class KeyMissing(Exception):
    pass


def private_key_path(identity: Identity, root: Path | None = None) -> Path:
    return (root or config.keys_dir()) / f"{identity.value.lower()}.key"


def public_key_path(identity: Identity, root: Path | None = None) -> Path:
    return (root or config.keys_dir()) / f"{identity.value.lower()}.pub"


def init_keys(root: Path | None = None) -> dict[Identity, bool]:
    """Create a key pair for every filer that has none; returns which were created."""
    root = root or config.keys_dir()
    config.owner_only_dir(root)
    created: dict[Identity, bool] = {}
    for identity in FILERS:
        path = private_key_path(identity, root)
        if path.exists():
            created[identity] = False
            continue
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        fd = os.open(public_key_path(identity, root), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        with os.fdopen(fd, "w") as f:
            f.write(public_key_text(key) + "\n")
        created[identity] = True
    return created


def load_private_key(identity: Identity, root: Path | None = None) -> Ed25519PrivateKey:
    path = private_key_path(identity, root)
    if not path.exists():
        raise KeyMissing(
            f"no private key for {identity} at {path}; run `partnership keys init` "
            f"or set PARTNERSHIP_DATA_DIR to the directory that holds {identity}'s keys"
        )
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyMissing(f"{path} is not an Ed25519 private key")
    return key


def public_keys(root: Path | None = None) -> dict[Identity, str]:
    """The registry to give the Partnership at bootstrap: identity -> base64 public key."""
    keys: dict[Identity, str] = {}
    for identity in FILERS:
        path = public_key_path(identity, root)
        if path.exists():
            text = path.read_text().strip()
            base64.b64decode(text, validate=True)
            keys[identity] = text
    return keys
