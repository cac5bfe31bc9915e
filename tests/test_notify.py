"""Notifications reach the Maildir by default and a real SMTP server when configured; the
idempotency key is the Message-ID, so a retried activity delivers once."""

from __future__ import annotations

import asyncio
import email
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from aiosmtpd.controller import Controller
from temporalio.testing import ActivityEnvironment

from activities.notify import message_id, notify
from models.identities import Identity
from models.records import Notification
from tests.conftest import free_port
from tests.helpers import mails


def notice(key: str = "partnership/test/1") -> Notification:
    return Notification(
        key=key,
        to=[Identity.UK, Identity.ROK],
        subject="Test notice under ¶31",
        body="Written notice.",
        paragraph="31",
    )


async def test_maildir_delivery_once_per_key(data_dir, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_MAIL_UK", "dsit@example.gov.uk")
    env = ActivityEnvironment()
    assert env.run(notify, notice()) == "maildir"
    assert env.run(notify, notice()) == "already-sent"
    delivered = mails(data_dir)
    assert len(delivered) == 1
    msg = delivered[0]
    assert msg["Message-ID"] == message_id("partnership/test/1")
    assert msg["To"] == "dsit@example.gov.uk, rok-msit@digital-partnership.localhost"
    assert msg["Subject"] == "Test notice under ¶31"
    assert msg["X-Partnership-Paragraph"] == "31"


async def test_a_lost_ledger_still_makes_no_second_file(data_dir):
    env = ActivityEnvironment()
    env.run(notify, notice())
    (data_dir / "register.db").unlink()
    from activities.register import engine_for

    engine_for.cache_clear()
    env.run(notify, notice())
    assert len(mails(data_dir)) == 1


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_inbox(monkeypatch):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("PARTNERSHIP_SMTP_URL", f"smtp://127.0.0.1:{port}")
    yield inbox
    controller.stop()


async def test_smtp_delivery_once_per_key(data_dir, smtp_inbox):
    env = ActivityEnvironment()
    assert env.run(notify, notice("partnership/test/smtp")) == "smtp"
    assert env.run(notify, notice("partnership/test/smtp")) == "already-sent"
    await asyncio.sleep(0)
    assert [m["Message-ID"] for m in smtp_inbox.messages] == [message_id("partnership/test/smtp")]
    assert mails(data_dir) == []  # SMTP replaces the Maildir, it does not add to it


@pytest.mark.timeout(60)
def test_a_mail_begun_is_finished_and_recorded_when_its_worker_stops(data_dir, monkeypatch):
    """Cancelling a running effect (its worker stopping) does not interrupt it half-way: the mail
    is filed and recorded, so no retry sends it again (the SDK would otherwise raise inside the
    effect's thread at its next line, after the mail was written and before it was recorded)."""
    import activities.notify as notify_module

    begun, release = threading.Event(), threading.Event()
    deliver = notify_module.deliver_to_maildir

    def held(root, msg):
        begun.set()
        release.wait(30)
        return deliver(root, msg)

    monkeypatch.setattr(notify_module, "deliver_to_maildir", held)
    env = ActivityEnvironment()
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(env.run, notify, notice())
        assert begun.wait(30)
        env.cancel()
        release.set()
        assert running.result(timeout=30) == "maildir"
    assert len(mails(data_dir)) == 1
    assert ActivityEnvironment().run(notify, notice()) == "already-sent"
