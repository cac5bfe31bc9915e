"""The Partnership itself (¶31): its state, the signature filing, and what `status` shows."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from enum import StrEnum

from pydantic import Field, model_validator

from models.amendment import AmendmentSummary, CatalogueChange
from models.base import Model
from models.checkpoint import CheckpointStatus
from models.consultation import ConsultationSummary
from models.forum import ForumSummary
from models.identities import Identity
from models.joint import JointFilings
from models.joint_action import ActionSummary, Rollup, WindDown
from models.keyring import KeyRevocation, KeyRing
from models.limits import Day, FilingId, Sha256
from models.records import (
    ChildCheck,
    ClosedEntry,
    DecisionRecord,
    Notification,
    RefusedMessages,
    SenderCheck,
    StoredText,
)
from models.signing import Filing
from models.working_group import WorkingGroup

#: The register's first decision (¶31), by which the audit knows which Partnership a register serves.
ENTRY_INTO_EFFECT = "entry-into-effect"


class Stage(StrEnum):
    AWAITING_SIGNATURES = "AWAITING_SIGNATURES"
    IN_EFFECT = "IN_EFFECT"
    TERMINATION_PENDING = "TERMINATION_PENDING"
    TERMINATED = "TERMINATED"


class SignPartnership(Filing):
    """¶31: a Participant's signature of the text. `signed_on` is the date on the signed copy."""

    signed_on: Day
    text_sha256: Sha256


class TerminationNotice(Filing):
    """¶31: written notice of termination to the other Participant. No date: the earliest."""

    effective_on: Day | None = None


class TerminationWithdrawal(Filing):
    """Withdrawal of a pending notice by the Participant that gave it (DESIGN §1)."""

    notice: FilingId  # the notice withdrawn: a withdrawal signed earlier cannot withdraw a later one


class Termination(Model):
    """A notice received (pending), or the termination it brought about."""

    given_by: Identity
    recipient: Identity
    filing_id: str
    received_at: datetime
    effective_on: Day  # the calendar's own range: a date beyond it cannot be turned into a moment
    effective_at: datetime
    reminders_sent: list[str] = Field(default_factory=list)
    # The signed notice itself: what tells an amendment or a joint action that it terminated.
    notice: TerminationNotice | None = None


class NoticeReceipt(Model):
    given_by: Identity
    received_at: datetime
    earliest_effective_on: date
    effective_on: date
    effective_at: datetime


class ForumReceipt(Model):
    forum_id: str
    on: date
    agenda_deadline: date


class ConsultationReceipt(Model):
    consultation_id: str


class AmendmentReceipt(Model):
    amendment_id: str
    respond_by: date


class SignatureRecord(Model):
    participant: Identity
    signed_on: date
    received_at: datetime
    key_fingerprint: str


class SigningReceipt(Model):
    participant: Identity
    received_at: datetime
    state: Stage
    in_effect_since: date | None


