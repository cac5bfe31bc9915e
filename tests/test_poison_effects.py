"""An effect that can never succeed is set aside, not retried forever in front of the others: it is
recorded as failed with its reason, the secretariat is alerted when mail works, `partnership
status` lists it, and the lane goes on. A transient failure is still retried."""

from __future__ import annotations

import email
import smtplib
from datetime import UTC, datetime

import pytest
from aiosmtpd.controller import Controller
from temporalio.testing import ActivityEnvironment

from activities.failures import failed_effects
from activities.notify import compose, message_id, notify
from activities.register import decisions, record_decision, register_engine
from models.identities import Identity
from models.partnership import TerminationNotice
from models.records import DecisionRecord, Notification
from tests.conftest import free_port
from tests.helpers import effects_done, eventually, signed, withdrawal
from workflows.partnership import PartnershipWorkflow


class Refusing:
    """An SMTP server that refuses, with `code`, every message whose subject contains `poison`."""

    def __init__(self, poison: str, code: str) -> None:
        self.poison, self.code = poison, code
        self.delivered: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        msg = email.message_from_bytes(envelope.content)
        if self.poison in str(msg["Subject"]):
            return self.code
        self.delivered.append(msg)
        return "250 OK"


@pytest.fixture
def smtp_refusing(monkeypatch):
    servers: list[Controller] = []

    def start(poison: str, code: str = "554 5.6.0 message refused for good") -> Refusing:
        handler = Refusing(poison, code)
        port = free_port()
        servers.append(Controller(handler, hostname="127.0.0.1", port=port))
        servers[-1].start()
        monkeypatch.setenv("PARTNERSHIP_SMTP_URL", f"smtp://127.0.0.1:{port}")
        return handler

    yield start
    for server in servers:
        server.stop()


def notice(subject: str, key: str = "partnership/test/poison") -> Notification:
    return Notification(key=key, to=[Identity.UK, Identity.ROK], subject=subject, body="Body.", paragraph="31")


def test_a_permanent_smtp_refusal_is_set_aside_and_the_secretariat_alerted(data_dir, smtp_refusing):
    inbox = smtp_refusing("poison")
    env = ActivityEnvironment()
    assert env.run(notify, notice("A poison notice")) == "set-aside"
    [failed] = failed_effects(register_engine())
    assert failed.effect_id == message_id("partnership/test/poison") and failed.kind == "notification"
    assert "554" in failed.reason and "refused for good" in failed.reason
    [alert] = inbox.delivered
    assert alert["To"] == "secretariat@digital-partnership.localhost"
    assert "set aside" in alert["Subject"] and "554" in alert.get_payload()
    # A retry (a worker lost after recording it) records nothing twice and alerts no one twice.
    assert env.run(notify, notice("A poison notice")) == "set-aside"
    assert len(failed_effects(register_engine())) == 1 and len(inbox.delivered) == 1


def test_a_transient_smtp_refusal_is_retried(data_dir, smtp_refusing):
    smtp_refusing("poison", code="451 4.3.0 try again later")
    with pytest.raises(smtplib.SMTPDataError):
        ActivityEnvironment().run(notify, notice("A poison notice"))
    assert failed_effects(register_engine()) == []


def test_header_values_are_single_lines_whatever_a_subject_or_key_holds():
    msg = compose(notice("about 9b\r\nBcc: everyone@example.org\x1b[2J", key="partnership/x\r\ny"))
    raw = msg.as_bytes().decode()
    headers = raw.split("\n\n", 1)[0]
    assert "Bcc:" not in headers.replace("Subject: about 9b Bcc: everyone@example.org", "")
    assert msg["Subject"] == "about 9b Bcc: everyone@example.org\\x1b[2J"
    assert msg["X-Partnership-Key"] == "partnership/x y"
    assert "\x1b" not in headers


def test_a_decision_the_register_can_never_store_is_set_aside(data_dir):
    env = ActivityEnvironment()
    bad = DecisionRecord(
        decision_id="partnership/test/unstorable",
        workflow_id="partnership",
        kind="test",
        paragraph="31",
        decided_at=datetime.now(UTC),
        summary="a lone surrogate \ud800 cannot be encoded",
    )
    entry = env.run(record_decision, bad)
    assert entry.created is False
    [failed] = failed_effects(register_engine())
    assert failed.effect_id == bad.decision_id and failed.kind == "decision" and "encode" in failed.reason
    assert decisions(register_engine()) == []
    good = bad.model_copy(update={"decision_id": "partnership/test/storable", "summary": "fine"})
    assert (env.run(record_decision, good)).created


async def test_the_partnership_lane_goes_on_past_a_mail_that_can_never_be_sent(
    partnership, smtp_refusing, data_dir, capsys
):
    """UK's notice mail is refused for good; the withdrawal's mail after it is still delivered, and
    `partnership status` lists the one set aside."""
    inbox = smtp_refusing("has given notice of termination")
    await partnership.execute_update(
        PartnershipWorkflow.give_termination_notice, signed(TerminationNotice(filed_by=Identity.UK), to=partnership)
    )
    await partnership.execute_update(
        PartnershipWorkflow.withdraw_termination_notice,
        signed(await withdrawal(partnership, Identity.UK), to=partnership),
    )
    await effects_done(partnership, PartnershipWorkflow.pending_effects)
    subjects = [str(m["Subject"]) for m in inbox.delivered]
    assert "UK has withdrawn its notice of termination" in subjects
    assert any("set aside" in s for s in subjects)
    [failed] = await eventually(lambda: failed_effects(register_engine()))
    assert failed.workflow_id == partnership.id

    from cli.status import show_status

    show_status(await partnership.query(PartnershipWorkflow.status), json_out=False)
    shown = capsys.readouterr().out
    assert f"Set aside (notification of {partnership.id}" in shown and "554" in shown


def test_a_decision_or_mail_reusing_an_id_with_other_content_is_set_aside_not_taken_as_done(data_dir):
    """A two-ministry walkthrough (deploy 5): a register kept from after the server's backup held
    decisions the restored server never took; a later decision reusing one's id (the next
    amendment's number) was taken as recorded already, and its mails as sent."""
    env = ActivityEnvironment()
    first = DecisionRecord(
        decision_id="partnership/amendment-in-effect/partnership-amendment-2", workflow_id="partnership",
        kind="amendment-in-effect", paragraph="33", decided_at=datetime(2026, 11, 30, tzinfo=UTC),
        summary="Amendment 2 (biennial review) is in effect.",
    )  # fmt: skip
    assert env.run(record_decision, first).created
    assert env.run(record_decision, first).created is False  # a retry: the same row, nothing set aside
    other = first.model_copy(update={"summary": "Amendment 2 (quinquennial review) is in effect."})
    assert env.run(record_decision, other).created is False
    [failed] = failed_effects(register_engine())
    assert failed.effect_id == first.decision_id and "already holds decision" in failed.reason
    assert [row.summary for row in decisions(register_engine())] == [first.summary]  # the old row stays, said

    sent = notice("Amendment 2 is in effect (text version 2)", key="partnership/amendment-in-effect/a2")
    assert env.run(notify, sent) == "maildir"
    assert env.run(notify, sent) == "already-sent"
    assert (
        env.run(notify, sent.model_copy(update={"subject": "Amendment 2 is in effect (text version 3)"})) == "set-aside"
    )
    assert [f.effect_id for f in failed_effects(register_engine())] == [first.decision_id, message_id(sent.key)]
