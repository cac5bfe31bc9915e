"""Notifications to the Participants and the secretariat: a Maildir by default, SMTP if configured.

The notification's key becomes its Message-ID, and the register database keeps a ledger of sent
Message-IDs that is checked before sending, so a retried activity never sends a second mail. The
Maildir file name is derived from the key too, so even a lost ledger row cannot make a second file.
"""

from __future__ import annotations

import email.policy
import hashlib
import os
import re
import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from temporalio import activity

from activities import effect
from activities.failures import describe, permanent_reason, set_aside
from activities.register import register_engine
from engine import config
from models.limits import control_free
from models.names import NOTIFY
from models.records import Notification
from models.register import SentNotification

MAIL_DOMAIN = "digital-partnership.localhost"
#: Keys of the alerts about set-aside notifications (an alert that fails raises no second alert).
ALERT = "effect-set-aside/"


def message_id(key: str) -> str:
    """A valid, unique Message-ID for an idempotency key."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    readable = re.sub(r"[^A-Za-z0-9.+=_-]+", ".", key).strip(".")[:80]
    return f"<{readable}.{digest}@{MAIL_DOMAIN}>"


def compose(notification: Notification) -> EmailMessage:
    # RFC 5322's hard line limit, so a long Message-ID stays on one line and reads back unchanged.
    msg = EmailMessage(policy=email.policy.default.clone(max_line_length=998))
    msg["From"] = config.SENDER
    msg["To"] = ", ".join(config.mail_address(i) for i in notification.to)
    # Subject and keys quote filers' words: a header value is one line whatever they contain.
    msg["Subject"] = one_line(notification.subject)
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = message_id(notification.key)
    msg["X-Partnership-Key"] = one_line(notification.key)
    if notification.paragraph:
        msg["X-Partnership-Paragraph"] = one_line(notification.paragraph)
    msg.set_content(notification.body)
    return msg


def not_alert(notification: Notification) -> bool:
    return not notification.key.startswith(ALERT)


def one_line(value: str) -> str:
    """A header value: control characters and line breaks become spaces, runs of space one."""
    return " ".join(control_free(value, keep="\r\n\t").split())[:900]


def deliver_to_maildir(root: Path, msg: EmailMessage) -> Path:
    """File the message under `new/` with a name fixed by its Message-ID (write, then link)."""
    for sub in ("tmp", "new", "cur"):
        config.owner_only_dir(root / sub)
    name = hashlib.sha256(msg["Message-ID"].encode()).hexdigest()[:32] + ".partnership"
    final = root / "new" / name
    if final.exists() or any((root / "cur").glob(name + "*")):
        return final
    tmp = root / "tmp" / f"{name}.{os.getpid()}"
    tmp.write_bytes(msg.as_bytes())
    try:
        os.link(tmp, final)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return final


def deliver_by_smtp(url: str, msg: EmailMessage) -> None:
    """smtp://[user:pass@]host[:port][?starttls=1] or smtps://… (implicit TLS)."""
    parts = urlparse(url)
    host = parts.hostname or "localhost"
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, parts.port or 465, timeout=10)
    else:
        client = smtplib.SMTP(host, parts.port or 25, timeout=10)
    with client:
        if parse_qs(parts.query).get("starttls") == ["1"]:
            client.starttls()
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(msg)


def send(notification: Notification) -> str:
    """Send once: skip when the ledger has this Message-ID, record it after sending. One that can
    never be sent is set aside (recorded, the secretariat alerted) and reported as `set-aside`."""
    mid = message_id(notification.key)
    engine = register_engine()
    with Session(engine) as session:
        sent = session.get(SentNotification, mid)
    if sent is not None and sent.subject != notification.subject:  # as a decision reusing an id (register.py)
        reason = f"a mail under this key, {sent.subject!r}, went out {sent.sent_at:%Y-%m-%d}; this one says otherwise"
        return set_aside(mid, "notification", notification, reason, not_alert(notification))
    if sent is not None:
        return "already-sent"
    try:
        msg = compose(notification)
        msg.as_bytes()  # a header the policy cannot write fails here, not half-way into a send
    except (ValueError, TypeError, UnicodeError) as err:
        reason = f"the mail cannot be written: {describe(err)}"
        return set_aside(mid, "notification", notification, reason, not_alert(notification))
    smtp = config.smtp_url()
    try:
        if smtp:
            deliver_by_smtp(smtp, msg)
            channel = "smtp"
        else:
            deliver_to_maildir(config.maildir(), msg)
            channel = "maildir"
    except smtplib.SMTPException as err:
        if (reason := permanent_reason(err)) is None:
            raise
        return set_aside(mid, "notification", notification, reason, not_alert(notification))
    with Session(engine) as session:
        session.add(
            SentNotification(
                message_id=mid,
                recipients=msg["To"],
                subject=notification.subject,
                channel=channel,
                sent_at=datetime.now(UTC),
            )
        )
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
    return channel


@effect(NOTIFY)
def notify(notification: Notification) -> str:
    """Deliver one notification; returns the channel used, `already-sent` on a retry, or
    `set-aside` for one that can never be sent. A plain function: it blocks on SMTP or the disk,
    so it runs on the worker's activity thread pool."""
    outcome = send(notification)
    activity.logger.info(
        {"already-sent": "notification skipped, already sent", "set-aside": "notification set aside"}.get(
            outcome, "notification sent"
        ),
        extra={"key": notification.key, "to": [i.value for i in notification.to], "channel": outcome},
    )
    return outcome
