"""¶9–27: concrete joint actions under the commitments, their progress and costs (¶28)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from models.base import Model
from models.identities import Identity
from models.joint import JointFilings
from models.keyring import KeyRing
from models.limits import (
    ENTRIES_MAX,
    LIST_MAX,
    Day,
    IdSized,
    Line,
    LineSized,
    Moment,
    Name,
    Ref,
    Seq,
    Text,
    TextSized,
    WorkflowRef,
)
from models.records import DecisionRecord, Notification, RefusedMessages, SenderCheck
from models.signing import Filing

#: ¶28: "each Participant will bear its own expenses … unless otherwise jointly decided".
OWN_EXPENSES = "Each Participant bears its own expenses (¶28)."
#: Working groups report quarterly unless their leads decide otherwise.
DEFAULT_CADENCE_MONTHS = 3
#: Joint decisions on a group whose instruments are remembered (two or three instruments each).
DECIDED_MAX = 3 * ENTRIES_MAX


def decided_since(known: list[str], instruments: list[str]) -> list[str]:
    """The instruments of a group's joint decisions, with a new decision's: the latest only, so
    the state stays bounded over decades (a decision older than DECIDED_MAX ago is forgotten)."""
    return [*known, *instruments][-DECIDED_MAX:]


class ActionReceipt(Model):
    """What a proposal of a joint action is answered with: the id of the action's own workflow."""

    action_id: str


class ActionState(StrEnum):
    PROPOSED = "PROPOSED"
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    DISCONTINUED = "DISCONTINUED"

    @property
    def is_open(self) -> bool:
        return self in (ActionState.PROPOSED, ActionState.ACTIVE)


class Progress(StrEnum):
    ON_TRACK = "on-track"
    AT_RISK = "at-risk"
    OFF_TRACK = "off-track"


class JointActionProposal(Filing):
    """Filed to the Partnership: a concrete action under a commitment of the catalogue."""

    ref: Ref
    title: Line
    description: Text = ""
    lead_uk: Name | None = None
    lead_rok: Name | None = None
    starts: Day | None = None
    ends: Day | None = None


class ActionAgreement(Filing):
    action_id: WorkflowRef


class ProgressReport(Filing):
    action_id: WorkflowRef
    status: Progress
    percent: int = Field(ge=0, le=100)
    note: Text = ""


class CostArrangement(Filing):
    """¶28: another arrangement than own expenses; applies once both file the same text."""

    action_id: WorkflowRef
    arrangement: Text

    def terms(self) -> dict[str, str]:
        return {"arrangement": self.arrangement.strip()}


class ActionClosure(Filing):
    """Completion or discontinuation: both file it; the second makes it happen."""

    action_id: WorkflowRef
    outcome: Literal["complete", "discontinue"]
    reason: Line = ""

    def terms(self) -> dict[str, str]:
        return {"outcome": self.outcome}


class WindDown(Filing):
    """¶32: both Participants jointly decide to wind down ongoing joint actions, named."""

    reason: Line = ""
    # The joint actions wound down, by id: the instrument acts on these and on no later one.
    actions: list[WorkflowRef] = Field(min_length=1, max_length=LIST_MAX)


def wind_down_terms(filing: WindDown) -> dict[str, str]:
    """What both Participants' wind-downs must agree on: the same actions."""
    return {"actions": ",".join(sorted(set(filing.actions)))}


def wind_down_actions(terms: dict[str, str]) -> list[str]:
    """The actions a wind-down's terms (`wind_down_terms`) name."""
    return [a for a in terms.get("actions", "").split(",") if a]


#: What filing a wind-down with no action named, when none is ongoing, is told (the CLI, the console).
NOTHING_TO_WIND_DOWN = "no joint action is ongoing; there is nothing to wind down"


def wound_down_line(filing: WindDown, still_open: list[ActionSummary]) -> str | None:
    """What a wind-down's receipt (the actions still ongoing) means once it is taken; None while it
    awaits the other Participant's (the CLI and the console say that each in its own way)."""
    if {a.action_id for a in still_open} & set(filing.actions):
        return None
    return f"wound down by both Participants (¶32): {', '.join(filing.actions)}"


class ProgressEntry(Model):
    by: Identity
    received_at: datetime
    status: Progress
    percent: int
    note: str


class ActionSummary(Model):
    """What the Partnership keeps of each joint action (lists, roll-ups, ¶32 notices)."""

    # Each field bounded as the filing it came from is: a roll-up is a signal anyone with access to
    # the namespace can send, and the Partnership carries what it takes (issue 12).
    action_id: IdSized
    ref: IdSized
    area: IdSized
    pillar: int = Field(ge=0, le=99)
    title: LineSized
    state: ActionState
    proposed_by: Identity
    percent: int | None = Field(default=None, ge=0, le=100)
    progress: Progress | None = None
    last_report_at: Moment | None = None
    cost_arrangement: TextSized = OWN_EXPENSES
    continues_after_termination: bool = False
    seq: Seq = 0  # bumped on every change; the Partnership ignores a stale (reordered) signal


