"""Messages between governed workflows (issue 11): each that changes a right, an obligation, the
text, a lead or a lifecycle state carries the signed instruments it rests on, so the receiver can
check them against its own key registry before it acts. Temporal does not say who sent a signal;
these instruments do.

The roll-ups a child sends its Partnership (`action_changed`, `forum_changed`,
`consultation_changed`) carry no instrument: the Partnership takes them only for a child it
started and only within the bounds of the filings they come from, and no right rests on what they
say (a forged one can change what is shown until the child's next report); `audit verify` reports
any signal no governed workflow sent.
"""

from __future__ import annotations

from pydantic import Field

from models.amendment import AmendmentConsent, AmendmentDecline, AmendmentSummary, AmendmentWithdrawal
from models.base import Model
from models.forum import DecisionAgreement, DecisionTabled, MinutesApproval
from models.joint_action import WindDown
from models.keyring import KeyChange
from models.limits import ENTRIES_MAX, WorkflowRef
from models.partnership import Termination, TerminationNotice
from models.signing import Filing
from models.working_group import GroupLeads


class AmendmentOutcome(Model):
    """Amendment → Partnership: where the proposal stands, with the instrument that put it there
    (the other Participant's consent, its decline, or the proposer's withdrawal). A lapse carries
    none: the Partnership checks the respond-by date against its own clock."""

    summary: AmendmentSummary
    consent: AmendmentConsent | None = None
    decline: AmendmentDecline | None = None
    withdrawal: AmendmentWithdrawal | None = None


class CarriesInstruments(Model):
    """A message between workflows that carries the signed instruments it rests on; its sender
    vouches for them when the receiver asks (`SenderCheck`)."""

    def carried(self) -> list[Filing]:
        raise NotImplementedError

    def instruments(self) -> list[str]:
        """The filing ids of what it carries (a decision acted on once is known by them)."""
        return [f.filing_id for f in self.carried()]

    def vouched(self) -> list[str]:
        """What its sender vouches for when asked: each instrument exactly as signed."""
        return [f.evidence() for f in self.carried()]


class TakenDecision(CarriesInstruments):
    """Forum → Partnership: a decision taken at the Forum, as its instruments: the secretariat's
    tabling and both Participants' agreements naming that tabling. What it sets going (a joint
    action, a working group's leads) is read from the tabling itself, never from the message."""

    forum_id: WorkflowRef
    number: int = Field(ge=1, le=ENTRIES_MAX)
    tabled: DecisionTabled
    agreements: list[DecisionAgreement] = Field(max_length=2)

    def carried(self) -> list[Filing]:
        """The tabling and both agreements."""
        return [self.tabled, *self.agreements]


class TerminationTaken(CarriesInstruments):
    """Partnership → an open amendment or an ongoing joint action: the Partnership terminated on
    this notice. The receiver checks the notice's signature and that its clock has passed the
    termination's effective time."""

    notice: TerminationNotice
    termination: Termination

    def carried(self) -> list[Filing]:
        return [self.notice]

    def vouched(self) -> list[str]:
        """The notice that took effect, and the date it did (a genuine undated notice, copied,
        would otherwise carry any date)."""
        return [*super().vouched(), f"effective-on:{self.termination.effective_on.isoformat()}"]


class JointWindDown(CarriesInstruments):
    """Partnership → a joint action (¶32): both Participants' wind-down instruments naming it."""

    filings: list[WindDown] = Field(max_length=2)

    def carried(self) -> list[Filing]:
        """The two wind-downs the Partnership took."""
        return list(self.filings)


class CadenceChanged(CarriesInstruments):
    """Partnership → each open joint action of a policy area (¶7): its working group's reporting
    cadence was jointly changed. It carries what the change rests on: both Participants' matching
    set-leads filings, or the taken Forum decision (the secretariat's tabling and both
    agreements). The area and the cadence are read from those instruments, never from the message."""

    filings: list[GroupLeads] = Field(default_factory=list, max_length=2)
    decision: TakenDecision | None = None

    def cadence_months(self) -> int:
        """The cadence its instruments set (once `cadence_changed_problem` has found them good)."""
        if self.decision is not None:
            return self.decision.tabled.cadence_months or 0
        return self.filings[0].cadence_months

    def carried(self) -> list[Filing]:
        """What the change rests on (an action takes each change once, known by their ids)."""
        return self.decision.carried() if self.decision is not None else list(self.filings)


class ForumClosed(CarriesInstruments):
    """Forum → Partnership: the cycle has closed, as its instruments: both Participants' approvals
    of the same minutes. The Partnership then calls for a checkpoint of the register (issue 14)."""

    forum_id: WorkflowRef
    approvals: list[MinutesApproval] = Field(max_length=2)

    def carried(self) -> list[Filing]:
        """The approvals the cycle closed on."""
        return list(self.approvals)


#: Key changes one signal forwards to a child: as many as a workflow task of the Partnership takes
#: (it takes a few filings at a time), with room to spare.
KEY_CHANGES_MAX = 20


class KeyChanges(Model):
    """Key changes the Partnership forwards to a child in one signal, in the order it received
    them: the child verifies each against the registry the ones before it left."""

    changes: list[KeyChange] = Field(min_length=1, max_length=KEY_CHANGES_MAX)
