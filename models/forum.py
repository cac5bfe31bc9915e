"""¶7: the UK-RoK Digital Partnership Forum, held annually and co-chaired by a Vice Minister of the
Ministry of Science and ICT and a Ministerial counterpart at the Department for Science,
Innovation and Technology; it oversees the Partnership and reviews scope, objectives and means."""

from __future__ import annotations

import hashlib
from calendar import month_name
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import Field

from models.base import Model
from models.identities import Identity, Ministry
from models.joint import JointFilings
from models.keyring import KeyRing
from models.limits import (
    Attendees,
    Day,
    FilingId,
    IdSized,
    Line,
    LineSized,
    LongText,
    Moment,
    Name,
    Ref,
    Seq,
    Sha256,
    Text,
    WorkflowRef,
    Year,
)
from models.records import DecisionRecord, Notification, RefusedMessages
from models.signing import Filing, canonical_json

#: The call for agenda items closes this many days before the Forum; reminders before it closes.
AGENDA_DEADLINE_DAYS = 30
AGENDA_REMINDER_DAYS = (7, 1)
#: Without a date, a cycle's Forum is on the anniversary of signature.
DEFAULT_MONTH, DEFAULT_DAY = 11, 22
#: The yearly Schedule starts a cycle this many days before the Forum's usual date.
SCHEDULE_LEAD_DAYS = 90
#: A cycle is started at most this many days before its Forum: one for a year far ahead is a slip of
#: the year, and nothing withdraws a cycle once started (it holds one of the open cycles' places).
FORUM_AHEAD_MAX_DAYS = 731


class ForumStage(StrEnum):
    CALLING_FOR_ITEMS = "CALLING_FOR_ITEMS"
    AGENDA_FIXED = "AGENDA_FIXED"
    CONVENED = "CONVENED"
    CLOSED = "CLOSED"


DecisionKind = Literal["general", "launch-joint-action", "set-group-leads", "review"]


class ForumConvocation(Filing):
    """The secretariat starts a year's cycle."""

    year: Year
    on: Day | None = None
    venue: Line = ""
    host: Identity | None = None


class Rank(StrEnum):
    """The ministerial ranks a co-chair may hold (which side may name which: rules/p07_co_chairs.py).
    Civil-service ranks (Permanent Secretary, Permanent Under-Secretary) are not among them."""

    FIRST_VICE_MINISTER = "first-vice-minister"
    SECOND_VICE_MINISTER = "second-vice-minister"
    SECRETARY_OF_STATE = "secretary-of-state"
    MINISTER_OF_STATE = "minister-of-state"
    PARLIAMENTARY_UNDER_SECRETARY_OF_STATE = "parliamentary-under-secretary-of-state"

    @property
    def label(self) -> str:
        return RANKS[self]


RANKS: dict[Rank, str] = {
    Rank.FIRST_VICE_MINISTER: "First Vice Minister",
    Rank.SECOND_VICE_MINISTER: "Second Vice Minister",
    Rank.SECRETARY_OF_STATE: "Secretary of State",
    Rank.MINISTER_OF_STATE: "Minister of State",
    Rank.PARLIAMENTARY_UNDER_SECRETARY_OF_STATE: "Parliamentary Under-Secretary of State",
}


class CoChairNomination(Filing):
    """¶7: a Participant names its co-chair: the ministry and rank they hold, and their own title."""

    name: Name
    ministry: Ministry
    rank: Rank
    title: Line


class AgendaItemFiling(Filing):
    forum_id: WorkflowRef
    title: Line
    ref: Ref | None = None


class AgendaItemWithdrawal(Filing):
    """Withdraws an agenda item while the call is open, by whoever added it; names the filing
    that added it."""

    forum_id: WorkflowRef
    withdraws: FilingId


class AgendaAgreement(Filing):
    forum_id: WorkflowRef
    agenda_sha256: Sha256  # of the agenda as the Participant saw it (`agenda_digest`)