class PartnershipState(Model):
    """Everything the workflow carries across continue-as-new."""

    keys: KeyRing  # every key of each identity, with the interval it was valid in (issue 13)
    text_sha256: str
    stage: Stage = Stage.AWAITING_SIGNATURES
    signatures: dict[Identity, SignatureRecord] = Field(default_factory=dict)
    in_effect_since: date | None = None
    version: int = 1
    termination: Termination | None = None  # the notice that took effect (TERMINATED)
    # ¶31, decided in DESIGN §1: each Participant may have one notice pending.
    notices: dict[Identity, Termination] = Field(default_factory=dict)
    amendments: dict[str, AmendmentSummary] = Field(default_factory=dict)
    catalogue_changes: list[CatalogueChange] = Field(default_factory=list)
    working_groups: dict[str, WorkingGroup] = Field(default_factory=dict)  # changed groups only
    actions: dict[str, ActionSummary] = Field(default_factory=dict)
    consultations: dict[str, ConsultationSummary] = Field(default_factory=dict)
    wind_down_filings: JointFilings = Field(default_factory=JointFilings)
    wind_down_instruments: dict[Identity, WindDown] = Field(default_factory=dict)  # sent on as evidence
    # ¶7: the Forum's usual date (the secretariat's ForumCalendar); None: cycles start by hand only.
    forum_month: int | None = None
    forum_day: int | None = None
    forums: dict[str, ForumSummary] = Field(default_factory=dict)
    # Issue 12: a run carries only what is open. A closed amendment, joint action, consultation or
    # Forum cycle is filed in the register (`ClosedEntry`) and left out at continue-as-new; what
    # the Partnership still needs of it is kept here, bounded: the numbers it gave out, the years
    # that had a cycle (at most one a year, FIRST_DAY..LAST_DAY), and a 64-bit digest of each id
    # of the latest CLOSED_IDS_KEPT ids (so a joint action's id, made from its title, is not given
    # out twice while it is remembered: register rows are keyed by it).
    amendments_proposed: int = 0
    consultations_opened: int = 0
    forum_years: list[int] = Field(default_factory=list)
    # Years whose cycle the usual date's timer could not start (its id held by a workflow we did
    # not start): the timer moves on past them; the secretariat may still start one by hand.
    forum_years_tried: list[int] = Field(default_factory=list, max_length=3)
    closed_ids: list[str] = Field(default_factory=list)
    # Digests of the instruments of each decision it told governed things of (a joint wind-down, a
    # cadence, a termination's notice), the latest TAKEN_KEPT: what `took` answers them (SenderCheck).
    taken: list[str] = Field(default_factory=list)
    # Digests of the things shown closed that Temporal said still ran at the last continue-as-new.
    still_running: list[str] = Field(default_factory=list)
    seen_filings: list[str] = Field(default_factory=list)
    refused: RefusedMessages = Field(default_factory=RefusedMessages)  # messages not acted on
    # A revocation of the SECRETARIAT's key filed by one Participant, awaiting the other's.
    key_revocations: dict[Identity, KeyRevocation] = Field(default_factory=dict)
    checkpoints: CheckpointStatus = Field(default_factory=CheckpointStatus)  # of the register (issue 14)
    # Continue-as-new when the server suggests it; a history length here forces it sooner (tests).
    continue_as_new_at_length: int | None = None
    # Effects accepted but not yet carried out when the run continued as new.
    outbox: list[DecisionRecord | Notification | StoredText | ClosedEntry | ChildCheck | SenderCheck] = Field(
        default_factory=list
    )

    @model_validator(mode="after")
    def _counts_of_what_it_carried(self) -> PartnershipState:
        """A state carried before closed entries left it held every one of them."""
        self.amendments_proposed = max(self.amendments_proposed, len(self.amendments))
        self.consultations_opened = max(self.consultations_opened, len(self.consultations))
        for forum in self.forums.values():
            if forum.year not in self.forum_years:
                self.forum_years.append(forum.year)
        return self

    def closed(self, thing_id: str) -> bool:
        """Whether `thing_id` was a governed thing of this Partnership that has closed and left
        its carried state."""
        return id_digest(thing_id) in self.closed_ids

    def known(self, thing_id: str) -> bool:
        """Whether `thing_id` is (or was) an amendment, joint action, consultation or Forum cycle
        of this Partnership."""
        carried = (self.amendments, self.actions, self.consultations, self.forums)
        return any(thing_id in things for things in carried) or self.closed(thing_id)

    @model_validator(mode="after")
    def _pending_notice_by_giver(self) -> PartnershipState:
        """A state carried when one notice at a time was the rule held it in `termination`."""
        if self.stage is Stage.TERMINATION_PENDING and self.termination is not None and not self.notices:
            self.notices[self.termination.given_by] = self.termination
            self.termination = None
        return self


def id_digest(thing_id: str) -> str:
    """16 hex digits of the id's SHA-256: what the carried state keeps of a closed thing's id."""
    return hashlib.sha256(thing_id.encode()).hexdigest()[:16]


def decision_digest(instruments: list[str]) -> str:
    """What the Partnership keeps of a decision it took: the digest of its instruments' ids."""
    return id_digest("+".join(sorted(instruments)))


def filer_mark(filing_id: str, filer: str) -> str:
    """What a governed thing other than the Partnership remembers of a filing it accepted: its id's
    digest and its filer, whose filings on it are bounded (workflows/remembered.py)."""
    return f"{id_digest(filing_id)}:{filer}"


def marked_by(seen: list[str], filer: str) -> int:
    """How many of the filings `filer_mark` remembered `filer` made."""
    return sum(mark.endswith(f":{filer}") for mark in seen)


def seen_mark(filing_id: str, fingerprint: str) -> str:
    """What the Partnership remembers of a filing it accepted: its id's digest and the key that
    signed it (issue 12), so it can forget the filing once that key is replaced."""
    return f"{id_digest(filing_id)}@{fingerprint}"


class SignatoryView(SignatureRecord):
    title: str


class PartnershipStatus(Model):
    """What `partnership status --json` prints; later capabilities add their own keys."""

    state: Stage
    in_effect_since: date | None
    version: int
    signatories: list[SignatoryView]
    termination: Termination | None  # the notice that took effect, or the pending one that will first
    termination_notices: list[Termination] = Field(default_factory=list)  # every pending notice, earliest first
    pending_amendments: list[AmendmentSummary]
    amendments_in_force: list[AmendmentSummary]
    catalogue_changes: list[CatalogueChange]
    joint_actions: Rollup
    joint_actions_by_pillar: dict[int, Rollup]
    open_consultations: list[ConsultationSummary]
    forums: list[ForumSummary]
    text_sha256: str
    keys: dict[Identity, str]  # identity -> fingerprint of its registered key
