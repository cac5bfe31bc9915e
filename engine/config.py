"""Settings from the environment (DESIGN §2). Read when used, so tests can point them elsewhere."""

from __future__ import annotations

import os
from pathlib import Path

from models.identities import Identity

DEFAULT_TASK_QUEUE = "partnership"

DEFAULT_ADDRESSES: dict[Identity, str] = {
    Identity.UK: "uk-dsit@digital-partnership.localhost",
    Identity.ROK: "rok-msit@digital-partnership.localhost",
    Identity.SECRETARIAT: "secretariat@digital-partnership.localhost",
    Identity.AUDITOR: "auditor@digital-partnership.localhost",
}
SENDER = "engine@digital-partnership.localhost"


def data_dir() -> Path:
    """`PARTNERSHIP_DATA_DIR`; by default the `.data/` of the working directory or, when it has
    none, of the nearest folder above it that has one (so a command run from `tests/` or `docs/`
    of a checkout finds the stack that `make run` started at its top)."""
    if "PARTNERSHIP_DATA_DIR" in os.environ:
        return Path(os.environ["PARTNERSHIP_DATA_DIR"]).resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / ".data").is_dir():
            return folder / ".data"
    return here / ".data"


def owner_only_dir(path: Path) -> Path:
    """Create `path` (keys, register, mail) readable and writable by its owner only, whatever the
    umask: whoever could swap a public key before bootstrap could file as that identity."""
    for folder in [*reversed(path.parents), path]:
        if not folder.exists():
            folder.mkdir(mode=0o700, exist_ok=True)  # the umask can only take bits away from 0o700
    return path


def make_data_dir() -> Path:
    return owner_only_dir(data_dir())


def task_queue() -> str:
    return os.environ.get("PARTNERSHIP_TASK_QUEUE", DEFAULT_TASK_QUEUE)


def database_url() -> str:
    """`DATABASE_URL` (e.g. postgresql+psycopg://…), default SQLite at `<data dir>/register.db`."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{data_dir() / 'register.db'}"


def smtp_url() -> str | None:
    """`PARTNERSHIP_SMTP_URL` (smtp://[user:pass@]host:port, smtps://… for TLS); unset: Maildir."""
    return os.environ.get("PARTNERSHIP_SMTP_URL") or None


def shown_database_url() -> str:
    """`database_url()` as it may be printed: a password in it hidden (ArgumentError: not a URL)."""
    from sqlalchemy.engine import make_url

    return make_url(database_url()).render_as_string(hide_password=True)


def effects_go_to() -> str:
    """Where a worker writes: the register and the mail, passwords not shown (its ready line)."""
    from urllib.parse import urlsplit

    from sqlalchemy.exc import ArgumentError

    try:
        register = shown_database_url()
    except ArgumentError:
        register = "DATABASE_URL (not a database URL)"
    smtp = smtp_url()
    mail = f"SMTP {urlsplit(smtp).hostname}:{urlsplit(smtp).port or 25}" if smtp else f"Maildir {maildir()}"
    return f"register {register}, mail {mail}"


def mail_address(identity: Identity) -> str:
    """`PARTNERSHIP_MAIL_UK`, `…_ROK`, `…_SECRETARIAT`, `…_AUDITOR` override the defaults."""
    return os.environ.get(f"PARTNERSHIP_MAIL_{identity.value}", DEFAULT_ADDRESSES[identity])


def maildir() -> Path:
    return data_dir() / "mail"


def keys_dir() -> Path:
    return data_dir() / "keys"


def checkpoint_every() -> float:
    """Seconds between looks at the Partnership's checkpoint call, by `checkpoint watch` and by the
    watchers the embedded stack runs (`PARTNERSHIP_CHECKPOINT_EVERY`)."""
    return float(os.environ.get("PARTNERSHIP_CHECKPOINT_EVERY") or 60)
