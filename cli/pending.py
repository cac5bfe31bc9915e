"""Issue 17: a signed filing that got no answer is kept, and sent again unchanged.

Each run of a filing command used to sign a fresh instrument (a new filing id). A user who retried
after "Temporal did not answer" therefore filed twice when the first sending had in fact landed.
Now the signed instrument is kept under `<data dir>/pending/` until an answer comes (accepted or
rejected); running the same command again, with the same content, resends that very instrument, so
the workflow accepts it once and rejects a second presentation as already received.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TypeVar

from engine import config
from models.signing import Filing, canonical_json

F = TypeVar("F", bound=Filing)

#: The instruments this command sent and has no answer for yet.
unanswered: list[tuple[Path, Filing, bool]] = []  # (file, instrument, was it a resend)


def pending_dir() -> Path:
    return config.data_dir() / "pending"


def _path(filing: Filing) -> Path:
    body = filing.model_dump(mode="json", exclude={"signature", "filing_id"})
    body["instrument"] = type(filing).__name__
    digest = hashlib.sha256(canonical_json(body)).hexdigest()[:20]
    return pending_dir() / f"{filing.filed_by.value}-{type(filing).__name__}-{digest}.json"


def kept_or_signed(filing: F, sign: callable) -> F:  # type: ignore[valid-type]
    """The instrument kept from an unanswered sending of this same filing, else a newly signed one
    (kept until answered)."""
    path = _path(filing)
    if path.exists():
        try:
            kept = type(filing).model_validate_json(path.read_text())
        except ValueError:
            kept = None
        if kept is not None:
            unanswered.append((path, kept, True))
            return kept
    instrument = sign(filing)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(instrument.model_dump_json())
    unanswered.append((path, instrument, False))
    return instrument


def answered() -> None:
    """The server answered (accepted or rejected): nothing to resend."""
    while unanswered:
        path, _, _ = unanswered.pop()
        path.unlink(missing_ok=True)


def resent() -> Filing | None:
    """The instrument this command resent from an earlier, unanswered run, if any."""
    return next((instrument for _, instrument, again in unanswered if again), None)


def kept_note() -> str:
    """What to tell a user whose filing got no answer."""
    if not unanswered:
        return ""
    path, instrument, _ = unanswered[-1]
    return (
        f"; filing {instrument.filing_id} may or may not have been received. It is kept in {path}: run the "
        "same command again to resend that same signed filing (it is accepted once, never twice)"
    )
