"""¶33: amendment by the mutual written consent of the Participants."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, model_validator

from models.base import Model
from models.identities import Identity
from models.keyring import KeyRing
from models.limits import CHANGES_MAX, Day, Line, LongText, Paragraphs, Ref, WorkflowRef
from models.records import DecisionRecord, Notification, RefusedMessages, SenderCheck
from models.signing import Filing

#: An unanswered proposal lapses this many days after it was received, unless it names a date.
DEFAULT_RESPONSE_DAYS = 90
#: Reminders to the other Participant this many days before the respond-by date.
REMINDER_DAYS = (30, 7)


class AmendmentStatus(StrEnum):
    PROPOSED = "PROPOSED"  # carries the proposer's written consent; awaits the other's
    CONSENTED = "CONSENTED"  # both consents exist; waits for its effective date
    IN_EFFECT = "IN_EFFECT"
    DECLINED = "DECLINED"
    WITHDRAWN = "WITHDRAWN"
    LAPSED = "LAPSED"

    @property
    def is_open(self) -> bool:
        return self in (AmendmentStatus.PROPOSED, AmendmentStatus.CONSENTED)

    @property
    def rests_on_consent(self) -> bool:
        """The statuses a report of which must carry the other Participant's consent (¶33)."""
        return self in (AmendmentStatus.CONSENTED, AmendmentStatus.IN_EFFECT)

    @property
    def stage(self) -> int:
        """Statuses only move forward: PROPOSED, then CONSENTED, then an outcome."""
        return {AmendmentStatus.PROPOSED: 0, AmendmentStatus.CONSENTED: 1}.get(self, 2)


class CatalogueChange(Model):
    """An amendment may also change the catalogue of joint-action commitments (¶8–27)."""

    action: Literal["add-commitment", "retire-commitment", "add-policy-area"]
    ref: Ref | None = None  # the commitment (add / retire)
    title: Line | None = None  # of the new commitment or area
    area: Ref | None = None  # slug of the area the commitment sits under, or of the new area
    pillar: int | None = Field(default=None, ge=1, le=4)  # of a new area

    def line(self) -> str:
        """The change in words (`status`, `amendment show`)."""
        if self.action == "add-policy-area":
            return f"policy area {self.area} added under pillar {self.pillar}: {self.title}"
        if self.action == "add-commitment":
            return f"commitment {self.ref} added under {self.area}: {self.title}"
        return f"commitment {self.ref} retired"


class AmendmentProposal(Filing):
    """The proposal; filing it is the proposer's written consent (¶33)."""

    paragraphs: Paragraphs
    text: LongText
    summary: Line = ""
    respond_by: Day | None = None
    effective_on: Day | None = None
    catalogue_changes: list[CatalogueChange] = Field(default_factory=list, max_length=CHANGES_MAX)


class AmendmentConsent(Filing):
    amendment_id: WorkflowRef


class AmendmentDecline(Filing):
    amendment_id: WorkflowRef
    reason: Line


class AmendmentWithdrawal(Filing):
    amendment_id: WorkflowRef


class AmendmentSummary(Model):
    """One line of `amendment list`: what the Partnership knows of each proposal. The wording
    itself stays in the amendment's own workflow (`amendment show`); the Partnership, which
    carries every summary for decades, keeps its SHA-256 only (a 100,000-character text each
    would soon pass Temporal's 2 MB payload limit when it continues as new)."""

    amendment_id: str
    proposed_by: Identity
    paragraphs: list[int]
    summary: str
    text_sha256: str = ""
    catalogue_changes: list[CatalogueChange] = Field(default_factory=list)
    status: AmendmentStatus
    proposed_at: datetime
    respond_by: date
    effective_on: date | None = None  # the date it took (or will take) effect
    version: int | None = None  # the text version it made, once in effect
    # The date the proposal asked for, as the Partnership received it: no report may bring the
    # amendment into effect before it.
    requested_effective_on: date | None = None
    # The consent the Partnership checked when first told of it (its `evidence`): the one the
    # amendment may later be in effect on, checked by that, not by a key long since changed.
    consent: str | None = None

    def when(self) -> str:
        """When it took or takes effect, or by when it must be answered (`status`, `amendment list`)."""
        if self.version:
            return f"in effect {self.effective_on} (v{self.version})"
        if self.effective_on:  # consented, taking effect on the later date the proposal names
            return f"effective {self.effective_on}"
        return f"respond by {self.respond_by}" if self.status.is_open else ""

    @model_validator(mode="before")
    @classmethod
    def _hash_of_text(cls, data: Any) -> Any:
        """Summaries carried or signalled before the wording was left out: its hash instead."""
        if isinstance(data, dict) and "text" in data:
            data = dict(data)
            text = data.pop("text")
            data.setdefault("text_sha256", text_sha256(text))
        return data


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class AmendmentCase(Model):
    """The AmendmentWorkflow's input and state (it carries the key registry it verifies with)."""

    amendment_id: str
    partnership_id: str
    proposal: AmendmentProposal
    proposed_at: datetime
    respond_by: date
    keys: KeyRing
    status: AmendmentStatus = AmendmentStatus.PROPOSED
    consented_at: datetime | None = None
    effective_on: date | None = None
    concluded_at: datetime | None = None
    reason: str | None = None  # of a decline, or why it lapsed
    # The instrument behind the outcome, sent on to the Partnership as its evidence (issue 11).
    consent: AmendmentConsent | None = None
    decline: AmendmentDecline | None = None
    withdrawal: AmendmentWithdrawal | None = None
    reminders_sent: list[int] = Field(default_factory=list)
    seen_filings: list[str] = Field(default_factory=list)
    refused: RefusedMessages = Field(default_factory=RefusedMessages)  # messages not acted on
    outbox: list[DecisionRecord | Notification | SenderCheck] = Field(default_factory=list)

    def summary(self) -> AmendmentSummary:
        return AmendmentSummary(
            amendment_id=self.amendment_id,
            proposed_by=self.proposal.filed_by,
            paragraphs=self.proposal.paragraphs,
            summary=self.proposal.summary,
            text_sha256=text_sha256(self.proposal.text),
            catalogue_changes=self.proposal.catalogue_changes,
            status=self.status,
            proposed_at=self.proposed_at,
            respond_by=self.respond_by,
            effective_on=self.effective_on,
            requested_effective_on=self.proposal.effective_on,
        )


class AmendmentView(Model):
    """`amendment show`."""

    amendment_id: str
    status: AmendmentStatus
    proposed_by: Identity
    consent_needed_from: Identity | None
    paragraphs: list[int]
    summary: str
    text: str
    catalogue_changes: list[CatalogueChange]
    proposed_at: datetime
    respond_by: date
    requested_effective_on: date | None
    consented_at: datetime | None
    effective_on: date | None
    concluded_at: datetime | None
    reason: str | None
