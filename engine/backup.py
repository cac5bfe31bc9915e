"""Backup and restore of the embedded stack's data dir (issue 14): the dev server's SQLite file,
the register, the Maildir, the public keys (retired ones too) and the office's pins, copied
consistently while the stack runs.

Each SQLite file is copied with SQLite's online backup API, which gives a snapshot of the whole
file at one instant even while the server or the worker writes to it. The files are taken in the
order that keeps them consistent with each other: the server's first, then the register, then the
mail. What the register holds beyond the server's snapshot is what the workflows will do again on
resume, and doing it again finds it done (decisions by decision id, mail by Message-ID); the
other order would leave the server remembering a decision the register had lost.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from engine import config

MANIFEST = "backup.json"
SERVER_DB = "temporal.db"
REGISTER_DB = "register.db"


class BackupRefused(Exception):
    """A backup or restore that cannot go ahead, with the sentence that says why."""


def sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite file (the online backup API, all pages in one step)."""
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _empty_or_new(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise BackupRefused(f"{folder} is a file; back up into a new folder")
    if folder.exists() and any(folder.iterdir()):
        raise BackupRefused(f"{folder} is not empty; back up into a new folder")


def backup(target: Path, private_keys: bool = False) -> dict:
    """Copy the data dir's stack into `target` (new or empty); returns the manifest written."""
    data = config.data_dir()
    if not (data / SERVER_DB).exists() and not (data / REGISTER_DB).exists():
        raise BackupRefused(f"no embedded stack in {data} (no {SERVER_DB}, no {REGISTER_DB}): nothing to back up")
    _empty_or_new(target)
    target.mkdir(parents=True, exist_ok=True)
    notes = []
    for name in (SERVER_DB, REGISTER_DB):  # this order: see the module's docstring
        if (data / name).exists():
            sqlite_copy(data / name, target / name)
    if not config.database_url().startswith("sqlite:///"):
        notes.append("the register is in DATABASE_URL, not in the data dir: back it up with the database's own tools")
    mail = data / "mail"
    for sub in ("cur", "new"):  # tmp/ holds messages still being written: not yet delivered
        if (mail / sub).exists():
            shutil.copytree(mail / sub, target / "mail" / sub)
    keys = config.keys_dir()
    (target / "keys").mkdir()
    # The office's pins (what it checks the Partnership's registry against) and its retired keys
    # are its record too: a restore without them silently checked nothing (walkthrough 3, F2).
    kept = [*keys.glob("*.pub"), *keys.glob("retired/*.pub"), *keys.glob("pins.json")]
    kept += [*keys.glob("*.key"), *keys.glob("retired/*.key")] if private_keys else []
    for key in sorted(kept):
        copy = target / "keys" / key.relative_to(keys)
        copy.parent.mkdir(exist_ok=True)
        shutil.copy2(key, copy)
    files = {str(p.relative_to(target)): sha256_of(p) for p in sorted(target.rglob("*")) if p.is_file()}
    manifest = {"taken_at": datetime.now(UTC).isoformat(), "from": str(data), "files": files, "notes": notes}
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def restore(source: Path) -> dict:
    """Copy a backup into the data dir, which must hold no stack; `partnership up` then resumes it."""
    manifest_path = source / MANIFEST
    if not manifest_path.is_file():
        raise BackupRefused(f"{source} is not a backup (no {MANIFEST})")
    manifest = json.loads(manifest_path.read_text())
    damaged = [name for name, digest in manifest["files"].items() if not (source / name).is_file()]
    damaged += [n for n, d in manifest["files"].items() if n not in damaged and sha256_of(source / n) != d]
    if damaged:
        raise BackupRefused(f"the backup is damaged: {', '.join(damaged)} do(es) not match {MANIFEST}")
    data = config.data_dir()
    present = [n for n in (SERVER_DB, REGISTER_DB, "temporal.address") if (data / n).exists()]
    if present:
        raise BackupRefused(f"{data} already holds a stack ({', '.join(present)}); restore into a new data dir")
    data.mkdir(parents=True, exist_ok=True)
    for name in manifest["files"]:
        (data / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / name, data / name)
    return manifest