class Postponement(Filing):
    forum_id: WorkflowRef
    to: Day

    def terms(self) -> dict[str, str]:
        return {"to": self.to.isoformat()}


class Convening(Filing):
    forum_id: WorkflowRef
    attendees: Attendees


class DecisionTabled(Filing):
    forum_id: WorkflowRef
    text: Text
    ref: Ref | None = None  # a ¶ or commitment ref; for set-group-leads, the policy area
    kind: DecisionKind = "general"
    lead_uk: Name | None = None  # set-group-leads; for launch-joint-action, the action's leads
    lead_rok: Name | None = None
    # set-group-leads: the group's new reporting cadence (None keeps it); it reaches the group's
    # open joint actions too.
    cadence_months: int | None = Field(default=None, ge=1, le=12)

    LATER_FIELDS = ("cadence_months",)


class DecisionAgreement(Filing):
    forum_id: WorkflowRef
    decision: int
    tabled: FilingId  # the tabling instrument agreed to: a number alone could be re-tabled text


class MinutesFiling(Filing):
    forum_id: WorkflowRef
    text: LongText  # at most MINUTES_MAX characters when filed (rules/p07_forum.minutes_problem)


class MinutesApproval(Filing):
    forum_id: WorkflowRef
    minutes_sha256: Sha256  # of the minutes approved: new minutes need new approvals


class CoChair(Model):
    name: str
    ministry: Ministry
    rank: Rank
    title: str
    nominated_at: datetime


class AgendaItem(Model):
    title: str
    ref: str | None = None
    added_by: Identity | None = None  # None: a standing item added by the engine
    standing: bool = False
    filing_id: str = ""  # the filing that added it (what a withdrawal names); "" for standing items


class ForumDecision(Model):
    number: int
    text: str
    ref: str | None
    kind: DecisionKind
    lead_uk: str | None = None
    lead_rok: str | None = None
    cadence_months: int | None = None
    tabled_at: datetime
    agreed_by: list[Identity] = Field(default_factory=list)
    # The instruments, sent on as evidence when the decision sets something going (issue 11).
    tabling: DecisionTabled | None = None
    agreements: list[DecisionAgreement] = Field(default_factory=list)
    taken_at: datetime | None = None


class ForumCalendar(Filing):
    """¶7: the Forum's usual date each year, filed by the secretariat on the Partnership; each
    cycle then starts itself SCHEDULE_LEAD_DAYS before it (the Partnership's own timer)."""

    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)


class ForumCalendarView(Model):
    """`forum schedule show`: the usual date, and when the next cycle starts itself."""

    month: int | None
    day: int | None
    next_cycle_starts: datetime | None
    next_forum_on: date | None

    def line(self) -> str:
        """A usual date set, in words, as `schedule show` and `schedule set` and the console's Forum page
        say it (the month by name: 1/3 reads as 3 January)."""
        if self.month is None:
            return "no usual date is set"
        usual, starts = f"{self.day} {month_name[self.month]}", self.next_cycle_starts
        if starts is None:
            return f"Forum usually on {usual}; no cycle is due to start by itself"
        return f"Forum usually on {usual}; the next cycle starts {starts:%Y-%m-%d %H:%MZ} (Forum {self.next_forum_on})"


class ForumSummary(Model):
    forum_id: IdSized  # bounded as ActionSummary's fields are, for the same reason
    year: int
    on: Day
    venue: LineSized
    host: Identity
    stage: ForumStage
    overdue: bool = False
    seq: Seq = 0
    started_at: Moment | None = None  # instruments about the cycle come after it (issue 11)