class JointActionCase(Model):
    """The JointActionWorkflow's input and state."""

    action_id: str
    partnership_id: str
    ref: str
    area: str
    pillar: int
    proposal: JointActionProposal
    proposed_at: datetime
    keys: KeyRing
    cadence_months: int = DEFAULT_CADENCE_MONTHS
    # ¶7: when the group's cadence was last jointly changed while this action was open, and the
    # instruments of the group's joint decisions it knows (a message resting on one is stale).
    cadence_changed_at: datetime | None = None
    cadence_decided_by: list[str] = Field(default_factory=list)
    state: ActionState = ActionState.PROPOSED
    agreed_at: datetime | None = None
    reports: list[ProgressEntry] = Field(default_factory=list)  # the latest REPORTS_KEPT
    reports_filed: int = 0  # every report, shown or not
    cost_arrangement: str = OWN_EXPENSES
    cost_filings: JointFilings = Field(default_factory=JointFilings)
    closure_filings: JointFilings = Field(default_factory=JointFilings)
    overdue_reminders: int = 0  # since the last report (or agreement)
    ended_at: datetime | None = None
    reason: str | None = None
    partnership_terminated_on: date | None = None
    seq: int = 0
    seen_filings: list[str] = Field(default_factory=list)
    refused: RefusedMessages = Field(default_factory=RefusedMessages)  # messages not acted on
    outbox: list[DecisionRecord | Notification | SenderCheck] = Field(default_factory=list)

    @model_validator(mode="after")
    def _count_reports_carried_from_before(self) -> JointActionCase:
        """A case carried from before reports were counted holds every report it took (review 6)."""
        self.reports_filed = max(self.reports_filed, len(self.reports))
        return self

    def summary(self) -> ActionSummary:
        latest = self.reports[-1] if self.reports else None
        return ActionSummary(
            action_id=self.action_id,
            ref=self.ref,
            area=self.area,
            pillar=self.pillar,
            title=self.proposal.title,
            state=self.state,
            proposed_by=self.proposal.filed_by,
            percent=latest.percent if latest else None,
            progress=latest.status if latest else None,
            last_report_at=latest.received_at if latest else None,
            cost_arrangement=self.cost_arrangement,
            continues_after_termination=self.partnership_terminated_on is not None,
            seq=self.seq,
        )


class ActionView(Model):
    """`action show`."""

    summary: ActionSummary
    description: str
    lead_uk: str | None
    lead_rok: str | None
    starts: date | None
    ends: date | None
    proposed_at: datetime
    agreed_at: datetime | None
    cadence_months: int
    reports: list[ProgressEntry]  # the latest REPORTS_KEPT of `reports_filed`
    reports_filed: int = 0
    cadence_changed_at: datetime | None = None
    report_due: datetime | None = None  # ACTIVE only: the next report's due date (past: overdue)
    cost_filings: JointFilings
    closure_filings: JointFilings
    ended_at: datetime | None
    reason: str | None
    partnership_terminated_on: date | None


class Rollup(Model):
    """Progress of a set of joint actions: counts, and the mean percent of the active ones."""

    actions: int = 0
    proposed: int = 0
    active: int = 0
    completed: int = 0
    discontinued: int = 0
    mean_percent: float | None = None
    at_risk: int = 0
    off_track: int = 0


def rollup(actions: list[ActionSummary]) -> Rollup:
    active = [a for a in actions if a.state is ActionState.ACTIVE]
    reported = [a.percent for a in active if a.percent is not None]
    return Rollup(
        actions=len(actions),
        proposed=sum(a.state is ActionState.PROPOSED for a in actions),
        active=len(active),
        completed=sum(a.state is ActionState.COMPLETED for a in actions),
        discontinued=sum(a.state is ActionState.DISCONTINUED for a in actions),
        mean_percent=round(sum(reported) / len(reported), 1) if reported else None,
        at_risk=sum(a.progress is Progress.AT_RISK for a in active),
        off_track=sum(a.progress is Progress.OFF_TRACK for a in active),
    )


#: Characters of a joint action's id that come from its title.
TITLE_SLUG_MAX = 48


def action_id_for(ref: str, title: str) -> str:
    """`action-9b-open-ran-testbed`: derived from the commitment and the title, so the same title
    under the same ref is the same action (case, spacing and punctuation aside).

    Accents fold to their Latin letters (`Café` gives `cafe`). Letters the id cannot hold (a
    Korean title, or the Korean words of a mixed one) would vanish and make different titles one
    id, so they add the first 8 hex digits of the title's SHA-256: `action-13a-untitled-1c9f…` for
    a title with no Latin letter or digit at all. A long title is cut after its last whole word
    within TITLE_SLUG_MAX characters, never mid-word."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", title) if not unicodedata.combining(c))
    words = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    unheld = any(c.isalnum() and not c.isascii() for c in folded)
    if unheld or not words:
        same = " ".join(unicodedata.normalize("NFC", title).casefold().split())
        digest = hashlib.sha256(same.encode()).hexdigest()[:8]
        words = f"{_whole_words(words, TITLE_SLUG_MAX - 9) or 'untitled'}-{digest}"
    return f"action-{ref}-{_whole_words(words, TITLE_SLUG_MAX)}"


def _whole_words(slug: str, most: int) -> str:
    """`slug` (words joined by hyphens) cut to at most `most` characters after a whole word; a
    first word longer than that is cut."""
    if len(slug) <= most:
        return slug
    cut = slug[: most + 1]
    return cut.rsplit("-", 1)[0] if "-" in cut else slug[:most]
