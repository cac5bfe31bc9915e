"""Effects that can never succeed are set aside, not retried forever in front of the others
(DESIGN §2). The activity that meets one records it in the register's `failed_effects` table,
alerts the secretariat when mail works, and returns normally, so the workflow's lane goes on.
Transient failures (a server down, a busy database) still raise and are retried."""

from __future__ import annotations

import json
import smtplib
from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.exc import DataError, OperationalError
from sqlmodel import Session, select
from temporalio import activity

from activities.register import register_engine
from models.identities import Identity
from models.records import Notification
from models.register import FailedEffect

#: SMTP replies that say "never": 5xx, except those a reconfigured server could accept.
_RETRYABLE_5XX = {530, 534, 535}  # authentication: fix the settings and the mail goes


def permanent_reason(err: BaseException) -> str | None:
    """Why `err` can never go away on a retry, or None when it may (and should be retried)."""
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        codes = {code for code, _ in err.recipients.values()}
        if all(500 <= code < 600 for code in codes):
            return f"every recipient refused: {describe(err)}"
        return None
    if isinstance(err, smtplib.SMTPResponseException):
        if 500 <= err.smtp_code < 600 and err.smtp_code not in _RETRYABLE_5XX:
            return f"the mail server refused it ({err.smtp_code}): {describe(err)}"
        return None
    if isinstance(err, (DataError, UnicodeError)):
        return f"the register refused it: {describe(err)}"
    return None


def describe(err: BaseException) -> str:
    """One printable line, whatever the error carries."""
    text = str(err) or type(err).__name__
    return " ".join(repr(text)[1:-1].split())[:500]


def set_aside(effect_id: str, kind: str, effect: BaseModel, reason: str, alert: bool = True) -> str:
    """Record the failed effect once and alert the secretariat (unless it is an alert that failed);
    returns `set-aside`."""
    with Session(register_engine()) as session:
        if session.exec(select(FailedEffect).where(FailedEffect.effect_id == effect_id)).first() is not None:
            return "set-aside"  # a retry of an activity that recorded it and then lost its worker
        session.add(
            FailedEffect(
                effect_id=effect_id,
                workflow_id=activity.info().workflow_id or "",
                kind=kind,
                reason=reason,
                failed_at=datetime.now(UTC),
                # ASCII escapes: whatever the effect holds (a lone surrogate, a NUL) can be stored.
                effect_json=json.dumps(effect.model_dump(mode="json"), ensure_ascii=True, default=str),
            )
        )
        session.commit()
    activity.logger.error("effect set aside", extra={"effect_id": effect_id, "kind": kind, "reason": reason})
    if alert:
        alert_secretariat(effect_id, kind, reason)
    return "set-aside"


def alert_secretariat(effect_id: str, kind: str, reason: str) -> None:
    """Best effort, once per failed effect: if mail does not work either, the record, the log and
    `partnership status` still say it."""
    from activities.notify import ALERT, send  # notify sets aside through this module

    alert = Notification(
        key=f"{ALERT}{effect_id}",
        to=[Identity.SECRETARIAT],
        subject=f"A {kind} was set aside: it can never succeed",
        body=f"The {kind} {effect_id} of {activity.info().workflow_id} can never succeed, so it was set "
        f"aside and the effects after it go on.\nReason: {reason}\n`partnership status` lists it.",
    )
    try:
        send(alert)
    except Exception as err:  # noqa: BLE001 (best effort: the failure is recorded already)
        activity.logger.warning(
            "alert to the secretariat not sent", extra={"effect_id": effect_id, "reason": describe(err)}
        )


def failed_effects(engine: Engine) -> list[FailedEffect]:
    """The effects set aside, oldest first; none where the register has no such table yet."""
    try:
        with Session(engine) as session:
            return list(session.exec(select(FailedEffect).order_by(FailedEffect.failed_at)))
    except OperationalError:
        return []