class ForumCase(Model):
    forum_id: str
    partnership_id: str
    year: int
    on: date
    venue: str
    host: Identity
    keys: KeyRing
    started_at: datetime
    refs_in_force: list[str]  # commitment refs when the cycle started (launch-joint-action decisions)
    areas_in_force: list[str] = Field(default_factory=list)  # policy areas then (set-group-leads)
    stage: ForumStage = ForumStage.CALLING_FOR_ITEMS
    co_chairs: dict[Identity, CoChair] = Field(default_factory=dict)
    items: list[AgendaItem] = Field(default_factory=list)
    standing_items: list[AgendaItem] = Field(default_factory=list)
    agenda_agreed_by: list[Identity] = Field(default_factory=list)
    agenda_agreements: JointFilings = Field(default_factory=JointFilings)  # the filings (a withdrawal names one)
    agenda_fixed_at: datetime | None = None
    postponements: JointFilings = Field(default_factory=JointFilings)
    # Times both moved the meeting: the iCalendar SEQUENCE, so a calendar that imported the file
    # before a postponement takes the new date instead of keeping both (RFC 5545 §3.8.7.4).
    times_moved: int = 0
    reminders_sent: list[str] = Field(default_factory=list)
    convened_at: datetime | None = None
    attendees: list[str] = Field(default_factory=list)
    decisions: list[ForumDecision] = Field(default_factory=list)
    minutes: str | None = None
    minutes_approved_by: list[Identity] = Field(default_factory=list)
    minutes_approvals: JointFilings = Field(default_factory=JointFilings)  # the filings (a withdrawal names one)
    # The approvals themselves (one a Participant): the Partnership is told of the close with them.
    minutes_approval_instruments: list[MinutesApproval] = Field(default_factory=list)
    closed_at: datetime | None = None
    overdue: bool = False
    seq: int = 0
    seen_filings: list[str] = Field(default_factory=list)
    refused: RefusedMessages = Field(default_factory=RefusedMessages)  # messages not acted on
    outbox: list[DecisionRecord | Notification] = Field(default_factory=list)

    def agenda(self) -> list[AgendaItem]:
        return [*self.standing_items, *self.items]

    def took(self, instruments: list[str]) -> bool:
        """Whether this cycle took the decision, or closed on the approvals, these instruments are
        (what it answers the Partnership: models/records.SenderCheck)."""
        wanted = set(instruments)
        taken = [
            {d.tabling.evidence(), *(a.evidence() for a in d.agreements)}
            for d in self.decisions
            if d.taken_at and d.tabling
        ]
        closed = {a.evidence() for a in self.minutes_approval_instruments} if self.stage is ForumStage.CLOSED else None
        return wanted in taken or wanted == closed

    def summary(self) -> ForumSummary:
        return ForumSummary(
            forum_id=self.forum_id,
            year=self.year,
            on=self.on,
            venue=self.venue,
            host=self.host,
            stage=self.stage,
            overdue=self.overdue,
            seq=self.seq,
            started_at=self.started_at,
        )


class ForumView(Model):
    summary: ForumSummary
    co_chairs: dict[Identity, CoChair]
    agenda_deadline: date
    agenda: list[AgendaItem]
    agenda_agreed_by: list[Identity]
    agenda_fixed_at: datetime | None
    postponements: JointFilings
    times_moved: int = 0
    convened_at: datetime | None
    attendees: list[str]
    decisions: list[ForumDecision]
    minutes: str | None
    minutes_approved_by: list[Identity]
    closed_at: datetime | None
    agenda_agreements: JointFilings = Field(default_factory=JointFilings)
    minutes_approvals: JointFilings = Field(default_factory=JointFilings)

    def agenda_state(self) -> str:
        """Where the call for items stands (the CLI's `forum agenda show`, the console's pages)."""
        return "fixed" if self.agenda_fixed_at else f"open for items until {self.agenda_deadline}"


def agenda_digest(agenda: list[AgendaItem]) -> str:
    """What an agenda agreement signs: the SHA-256 of the agenda's items, in order."""
    # The filing id is not what is agreed to (and agreements signed before it was kept stay good).
    items = [item.model_dump(mode="json", exclude={"filing_id"}) for item in agenda]
    return hashlib.sha256(canonical_json(items)).hexdigest()


def minutes_digest(minutes: str) -> str:
    """What a minutes approval signs."""
    return hashlib.sha256(minutes.encode()).hexdigest()
