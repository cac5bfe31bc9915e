"""¶29: differences are resolved amicably through consultations between the Participants.

No adjudicator, no vote, no deadline that forces an outcome: an outcome counts only when both
Participants accept it."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import Field

from models.base import Model
from models.identities import Identity
from models.keyring import KeyRing
from models.limits import (
    SEQ_MAX,
    About,
    Attendees,
    Day,
    IdSized,
    Line,
    LineSized,
    Moment,
    Seq,
    Text,
    WorkflowRef,
)
from models.records import DecisionRecord, Notification, RefusedMessages
from models.signing import Filing

#: A consultation with no activity for this long reminds both sides (and again each such period).
IDLE_DAYS = 30


class ConsultationState(StrEnum):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"
    WITHDRAWN = "WITHDRAWN"


class ConsultationRequest(Filing):
    """Filed to the Partnership: a difference over a ¶, a commitment ref, or a governed thing."""

    about: About
    summary: Line


class ConsultationRound(Filing):
    consultation_id: WorkflowRef
    held_on: Day
    attendees: Attendees
    note: Text


class ResolutionProposal(Filing):
    consultation_id: WorkflowRef
    resolution: Text


class ResolutionAcceptance(Filing):
    consultation_id: WorkflowRef
    proposal: int  # the number of the proposal accepted


class ConsultationWithdrawal(Filing):
    """The Participant that opened a consultation withdraws it while it is open."""

    consultation_id: WorkflowRef


class RoundRecord(Model):
    by: Identity
    received_at: datetime
    held_on: date
    attendees: list[str]
    note: str


class ProposalRecord(Model):
    number: int
    by: Identity
    received_at: datetime
    resolution: str


class ConsultationSummary(Model):
    consultation_id: IdSized  # bounded as ActionSummary's fields are, for the same reason
    about: IdSized
    summary: LineSized
    opened_by: Identity
    opened_at: Moment
    state: ConsultationState
    rounds: int = Field(default=0, ge=0, le=SEQ_MAX)
    proposals: int = Field(default=0, ge=0, le=SEQ_MAX)
    resolved_at: Moment | None = None
    seq: Seq = 0


class ConsultationCase(Model):
    consultation_id: str
    partnership_id: str
    request: ConsultationRequest
    opened_at: datetime
    keys: KeyRing
    state: ConsultationState = ConsultationState.OPEN
    rounds: list[RoundRecord] = Field(default_factory=list)
    proposals: list[ProposalRecord] = Field(default_factory=list)
    last_activity_at: datetime | None = None
    idle_reminders: int = 0
    resolved_at: datetime | None = None
    resolution: ProposalRecord | None = None
    accepted_by: Identity | None = None
    seq: int = 0
    seen_filings: list[str] = Field(default_factory=list)
    refused: RefusedMessages = Field(default_factory=RefusedMessages)  # messages not acted on
    outbox: list[DecisionRecord | Notification] = Field(default_factory=list)

    def summary(self) -> ConsultationSummary:
        return ConsultationSummary(
            consultation_id=self.consultation_id,
            about=self.request.about,
            summary=self.request.summary,
            opened_by=self.request.filed_by,
            opened_at=self.opened_at,
            state=self.state,
            rounds=len(self.rounds),
            proposals=len(self.proposals),
            resolved_at=self.resolved_at,
            seq=self.seq,
        )


class ConsultationView(Model):
    summary: ConsultationSummary
    rounds: list[RoundRecord]
    proposals: list[ProposalRecord]
    resolution: ProposalRecord | None
    accepted_by: Identity | None
    last_activity_at: datetime | None
