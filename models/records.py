"""Inputs of the two side effects: a decision for the register and a notification to send."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import Field, field_validator

from models.base import Model
from models.identities import Identity
from models.limits import ENTRIES_MAX, LINE_MAX


class DecisionRecord(Model):
    """One decision for the register. `decision_id` is derived from workflow data, so a retried
    activity finds the row it already wrote instead of writing a second."""

    decision_id: str
    workflow_id: str
    kind: str
    paragraph: str  # the ¶ ref the decision applies, e.g. "31" or "9b"
    decided_at: datetime
    summary: str
    details: dict[str, Any] = Field(default_factory=dict)


class RefusedMessage(Model):
    """A message from another workflow that this one did not act on, and why (issue 11)."""

    signal: str
    received_at: datetime
    reason: str


class RefusedMessages(Model):
    """The `refused_messages` query: how many, and the latest few (carried state stays bounded)."""

    count: int = 0
    latest: list[RefusedMessage] = Field(default_factory=list)

    def add(self, signal: str, at: datetime, reason: str) -> bool:
        """Count one more, keep it among the latest; whether it is the first refused at `at` (in
        its workflow task: one line of log each, however many a flood brings)."""
        first = not self.latest or self.latest[-1].received_at != at
        self.count += 1
        entry = RefusedMessage(signal=signal, received_at=at, reason=reason[:LINE_MAX])
        self.latest = [*self.latest[-(ENTRIES_MAX - 1) :], entry]
        return first


class Notification(Model):
    """A message to Participants and/or the secretariat. `key` becomes the Message-ID."""

    key: str
    to: list[Identity]
    subject: str
    body: str
    paragraph: str | None = None


class StoredText(Model):
    """A long text for the register's content-addressed store (issue 12): workflows that would
    otherwise carry it for decades carry `sha256` only, and readers fetch the text by it."""

    sha256: str
    text: str


class ClosedEntry(Model):
    """A governed thing's summary as the Partnership last knew it, once it closed (issue 12): the
    register keeps it, so the Partnership's carried state holds only what is open, and the reads
    (`amendment list`, `action list`, `consult list`, `forum list`, `status`, `text`) find the rest
    there. Filed again (the same row, replaced) if a later report changes it."""

    entry_id: str  # the governed thing's workflow id
    kind: str  # "amendment" | "action" | "consultation" | "forum"
    partnership_id: str
    summary: dict[str, Any]


class ChildCheck(Model):
    """Whether a governed thing shown closed has closed. What shows it closed is its roll-up, which
    anyone with access to the namespace can forge; so before the Partnership continues as new
    without it, it asks Temporal whether the workflow it started under that id still runs."""

    child_id: str


class SenderCheck(Model):
    """Whether the Partnership took the decision a message to a governed thing rests on (a second
    adversarial review). Temporal does not say who sent a signal, and every instrument one carries
    can be copied from the histories, a withdrawn one too: a wind-down one side took back before the
    other filed, or a notice withdrawn. So a message that would end or change a governed thing is
    acted on only once the Partnership, asked through Temporal, answers that it took the decision
    those instruments made (`took`); until then it waits in the outbox, carried across runs."""

    signal: str  # the message's signal: its handler acts on it once the answer is yes
    sender: str  # the workflow id of the one that would have sent it
    instruments: list[str] = Field(max_length=2 * ENTRIES_MAX)  # what the decision rests on
    message: dict[str, Any]  # the message as received, read again by its handler's own type
    again: bool = False  # the same decision was told again meanwhile: a "no" is asked once more
    # An instrument it carries verifies with no key the receiver holds (its key has left the
    # registry): only the sender's word stands for it, and anyone can send such a message.
    unchecked: bool = False

    def key(self) -> tuple[str, str, tuple[str, ...]]:
        """The decision asked about: copies of one message (a flood of them) ask once."""
        return self.signal, self.sender, tuple(sorted(self.instruments))


class RegisterEntry(Model):
    """Where a decision stands in the register (returned by `record_decision`)."""

    seq: int
    decision_id: str
    hash: str
    created: bool  # False when the decision was already there (a retried activity)


def aware_utc(moment: datetime) -> datetime:
    """A time as the register stores and reads it: aware UTC, so a hash over it reads the same back
    from any database; read back from one that keeps no zone (SQLite, a PostgreSQL `timestamp`),
    a naive time is UTC, as the register wrote it."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class EffectSetAside(Model):
    """An effect that can never succeed, as the register's `failed_effects` table keeps it
    (DESIGN §2): `partnership status` lists these."""

    effect_id: str  # the Message-ID, or the decision id
    workflow_id: str
    kind: str  # "notification" or "decision"
    reason: str
    failed_at: datetime
    effect_json: str

    _utc = field_validator("failed_at")(aware_utc)


class ArchiveSummary(Model):
    """How much the archive holds and how far behind the server it is."""

    histories: int
    bytes: int
    newest_close_time: datetime | None
    last_pass: datetime | None
