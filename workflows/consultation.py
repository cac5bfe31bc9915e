"""¶29: "Any differences that may arise from the interpretation or implementation of this
Partnership will be resolved amicably through consultations between the Participants."

One workflow per difference raised. Rounds of consultation are noted; either Participant proposes
an outcome; it counts only when the other accepts it. No adjudicator, no vote, and no deadline
that forces an outcome: a consultation idle for 30 days only reminds both sides.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.consultation import (
        IDLE_DAYS,
        ConsultationCase,
        ConsultationRound,
        ConsultationState,
        ConsultationSummary,
        ConsultationView,
        ConsultationWithdrawal,
        ProposalRecord,
        ResolutionAcceptance,
        ResolutionProposal,
        RoundRecord,
    )
    from models.identities import FILERS, PARTICIPANTS
    from rules.p29_consultations import (
        acceptance_problem,
        consultation_withdrawal_problem,
        proposal_problem,
        round_problem,
    )
    from workflows.common import GovernedWorkflow
    from workflows.handlers import governed_update


@workflow.defn
class ConsultationWorkflow(GovernedWorkflow):
    PARAGRAPH = "29"

    @workflow.init
    def __init__(self, case: ConsultationCase) -> None:
        self._case = case
        self._govern(case.seen_filings, case.outbox, case.refused, case.state.value)

    @workflow.run
    async def run(self, case: ConsultationCase) -> ConsultationSummary:
        if workflow.info().continued_run_id is None:
            request = case.request
            self._notify(
                "opened",
                list(FILERS),
                f"{request.filed_by} opens consultation {case.consultation_id} about {request.about}",
                f"{request.summary}\n\n¶29: differences are resolved amicably through consultations.",
            )
        await self._serve_if_started_by(case.partnership_id)
        return self._case.summary()

    @governed_update(lambda wf, filing: round_problem(wf._case, filing, workflow.now()))
    async def note(self, filing: ConsultationRound) -> ConsultationView:
        now = self._accept(filing)
        self._case.rounds.append(
            RoundRecord(
                by=filing.filed_by,
                received_at=now,
                held_on=filing.held_on,
                attendees=filing.attendees,
                note=filing.note,
            )
        )
        self._touch(now)
        return self.show()

    @governed_update(lambda wf, filing: proposal_problem(wf._case, filing))
    async def propose(self, filing: ResolutionProposal) -> ConsultationView:
        now = self._accept(filing)
        number = len(self._case.proposals) + 1
        self._case.proposals.append(
            ProposalRecord(number=number, by=filing.filed_by, received_at=now, resolution=filing.resolution)
        )
        other = [p for p in PARTICIPANTS if p is not filing.filed_by]
        self._notify(
            f"proposal/{number}",
            [*other, *[i for i in FILERS if i not in PARTICIPANTS]],
            f"{filing.filed_by} proposes outcome {number} for {self._case.consultation_id}",
            f"{filing.resolution}\n\nIt counts only if you accept it: "
            f"`partnership consult accept {self._case.consultation_id} --proposal {number}`.",
        )
        self._touch(now)
        return self.show()

    @governed_update(lambda wf, filing: acceptance_problem(wf._case, filing))
    async def accept(self, filing: ResolutionAcceptance) -> ConsultationView:
        """Both Participants stand on the outcome: the difference is resolved."""
        now = self._accept(filing)
        case = self._case
        accepted = case.proposals[[p.number for p in case.proposals].index(filing.proposal)]
        case.state = ConsultationState.RESOLVED
        case.resolved_at = now
        case.resolution = accepted
        case.accepted_by = filing.filed_by
        self._record(
            "resolved",
            "consultation-resolved",
            now,
            f"Consultation {case.consultation_id} about {case.request.about} resolved: proposal "
            f"{accepted.number} of {accepted.by}, accepted by {filing.filed_by}.",
            {
                "about": case.request.about,
                "resolution": accepted.resolution,
                "proposed_by": accepted.by.value,
            },
        )
        self._notify(
            "resolved",
            list(FILERS),
            f"Consultation {case.consultation_id} resolved",
            accepted.resolution,
        )
        self._touch(now)
        return self.show()

    @governed_update(lambda wf, filing: consultation_withdrawal_problem(wf._case, filing))
    async def withdraw(self, filing: ConsultationWithdrawal) -> ConsultationView:
        """The Participant that opened it withdraws it (issue 15): it closes unresolved."""
        now = self._accept(filing)
        case = self._case
        case.state = ConsultationState.WITHDRAWN
        self._record(
            "withdrawn",
            "consultation-withdrawn",
            now,
            f"Consultation {case.consultation_id} about {case.request.about} withdrawn by {filing.filed_by}.",
            {"about": case.request.about, "withdrawn_by": filing.filed_by.value},
        )
        self._notify(
            "withdrawn",
            list(FILERS),
            f"Consultation {case.consultation_id} withdrawn by {filing.filed_by}",
            f"About {case.request.about}: {case.request.summary}",
        )
        self._touch(now)
        return self.show()

    @workflow.query
    def show(self) -> ConsultationView:
        case = self._case
        return ConsultationView(
            summary=case.summary(),
            rounds=case.rounds,
            proposals=case.proposals,
            resolution=case.resolution,
            accepted_by=case.accepted_by,
            last_activity_at=case.last_activity_at,
        )

    # The clock: idle reminders only --------------------------------------------------------------------

    def _idle_due(self) -> datetime | None:
        case = self._case
        if case.state is not ConsultationState.OPEN:
            return None
        since = case.last_activity_at or case.opened_at
        return since + timedelta(days=IDLE_DAYS * (case.idle_reminders + 1))

    def _next_deadline(self) -> datetime | None:
        return self._idle_due()

    def _on_time(self) -> None:
        due = self._idle_due()
        if due is None or workflow.now() < due:
            return
        case = self._case
        case.idle_reminders += 1
        self._notify(
            f"idle/{case.idle_reminders}",
            list(FILERS),
            f"Consultation {case.consultation_id} has been idle for {IDLE_DAYS * case.idle_reminders} days",
            f"About {case.request.about}: {case.request.summary}\n\nNo outcome is forced (¶29); "
            "this is a reminder to meet, note a round, or propose an outcome.",
        )

    def _finished(self) -> bool:
        return self._case.state is not ConsultationState.OPEN

    def _touch(self, at: datetime) -> None:
        self._case.last_activity_at = at
        self._case.idle_reminders = 0
        self._case.seq += 1
        self._show_state(self._case.state.value)
        self._tell(self._case.partnership_id, "consultation_changed", self._case.summary(), latest_only=True)
