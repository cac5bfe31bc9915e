"""¶9–27: a concrete joint action under one commitment lives proposed → agreed by both → active
(progress reports) → completed or discontinued, both by joint decision. ¶28: costs are each
side's own unless another arrangement is jointly decided. ¶32: the Partnership's termination does
not end it; only a joint decision does.

One workflow per action (`action-9b-…`), started by the Partnership with a parent-close policy of
ABANDON, so nothing that happens to the Partnership's own workflow can cancel it.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.identities import FILERS, other_participant
    from models.joint import JointFilings, JointWithdrawal
    from models.joint_action import (
        OWN_EXPENSES,
        ActionAgreement,
        ActionClosure,
        ActionState,
        ActionSummary,
        ActionView,
        CostArrangement,
        JointActionCase,
        ProgressEntry,
        ProgressReport,
        decided_since,
    )
    from models.limits import REPORTS_KEPT
    from models.messages import CadenceChanged, JointWindDown, TerminationTaken
    from rules.messages import cadence_changed_problem, termination_taken_problem, wound_down_problem
    from rules.p09_27_joint_actions import agreement_problem, closure_problem, report_due, report_problem
    from rules.p28_costs import cost_problem
    from workflows.common import GovernedWorkflow
    from workflows.handlers import governed_signal, governed_update, told_by_partnership


@workflow.defn
class JointActionWorkflow(GovernedWorkflow):
    @workflow.init
    def __init__(self, case: JointActionCase) -> None:
        self._case = case
        self._govern(case.seen_filings, case.outbox, case.refused, case.state.value)
        self.PARAGRAPH = case.ref
        # Read before any Update can run: a filing in the first task may already have changed state.
        self._launched_active = case.state is ActionState.ACTIVE

    @workflow.run
    async def run(self, case: JointActionCase) -> ActionSummary:
        if workflow.info().continued_run_id is None and self._launched_active:
            self._agreed(case.agreed_at or workflow.now(), "by a decision of the Forum")
            self._publish()
        elif workflow.info().continued_run_id is None:
            proposer = case.proposal.filed_by
            self._notify(
                "proposed",
                list(FILERS),
                f"{proposer} proposes joint action {case.action_id} under {case.ref}",
                f"{case.proposal.title}\n\n{case.proposal.description}\n\n"
                f"{other_participant(proposer)} may agree it: `partnership action agree {case.action_id}`.",
            )
        await self._serve_if_started_by(case.partnership_id)
        return self._case.summary()

    # The lifecycle -----------------------------------------------------------------------------------

    @governed_update(lambda wf, filing: agreement_problem(wf._case, filing))
    async def agree(self, filing: ActionAgreement) -> ActionView:
        """Agreed by both (the proposal is the proposer's side): the action is ACTIVE."""
        now = self._accept(filing)
        case = self._case
        case.state = ActionState.ACTIVE
        case.agreed_at = now
        self._agreed(now, "by UK and ROK")
        self._publish()
        return self.show()

    def _agreed(self, at: datetime, how: str) -> None:
        case = self._case
        self._record(
            "agreed",
            "joint-action-agreed",
            at,
            f"Joint action {case.action_id} under {case.ref} agreed {how}: {case.proposal.title}.",
            {"ref": case.ref, "title": case.proposal.title, "cost_arrangement": case.cost_arrangement},
        )
        self._notify("agreed", list(FILERS), f"Joint action {case.action_id} is active", case.proposal.title)

    @governed_update(lambda wf, filing: report_problem(wf._case, filing))
    async def report(self, filing: ProgressReport) -> ActionView:
        now = self._accept(filing)
        self._case.reports.append(
            ProgressEntry(
                by=filing.filed_by,
                received_at=now,
                status=filing.status,
                percent=filing.percent,
                note=filing.note,
            )
        )
        del self._case.reports[:-REPORTS_KEPT]
        self._case.reports_filed += 1
        self._case.overdue_reminders = 0
        self._publish()
        return self.show()

    @governed_update(lambda wf, filing: cost_problem(wf._case, filing))
    async def cost_share(self, filing: CostArrangement) -> ActionView:
        """¶28: another arrangement applies only once both Participants file the same text."""
        now = self._accept(filing)
        case = self._case
        terms = filing.arrangement.strip()
        what = f"a cost arrangement for {case.action_id} (¶28)"
        command = f"partnership action cost-share {case.action_id} --arrangement-file F"
        if self._file_jointly(case.cost_filings, filing, filing.terms(), what, command):
            case.cost_arrangement = terms
            case.cost_filings.clear()
            self._record(
                f"cost-arrangement/{filing.filing_id}",
                "cost-arrangement",
                now,
                f"Cost arrangement for {case.action_id} jointly decided (¶28): {terms}",
                {"arrangement": terms, "replaces": OWN_EXPENSES},
                paragraph="28",
            )
            self._notify(
                f"cost-arrangement/{filing.filing_id}",
                list(FILERS),
                f"Cost arrangement for {case.action_id} jointly decided",
                terms,
                paragraph="28",
            )
        self._publish()
        return self.show()

    @governed_update(lambda wf, filing: closure_problem(wf._case, filing))
    async def close(self, filing: ActionClosure) -> ActionView:
        """Complete or discontinue: each side files; the second filing makes it happen."""
        now = self._accept(filing)
        what = f"to {filing.outcome} joint action {self._case.action_id}"
        command = f"partnership action {filing.outcome} {self._case.action_id}"
        if self._file_jointly(self._case.closure_filings, filing, filing.terms(), what, command):
            self._case.closure_filings.clear()
            state = ActionState.COMPLETED if filing.outcome == "complete" else ActionState.DISCONTINUED
            self._end(state, now, filing.reason or f"jointly decided to {filing.outcome} it")
        else:
            self._publish()
        return self.show()

    def _joint(self, withdrawal: JointWithdrawal) -> tuple[JointFilings | None, str]:
        if withdrawal.decision == "cost-arrangement":
            return self._case.cost_filings, f"a cost arrangement for {self._case.action_id}"
        if withdrawal.decision == "closure":
            return self._case.closure_filings, f"the closure of {self._case.action_id}"
        return None, f"{withdrawal.decision} filing on a joint action"

    @governed_update(lambda wf, withdrawal: wf._joint_withdrawal_problem(withdrawal))
    async def withdraw_joint_filing(self, withdrawal: JointWithdrawal) -> ActionView:
        """Issue 15: the filer withdraws its side of a cost arrangement or closure while it waits."""
        self._take_withdrawal(withdrawal)
        self._publish()
        return self.show()

    # ¶32 ------------------------------------------------------------------------------------------------

    @governed_signal(
        lambda wf, m: (
            "the Partnership's termination is recorded here already"
            if wf._case.partnership_terminated_on is not None
            else termination_taken_problem(
                m, wf._case.keys, wf._case.partnership_id, wf._case.proposed_at, workflow.now()
            )
        ),
        confirm=told_by_partnership,
    )
    def partnership_terminated(self, message: TerminationTaken) -> None:
        """¶32: the Partnership has ended; this action goes on unless jointly wound down."""
        case = self._case
        if not case.state.is_open or case.partnership_terminated_on is not None:
            return
        on = message.termination.effective_on
        case.partnership_terminated_on = on
        self._record(
            "continues-after-termination",
            "joint-action-continues",
            workflow.now(),
            f"The Partnership terminated on {on}; joint action {case.action_id} continues (¶32).",
            {"terminated_on": on.isoformat(), "state": case.state.value},
            paragraph="32",
        )
        self._publish()

    @governed_signal(
        lambda wf, m: wound_down_problem(
            m, wf._case.keys, wf._case.partnership_id, wf._case.action_id, wf._case.proposed_at
        ),
        confirm=told_by_partnership,
    )
    def wound_down(self, message: JointWindDown) -> None:
        """¶32: both Participants jointly decided to wind down the ongoing activities."""
        if self._case.state.is_open:
            reason = message.filings[0].reason or "joint wind-down of ongoing joint actions (¶32)"
            self._end(ActionState.DISCONTINUED, workflow.now(), reason, paragraph="32")

    # ¶7 -------------------------------------------------------------------------------------------------

    @governed_signal(
        lambda wf, m: cadence_changed_problem(
            m,
            wf._case.keys,
            wf._case.partnership_id,
            wf._case.area,
            wf._case.proposed_at,
            wf._case.cadence_decided_by,
        ),
        confirm=told_by_partnership,
    )
    def cadence_changed(self, message: CadenceChanged) -> None:
        """¶7: the working group's reporting cadence was jointly changed; an open action follows
        it from now on (the next report is due as `report_due` says, never in the past)."""
        case = self._case
        case.cadence_decided_by = decided_since(case.cadence_decided_by, message.instruments())
        cadence = message.cadence_months()
        if not case.state.is_open or cadence == case.cadence_months:
            return
        was, now = case.cadence_months, workflow.now()
        case.cadence_months, case.cadence_changed_at = cadence, now
        case.overdue_reminders = 0  # the reminders sent counted the old cadence
        self._record(
            f"cadence/{message.instruments()[0]}",
            "joint-action-cadence",
            now,
            f"Joint action {case.action_id} now reports every {cadence} months (was {was}): "
            f"its working group's cadence was jointly changed (¶7).",
            {"cadence_months": cadence, "was": was, "instruments": message.instruments()},
            paragraph="7",
        )  # and the main loop, woken by it, sets the clock to the new report-due date

    # Reads ----------------------------------------------------------------------------------------------

    @workflow.query
    def show(self) -> ActionView:
        case = self._case
        return ActionView(
            summary=case.summary(),
            description=case.proposal.description,
            lead_uk=case.proposal.lead_uk,
            lead_rok=case.proposal.lead_rok,
            starts=case.proposal.starts,
            ends=case.proposal.ends,
            proposed_at=case.proposed_at,
            agreed_at=case.agreed_at,
            cadence_months=case.cadence_months,
            cadence_changed_at=case.cadence_changed_at,
            report_due=self._report_due(reminded=False),
            reports=case.reports,
            reports_filed=case.reports_filed,
            cost_filings=case.cost_filings,
            closure_filings=case.closure_filings,
            ended_at=case.ended_at,
            reason=case.reason,
            partnership_terminated_on=case.partnership_terminated_on,
        )

    # The clock: overdue progress reports ---------------------------------------------------------------

    def _report_due(self, reminded: bool = True) -> datetime | None:
        """When the next progress report is due; `reminded`: pushed on by each unanswered reminder
        (the clock's next reminder), else when it fell due (`show`)."""
        case = self._case
        if case.state is not ActionState.ACTIVE or case.agreed_at is None:
            return None
        since = case.reports[-1].received_at if case.reports else case.agreed_at
        reminders = case.overdue_reminders if reminded else 0
        return report_due(since, case.cadence_months, reminders, case.cadence_changed_at)

    def _next_deadline(self) -> datetime | None:
        return self._report_due()

    def _on_time(self) -> None:
        due = self._report_due()
        if due is None or workflow.now() < due:
            return
        case = self._case
        case.overdue_reminders += 1
        leads = ", ".join(filter(None, [case.proposal.lead_uk, case.proposal.lead_rok])) or "the leads"
        since = case.reports[-1].received_at if case.reports else case.agreed_at
        self._notify(
            f"report-overdue/{due.date().isoformat()}",
            list(FILERS),
            f"Progress report overdue for {case.action_id}",
            f"No progress report on {case.action_id} ({case.proposal.title}) since "
            f"{since:%Y-%m-%d}; the cadence is every {case.cadence_months} months. "
            f"For {leads}: `partnership action report {case.action_id}`.",
        )

    def _finished(self) -> bool:
        return not self._case.state.is_open

    # Outcomes ---------------------------------------------------------------------------------------------

    def _end(self, state: ActionState, at: datetime, reason: str, paragraph: str | None = None) -> None:
        case = self._case
        case.state = state
        case.ended_at = at
        case.reason = reason
        outcome = state.value.lower()
        self._record(
            outcome,
            f"joint-action-{outcome}",
            at,
            f"Joint action {case.action_id} under {case.ref} {outcome}: {reason}.",
            {"ref": case.ref, "state": state.value, "reason": reason},
            paragraph=paragraph,
        )
        self._notify(outcome, list(FILERS), f"Joint action {case.action_id} {outcome}", reason, paragraph=paragraph)
        self._publish()

    def _publish(self) -> None:
        """Search attributes for the Web UI, and the Partnership's register of joint actions."""
        self._case.seq += 1
        self._show_state(self._case.state.value)
        self._tell(self._case.partnership_id, "action_changed", self._case.summary(), latest_only=True)
