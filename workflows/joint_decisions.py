"""Joint decisions (¶7, ¶28, ¶32, ¶9–27): each Participant files its side, and the decision is
taken when both have filed the same terms. Issue 15: a side's filing that waits tells the other
side, once, with its terms and how they differ from that side's own; and the filer may withdraw it.

`WaitingFilings` is that plumbing for every governance workflow (a base of GovernedWorkflow);
`PartnershipJointDecisions` is the Partnership's part: ¶32's joint wind-down, and the withdrawal
of a waiting side of a wind-down or of a working group's leads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.identities import Identity, other_participant
    from models.joint import JointFilings, JointWithdrawal
    from models.joint_action import ActionSummary, WindDown, wind_down_terms
    from models.messages import JointWindDown
    from models.partnership import PartnershipState
    from models.signing import Filing
    from rules.common import file_jointly, joint_withdrawal_problem
    from rules.p32_programmes_survive import wind_down_problem
    from workflows.handlers import governed_update


class WaitingFilings:
    """Mixin of GovernedWorkflow: one side of a joint decision, and the mails it owes the other."""

    def _notify(self, key: str, to: list[Identity], subject: str, body: str, paragraph: str | None = None) -> None:
        raise NotImplementedError  # GovernedWorkflow's

    def _file_jointly(
        self, filed: JointFilings, filing: Filing, terms: dict[str, str], what: str, command: str, paragraph: str = ""
    ) -> bool:
        """True when both sides now stand on the same terms; otherwise the other side is told, once
        (the mail is keyed by the filing), with these terms and how they differ from its own."""
        if file_jointly(filed, filing, terms):
            return True
        lines = [f"  {field}: {value}" for field, value in terms.items()]
        if filed.differs:
            lines.append(f"Your own pending filing differs: {filed.differs}.")
        self._awaits_other(filing, what, command, "\n".join(lines), paragraph)
        return False

    def _awaits_other(self, filing: Filing, what: str, command: str, details: str = "", paragraph: str = "") -> None:
        """Tell the other Participant that `filing` (a side's terms, an agreement) waits for its own."""
        other = other_participant(filing.filed_by)
        body = [f"{filing.filed_by} has filed {what}.", details, f"It is decided only when {other} files the same:"]
        self._notify(
            f"awaits/{filing.filing_id}",
            [other],
            f"{filing.filed_by} awaits your filing: {what}",
            "\n".join(line for line in body if line) + f" `{command} --as {other}`",
            paragraph or None,  # the ¶ the filing is under where it is not the workflow's own (¶32 on the Partnership)
        )

    def _joint(self, withdrawal: JointWithdrawal) -> tuple[JointFilings | None, str]:
        """The waiting filings of the joint decision a withdrawal names on this workflow (None: it
        has none of that kind), and what they are, in words."""
        return None, f"{withdrawal.decision} filing"

    def _joint_withdrawal_problem(self, withdrawal: JointWithdrawal) -> str | None:
        return joint_withdrawal_problem(*self._joint(withdrawal), withdrawal)

    def _take_withdrawal(self, withdrawal: JointWithdrawal) -> JointFilings:
        """Accept a withdrawal its rule passed: the filer's own waiting side goes, the other side
        is told. Answers what still waits."""
        self._accept(withdrawal)  # type: ignore[attr-defined]  # GovernedWorkflow's
        filed, what = self._joint(withdrawal)
        assert filed is not None  # the rule saw to it
        del filed.filed[withdrawal.filed_by]
        self._notify(
            f"withdrawn/{withdrawal.filing_id}",
            [other_participant(withdrawal.filed_by)],
            f"{withdrawal.filed_by} has withdrawn its filing: {what}",
            f"Filing {withdrawal.withdraws} of {withdrawal.filed_by} no longer awaits yours.",
        )
        return filed


class PartnershipJointDecisions:
    """Mixin of PartnershipWorkflow; it relies on the GovernedWorkflow plumbing and `_state`."""

    _state: PartnershipState
    _accept: Any
    _record: Any
    _tell: Any
    _file_jointly: Any
    _take_withdrawal: Any

    # ¶32 — termination does not end programmes; a joint wind-down does ------------------------------

    @governed_update(lambda wf, filing: wind_down_problem(wf._state, filing))
    async def wind_down(self, filing: WindDown) -> list[ActionSummary]:
        """¶32: both Participants file it, naming the same actions; then each is discontinued.
        Answers the joint actions still ongoing (those wound down now are not)."""
        now: datetime = self._accept(filing)
        ending: set[str] = set()
        self._state.wind_down_instruments[filing.filed_by] = filing
        what = f"a wind-down of {len(set(filing.actions))} joint action(s) (¶32)"
        command = "partnership action wind-down " + " ".join(f"--action {a}" for a in sorted(set(filing.actions)))
        if self._file_jointly(self._state.wind_down_filings, filing, wind_down_terms(filing), what, command, "32"):
            evidence = JointWindDown(filings=list(self._state.wind_down_instruments.values()))
            self._state.wind_down_filings.clear()
            self._state.wind_down_instruments.clear()
            ongoing = [self._state.actions[a] for a in sorted(set(filing.actions))]
            reason = filing.reason or "joint wind-down of ongoing joint actions (¶32)"
            self._record(
                f"wind-down/{filing.filing_id}",
                "joint-wind-down",
                now,
                f"UK and ROK jointly decided to wind down {len(ongoing)} joint action(s) (¶32); each still "
                "ongoing ends.",
                {"actions": [a.action_id for a in ongoing], "reason": reason},
                paragraph="32",
            )
            self._taking(evidence.vouched())  # type: ignore[attr-defined]  # BoundedState's
            for action in ongoing:
                self._tell(action.action_id, "wound_down", evidence)
            ending = {a.action_id for a in ongoing}
        return [a for a in self._state.actions.values() if a.state.is_open and a.action_id not in ending]

    @workflow.query
    def wind_down_filings(self) -> JointFilings:
        """Each side's pending wind-down (¶32), side by side."""
        return self._state.wind_down_filings

    # Issue 15: a side withdraws its own waiting filing ----------------------------------------------

    def _joint(self, withdrawal: JointWithdrawal) -> tuple[JointFilings | None, str]:
        """The waiting filings a withdrawal acts on here, and what they are, in words."""
        if withdrawal.decision == "wind-down":
            return self._state.wind_down_filings, "a wind-down of joint actions"
        if withdrawal.decision == "group-leads":
            group = self._state.working_groups.get(withdrawal.area or "")
            return (group.pending if group else None), f"the leads of the working group {withdrawal.area}"
        return None, f"{withdrawal.decision} filing (it is filed on a joint action or Forum cycle)"

    @governed_update(lambda wf, withdrawal: wf._joint_withdrawal_problem(withdrawal))
    async def withdraw_joint_filing(self, withdrawal: JointWithdrawal) -> JointFilings:
        """The filer withdraws its side of a wind-down or of a group's leads while it awaits the
        other's. Answers what still waits (the other side's filing, if any)."""
        filed = self._take_withdrawal(withdrawal)
        if withdrawal.decision == "wind-down":
            self._state.wind_down_instruments.pop(withdrawal.filed_by, None)
        else:  # the instrument was kept as evidence for the other side's matching filing
            self._state.working_groups[withdrawal.area or ""].instruments.pop(withdrawal.filed_by, None)
        return filed
