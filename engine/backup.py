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
from pathlib import Path, PurePosixPath

from engine import config

MANIFEST = "backup.json"
SERVER_DB = "temporal.db"
REGISTER_DB = "register.db"
#: Every name a backup can hold (what `backup` copies), as paths inside the data dir. A manifest
#: naming anything else (`mail/../../.ssh/authorized_keys`) is not one of ours, and nothing of it
#: is restored (adversarial review 3, F6).
HELD = (
    SERVER_DB,
    REGISTER_DB,
    "mail/cur/*",
    "mail/new/*",
    "keys/*.pub",
    "keys/retired/*.pub",
    "keys/pins.json",
    "keys/*.key",
    "keys/retired/*.key",
)


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
    try:
        manifest = json.loads(manifest_path.read_text())
        files = manifest["files"]
        if not isinstance(files, dict) or not all(isinstance(d, str) for d in files.values()):
            raise TypeError("files: not a name -> SHA-256 mapping")
        names = list(files)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise BackupRefused(f"{manifest_path} does not read as a backup's manifest; nothing was restored") from None
    except OSError as err:
        raise BackupRefused(f"{manifest_path} cannot be read ({err.strerror}); nothing was restored") from None
    if foreign := [name for name in names if not held(source, name)]:
        raise BackupRefused(f"the backup names {', '.join(foreign)}, which no backup holds; nothing was restored")
    if SERVER_DB not in names and REGISTER_DB not in names:
        raise BackupRefused(f"the backup holds no stack (no {SERVER_DB}, no {REGISTER_DB}); nothing was restored")
    missing = [name for name in names if not (source / name).is_file()]
    changed = [n for n, d in files.items() if n not in missing and sha256_of(source / n) != d]
    if missing or changed:
        said = [f"{', '.join(missing)} missing"] if missing else []
        said += [f"{', '.join(changed)} not as {MANIFEST} says"] if changed else []
        raise BackupRefused(f"the backup is damaged ({'; '.join(said)}); nothing was restored")
    data = config.data_dir()
    present = [n for n in (SERVER_DB, REGISTER_DB, "temporal.address") if (data / n).exists()]
    if present:
        raise BackupRefused(f"{data} already holds a stack ({', '.join(present)}); restore into a new data dir")
    data.mkdir(parents=True, exist_ok=True)
    for name in names:
        (data / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / name, data / name)
    return manifest


def held(source: Path, name: str) -> bool:
    """Whether `name` is one a backup holds: one of HELD, no step out of the folder, and in
    `source` a file of its own (no link to somewhere else)."""
    if not isinstance(name, str) or "\x00" in name:  # no path holds a NUL (review 8, R8-3)
        return False
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or str(path) != name:
        return False
    if not any(path.match(pattern) and len(path.parts) == len(PurePosixPath(pattern).parts) for pattern in HELD):
        return False
    found = source / name
    return not found.is_symlink() and found.resolve().is_relative_to(source.resolve())
