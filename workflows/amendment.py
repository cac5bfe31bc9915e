"""¶33: "This Partnership may be amended with the mutual written consent of the Participants."

One workflow per proposal. The proposal carries the proposer's written consent; the amendment
takes effect when the other Participant consents, on the later of that day and the date the
proposal names. The other side may decline; the proposer may withdraw until the other consents;
an unanswered proposal lapses after its respond-by date, with reminders 30 and 7 days before.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.amendment import (
        REMINDER_DAYS,
        AmendmentCase,
        AmendmentConsent,
        AmendmentDecline,
        AmendmentStatus,
        AmendmentSummary,
        AmendmentView,
        AmendmentWithdrawal,
    )
    from models.calendar import local_date
    from models.identities import FILERS, other_participant
    from models.messages import AmendmentOutcome, TerminationTaken
    from rules.messages import termination_taken_problem
    from rules.p33_amendments import decline_problem, lapses_at, response_problem, takes_effect_at, withdrawal_problem
    from workflows.common import GovernedWorkflow
    from workflows.handlers import governed_signal, governed_update, told_by_partnership


@workflow.defn
class AmendmentWorkflow(GovernedWorkflow):
    PARAGRAPH = "33"

    @workflow.init
    def __init__(self, case: AmendmentCase) -> None:
        self._case = case
        self._govern(case.seen_filings, case.outbox, case.refused, case.status.value)

    @workflow.run
    async def run(self, case: AmendmentCase) -> AmendmentSummary:
        proposer = self._case.proposal.filed_by
        if workflow.info().continued_run_id is None:
            self._notify(
                "proposed",
                list(FILERS),
                f"{proposer} proposes amendment {case.amendment_id} to "
                f"{self._paragraphs()}; {other_participant(proposer)} to respond by {case.respond_by}",
                f"{proposer.title} proposes, with its written consent, to amend {self._paragraphs()}.\n\n"
                f"{case.proposal.summary}\n\n{case.proposal.text}\n\n"
                f"{other_participant(proposer)} may consent or decline by {case.respond_by}.",
            )
        await self._serve_if_started_by(case.partnership_id)
        return self._case.summary()

    def _finished(self) -> bool:
        return not self._case.status.is_open

    @governed_update(lambda wf, f: response_problem(wf._case, f, f.amendment_id, "consent to", workflow.now()))
    async def consent(self, filing: AmendmentConsent) -> AmendmentView:
        """¶33: the other Participant's written consent; both now exist."""
        now = self._accept(filing)
        proposer = self._case.proposal.filed_by
        today = local_date(now, proposer)
        requested = self._case.proposal.effective_on
        self._case.status = AmendmentStatus.CONSENTED
        self._case.consent = filing
        self._case.consented_at = now
        self._case.effective_on = max(today, requested) if requested else today
        self._publish()
        return self.show()

    @governed_update(lambda wf, f: decline_problem(wf._case, f, workflow.now()))
    async def decline(self, filing: AmendmentDecline) -> AmendmentView:
        now = self._accept(filing)
        self._case.decline = filing
        self._conclude(AmendmentStatus.DECLINED, now, filing.reason.strip())
        return self.show()

    @governed_update(lambda wf, f: withdrawal_problem(wf._case, f))
    async def withdraw(self, filing: AmendmentWithdrawal) -> AmendmentView:
        now = self._accept(filing)
        self._case.withdrawal = filing
        self._conclude(AmendmentStatus.WITHDRAWN, now, f"withdrawn by {filing.filed_by}")
        return self.show()

    @governed_signal(
        lambda wf, m: termination_taken_problem(
            m, wf._case.keys, wf._case.partnership_id, wf._case.proposed_at, workflow.now()
        ),
        confirm=told_by_partnership,
    )
    def partnership_terminated(self, message: TerminationTaken) -> None:
        """Nothing is amended after termination: an open proposal lapses."""
        if self._case.status.is_open:
            on = message.termination.effective_on
            self._conclude(AmendmentStatus.LAPSED, workflow.now(), f"the Partnership terminated on {on}")

    @workflow.query
    def show(self) -> AmendmentView:
        case = self._case
        proposer = case.proposal.filed_by
        return AmendmentView(
            amendment_id=case.amendment_id,
            status=case.status,
            proposed_by=proposer,
            consent_needed_from=(other_participant(proposer) if case.status is AmendmentStatus.PROPOSED else None),
            paragraphs=case.proposal.paragraphs,
            summary=case.proposal.summary,
            text=case.proposal.text,
            catalogue_changes=case.proposal.catalogue_changes,
            proposed_at=case.proposed_at,
            respond_by=case.respond_by,
            requested_effective_on=case.proposal.effective_on,
            consented_at=case.consented_at,
            effective_on=case.effective_on,
            concluded_at=case.concluded_at,
            reason=case.reason,
        )

    # The clock: reminders, lapse, effect -------------------------------------------------------------

    def _reminders(self) -> list[tuple[int, datetime]]:
        end = lapses_at(self._case)
        return [(days, end - timedelta(days=days)) for days in REMINDER_DAYS]

    def _next_deadline(self) -> datetime | None:
        if self._case.status is AmendmentStatus.CONSENTED:
            return takes_effect_at(self._case)
        if self._case.status is AmendmentStatus.PROPOSED:
            due = [at for days, at in self._reminders() if days not in self._case.reminders_sent]
            return min([*due, lapses_at(self._case)])
        return None

    def _on_time(self) -> None:
        now = workflow.now()
        case = self._case
        if case.status is AmendmentStatus.CONSENTED:
            effect = takes_effect_at(case)
            if effect is not None and now >= effect:
                case.status = AmendmentStatus.IN_EFFECT
                case.concluded_at = now
                self._publish()  # the Partnership records it and raises the text version
            return
        if case.status is not AmendmentStatus.PROPOSED:
            return
        if now >= lapses_at(case):
            self._conclude(AmendmentStatus.LAPSED, now, f"no response by {case.respond_by}")
            return
        responder = other_participant(case.proposal.filed_by)
        for days, at in self._reminders():
            if at <= now and days not in case.reminders_sent:
                case.reminders_sent.append(days)
                self._notify(
                    f"reminder/{days}-days",
                    list(FILERS),
                    f"Reminder: amendment {case.amendment_id} awaits {responder}'s response by {case.respond_by}",
                    f"{responder} has {days} days left to consent to or decline amendment "
                    f"{case.amendment_id} to {self._paragraphs()}. Unanswered, it lapses after "
                    f"{case.respond_by}.",
                )

    # Outcomes ----------------------------------------------------------------------------------------

    def _conclude(self, status: AmendmentStatus, at: datetime, reason: str) -> None:
        """Declined, withdrawn or lapsed: recorded, notified, reported to the Partnership."""
        case = self._case
        case.status = status
        case.concluded_at = at
        case.reason = reason
        outcome = status.value.lower()
        self._record(
            outcome,
            f"amendment-{outcome}",
            at,
            f"Amendment {case.amendment_id} to {self._paragraphs()} {outcome}: {reason}.",
            {"amendment_id": case.amendment_id, "status": status.value, "reason": reason},
        )
        self._notify(
            outcome,
            list(FILERS),
            f"Amendment {case.amendment_id} {outcome}",
            f"Amendment {case.amendment_id} to {self._paragraphs()} is {outcome}: {reason}.",
        )
        self._publish()

    def _publish(self) -> None:
        """Search attributes for the Web UI, and the Partnership's list of amendments."""
        self._show_state(self._case.status.value)
        self._tell(self._case.partnership_id, "amendment_changed", self._outcome(), latest_only=True)

    def _outcome(self) -> AmendmentOutcome:
        case = self._case
        return AmendmentOutcome(
            summary=case.summary(), consent=case.consent, decline=case.decline, withdrawal=case.withdrawal
        )

    def _paragraphs(self) -> str:
        return ", ".join(f"¶{p}" for p in self._case.proposal.paragraphs)
