"""¶7: "The UK-RoK Digital Partnership Forum will oversee the functioning of the Partnership. It
will be held annually and chaired by a Vice Minister of the Ministry of Science and ICT of the
Republic of Korea and a Ministerial counterpart at the Department for Science, Innovation and
Technology of the United Kingdom. … The scope, objectives, and means of optimal cooperation will be
reviewed as needed."

One workflow per year (`forum-2027`): a call for agenda items with its deadline and reminders; the
co-chairs; an agenda both sides agree; a durable timer until the meeting, which only both sides can
move; decisions taken when both co-chairs' sides agree; minutes approved by both, then published.
Not met by 31 December of its year: everyone is told and the cycle shows OVERDUE.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.calendar import local_date
    from models.forum import (
        AgendaAgreement,
        AgendaItem,
        AgendaItemFiling,
        AgendaItemWithdrawal,
        CoChair,
        CoChairNomination,
        Convening,
        DecisionAgreement,
        DecisionTabled,
        ForumCase,
        ForumDecision,
        ForumStage,
        ForumSummary,
        ForumView,
        MinutesApproval,
        MinutesFiling,
        Postponement,
    )
    from models.identities import FILERS, PARTICIPANTS, Identity
    from models.joint import JointFilings, JointWithdrawal, PendingFiling
    from models.messages import ForumClosed, TakenDecision
    from rules.common import file_jointly
    from rules.p07_forum import (
        agenda_agreement_problem,
        agenda_deadline,
        approval_problem,
        convening_problem,
        decision_agreement_problem,
        item_problem,
        milestones,
        minutes_problem,
        nomination_problem,
        postponement_problem,
        tabling_problem,
    )
    from rules.p07_forum_withdrawals import agreement_withdrawal_problem, item_withdrawal_problem
    from workflows.common import GovernedWorkflow
    from workflows.handlers import governed_update
    from workflows.vouching import Vouches


@workflow.defn
class ForumCycleWorkflow(Vouches, GovernedWorkflow):
    PARAGRAPH = "7"

    @workflow.init
    def __init__(self, case: ForumCase) -> None:
        self._case = case
        self._govern(case.seen_filings, case.outbox, case.refused, case.stage.value)

    @workflow.run
    async def run(self, case: ForumCase) -> ForumSummary:
        if workflow.info().continued_run_id is None:
            self._notify(
                "call-for-items",
                list(FILERS),
                f"Forum {case.year}: call for agenda items, by {agenda_deadline(case)}",
                f"The UK-RoK Digital Partnership Forum {case.year} meets on {case.on}"
                f"{' at ' + case.venue if case.venue else ''}, hosted by {case.host}.\n"
                f"Agenda items are welcome until {agenda_deadline(case)}: "
                f"`partnership forum agenda add --as … --title T`.",
            )
        await self._serve_if_started_by(case.partnership_id)
        return self._case.summary()

    # Co-chairs and agenda ----------------------------------------------------------------------------

    @governed_update(lambda wf, filing: nomination_problem(wf._case, filing))
    async def nominate(self, filing: CoChairNomination) -> ForumView:
        """¶7: each Participant nominates its own co-chair."""
        now = self._accept(filing)
        self._case.co_chairs[filing.filed_by] = CoChair(
            name=filing.name, ministry=filing.ministry, rank=filing.rank, title=filing.title, nominated_at=now
        )
        self._publish()
        return self.show()

    @governed_update(lambda wf, filing: item_problem(wf._case, filing, workflow.now()))
    async def add_item(self, filing: AgendaItemFiling) -> ForumView:
        self._accept(filing)
        item = AgendaItem(title=filing.title, ref=filing.ref, added_by=filing.filed_by, filing_id=filing.filing_id)
        self._case.items.append(item)
        # An agreement was to the agenda as it stood; a new item needs both to agree again.
        self._case.agenda_agreed_by.clear()
        self._case.agenda_agreements.clear()
        self._publish()
        return self.show()

    @governed_update(lambda wf, filing: item_withdrawal_problem(wf._case, filing))
    async def withdraw_item(self, filing: AgendaItemWithdrawal) -> ForumView:
        """Whoever added an item may withdraw it while the call is open (issue 15)."""
        self._accept(filing)
        case = self._case
        item = next(i for i in case.items if i.filing_id == filing.withdraws)
        case.items.remove(item)
        case.agenda_agreed_by.clear()  # an agreement was to the agenda as it stood
        case.agenda_agreements.clear()
        self._notify(
            f"item-withdrawn/{filing.filing_id}",
            [i for i in FILERS if i is not filing.filed_by],
            f"Forum {case.year}: {filing.filed_by} has withdrawn an agenda item",
            f"Withdrawn: {item.title}. The agenda needs both Participants' agreement again.",
        )
        self._publish()
        return self.show()

    @governed_update(lambda wf, filing: agenda_agreement_problem(wf._case, filing))
    async def agree_agenda(self, filing: AgendaAgreement) -> ForumView:
        now = self._accept(filing)
        case = self._case
        case.agenda_agreed_by.append(filing.filed_by)
        file_jointly(case.agenda_agreements, filing, {"agenda_sha256": filing.agenda_sha256})
        if all(p in case.agenda_agreed_by for p in PARTICIPANTS):
            case.stage = ForumStage.AGENDA_FIXED
            case.agenda_fixed_at = now
            self._notify(
                "agenda-fixed",
                list(FILERS),
                f"Forum {case.year}: the agenda is fixed",
                "\n".join(f"{i}. {item.title}" for i, item in enumerate(case.agenda(), 1)),
            )
        else:
            what = f"its agreement to the agenda of the Forum {case.year} ({len(case.agenda())} items)"
            self._awaits_other(filing, what, f"partnership forum agenda agree --year {case.year}")
        self._publish()
        return self.show()

    # The meeting -------------------------------------------------------------------------------------

    @governed_update(lambda wf, filing: postponement_problem(wf._case, filing, workflow.now()))
    async def postpone(self, filing: Postponement) -> ForumView:
        """The Forum moves only when both Participants file the same new date."""
        now = self._accept(filing)
        case = self._case
        what = f"to move the Forum {case.year} from {case.on} to {filing.to}"
        command = f"partnership forum postpone --year {case.year} --to {filing.to}"
        if self._file_jointly(case.postponements, filing, filing.terms(), what, command):
            was = case.on
            case.on = filing.to
            case.times_moved += 1
            case.postponements.clear()
            move = f"postponed/{case.times_moved}"  # by its number: moved back and forth, one move is made twice
            self._record(
                f"{move}/{was}-{filing.to}",
                "forum-postponed",
                now,
                f"Forum {case.year} moved from {was} to {filing.to} by both Participants.",
                {"from": was.isoformat(), "to": filing.to.isoformat()},
            )
            self._notify(f"{move}/{filing.to}", list(FILERS), f"Forum {case.year} moved to {filing.to}", f"Was {was}.")
        self._publish()
        return self.show()

    @governed_update(lambda wf, filing: convening_problem(wf._case, filing, workflow.now()))
    async def convene(self, filing: Convening) -> ForumView:
        now = self._accept(filing)
        case = self._case
        case.stage = ForumStage.CONVENED
        case.convened_at = now
        case.attendees = [a.strip() for a in filing.attendees if a.strip()]
        chairs = " and ".join(f"{c.name} ({c.title})" for c in case.co_chairs.values())
        self._record(
            "met",
            "forum-met",
            now,
            f"The Forum {case.year} met on {local_date(now, case.host)}, co-chaired by {chairs}.",
            {"attendees": case.attendees, "co_chairs": {p: c.name for p, c in case.co_chairs.items()}},
        )
        self._publish()
        return self.show()

    def _joint(self, withdrawal: JointWithdrawal) -> tuple[JointFilings | None, str]:
        case, kind = self._case, withdrawal.decision
        if kind == "postponement":
            return case.postponements, f"a postponement of the Forum {case.year}"
        if kind == "agenda-agreement":
            return case.agenda_agreements, f"an agreement to the agenda of the Forum {case.year}"
        if kind == "minutes-approval":
            return case.minutes_approvals, f"an approval of the minutes of the Forum {case.year}"
        if kind == "decision-agreement" and withdrawal.number and withdrawal.number <= len(case.decisions):
            decision = case.decisions[withdrawal.number - 1]  # its agreements are its instruments
            filed = {a.filed_by: PendingFiling(filing_id=a.filing_id, terms={}) for a in decision.agreements}
            return JointFilings(filed=filed), f"an agreement to decision {decision.number} of the Forum {case.year}"
        return None, f"{kind} filing on a Forum cycle"

    @governed_update(lambda wf, w: agreement_withdrawal_problem(wf._case, w) or wf._joint_withdrawal_problem(w))
    async def withdraw_joint_filing(self, withdrawal: JointWithdrawal) -> ForumView:
        """Issue 15: the filer withdraws its postponement, or its agreement to the agenda, a decision
        or the minutes, while it awaits the other's."""
        self._take_withdrawal(withdrawal)
        case, by = self._case, withdrawal.filed_by
        if withdrawal.decision == "agenda-agreement":
            case.agenda_agreed_by.remove(by)
        elif withdrawal.decision == "minutes-approval":
            case.minutes_approved_by.remove(by)
            case.minutes_approval_instruments = [a for a in case.minutes_approval_instruments if a.filed_by is not by]
        elif withdrawal.decision == "decision-agreement" and withdrawal.number:
            decision = case.decisions[withdrawal.number - 1]
            decision.agreed_by.remove(by)
            decision.agreements = [a for a in decision.agreements if a.filed_by is not by]
        self._publish()
        return self.show()

    # Decisions and minutes ---------------------------------------------------------------------------

    @governed_update(lambda wf, filing: tabling_problem(wf._case, filing))
    async def table_decision(self, filing: DecisionTabled) -> ForumDecision:
        now = self._accept(filing)
        decision = ForumDecision(
            number=len(self._case.decisions) + 1,
            text=filing.text,
            ref=filing.ref,
            kind=filing.kind,
            tabled_at=now,
            lead_uk=filing.lead_uk,
            lead_rok=filing.lead_rok,
            cadence_months=filing.cadence_months,
            tabling=filing,
        )
        self._case.decisions.append(decision)
        return decision

    @governed_update(lambda wf, filing: decision_agreement_problem(wf._case, filing))
    async def agree_decision(self, filing: DecisionAgreement) -> ForumDecision:
        """A decision is taken when both co-chairs' sides have agreed it."""
        now = self._accept(filing)
        case = self._case
        decision = case.decisions[filing.decision - 1]
        decision.agreed_by.append(filing.filed_by)
        decision.agreements.append(filing)
        if all(p in decision.agreed_by for p in PARTICIPANTS):
            decision.taken_at = now
            self._record(
                f"decision/{decision.number}",
                f"forum-decision-{decision.kind}",
                now,
                f"Forum {case.year}, decision {decision.number}: {decision.text}",
                decision.model_dump(mode="json"),
                paragraph=decision.ref or "7",
            )
            self._notify(
                f"decision/{decision.number}",
                list(FILERS),
                f"Forum {case.year}: decision {decision.number} taken",
                decision.text,
            )
            self._follow_up(decision)
        else:
            what = f"its agreement to decision {decision.number} of the Forum {case.year}: {decision.text}"
            self._awaits_other(filing, what, f"partnership forum agree {decision.number} --year {case.year}")
        return decision

    def _follow_up(self, decision: ForumDecision) -> None:
        """What a taken decision sets going in the Partnership: it receives the decision as its
        instruments (the tabling and both agreements) and reads what to do from the tabling."""
        if decision.kind in ("launch-joint-action", "set-group-leads") and decision.tabling is not None:
            taken = TakenDecision(
                forum_id=self._case.forum_id,
                number=decision.number,
                tabled=decision.tabling,
                agreements=decision.agreements,
            )
            self._tell(self._case.partnership_id, "decision_taken", taken)

    @governed_update(lambda wf, filing: minutes_problem(wf._case, filing))
    async def file_minutes(self, filing: MinutesFiling) -> ForumView:
        self._accept(filing)
        self._case.minutes = filing.text
        self._case.minutes_approved_by = []  # new minutes, new approvals
        self._case.minutes_approvals.clear()
        self._case.minutes_approval_instruments = []
        return self.show()

    @governed_update(lambda wf, filing: approval_problem(wf._case, filing))
    async def approve_minutes(self, filing: MinutesApproval) -> ForumView:
        """Approved by both: the minutes are published and the cycle closes."""
        now = self._accept(filing)
        case = self._case
        case.minutes_approved_by.append(filing.filed_by)
        file_jointly(case.minutes_approvals, filing, {"minutes_sha256": filing.minutes_sha256})
        case.minutes_approval_instruments.append(filing)
        if all(p in case.minutes_approved_by for p in PARTICIPANTS):
            case.stage = ForumStage.CLOSED
            case.closed_at = now
            self._record(
                "minutes-approved",
                "forum-minutes-approved",
                now,
                f"Minutes of the Forum {case.year} approved by UK and ROK and published.",
                {"minutes": case.minutes, "decisions": len(case.decisions)},
            )
            self._notify(
                "minutes-published",
                [*FILERS, Identity.AUDITOR],
                f"Minutes of the UK-RoK Digital Partnership Forum {case.year}",
                case.minutes or "",
            )
            # The Partnership calls for a checkpoint of the register on both approvals (issue 14).
            closed = ForumClosed(forum_id=case.forum_id, approvals=case.minutes_approval_instruments)
            self._tell(case.partnership_id, "forum_closed", closed)
        else:
            what = f"its approval of the minutes of the Forum {case.year}"
            self._awaits_other(filing, what, f"partnership forum approve --year {case.year}")
        self._publish()
        return self.show()

    # Reads ----------------------------------------------------------------------------------------------

    @workflow.query
    def show(self) -> ForumView:
        case = self._case
        return ForumView(
            summary=case.summary(),
            co_chairs=case.co_chairs,
            agenda_deadline=agenda_deadline(case),
            agenda=case.agenda(),
            agenda_agreed_by=case.agenda_agreed_by,
            agenda_fixed_at=case.agenda_fixed_at,
            postponements=case.postponements,
            times_moved=case.times_moved,
            convened_at=case.convened_at,
            attendees=case.attendees,
            decisions=case.decisions,
            minutes=case.minutes,
            minutes_approved_by=case.minutes_approved_by,
            closed_at=case.closed_at,
            agenda_agreements=case.agenda_agreements,
            minutes_approvals=case.minutes_approvals,
        )

    # The clock --------------------------------------------------------------------------------------------

    def _next_deadline(self) -> datetime | None:
        due = [at for _, at in milestones(self._case)]
        return min(due) if due else None

    def _on_time(self) -> None:
        case = self._case
        now = workflow.now()
        changed = False
        for label, at in milestones(case):
            if at > now:
                continue
            case.reminders_sent.append(label)
            if label.startswith("call-reminder"):
                days = label.split("-")[2]
                self._notify(
                    label,
                    list(FILERS),
                    f"Forum {case.year}: the call for agenda items closes in {days.rstrip('d')} day(s)",
                    f"Items are taken until {agenda_deadline(case)}.",
                )
            elif label.startswith("call-closed"):
                self._notify(label, list(FILERS), f"Forum {case.year}: the call for agenda items has closed", "")
            elif label.startswith("meeting-day"):
                self._notify(label, list(FILERS), f"The Forum {case.year} meets today ({case.on})", case.venue)
            elif label == "overdue":
                case.overdue = True
                changed = True
                self._notify(
                    "overdue",
                    list(FILERS),
                    f"Escalation: the Forum {case.year} has not met by 31 December",
                    f"¶7: the Forum is held annually. The {case.year} Forum has not met; it can still meet.",
                )
        if changed:
            self._publish()

    def _finished(self) -> bool:
        return self._case.stage is ForumStage.CLOSED

    def _publish(self) -> None:
        self._case.seq += 1
        state = (
            "OVERDUE" if self._case.overdue and self._case.stage is not ForumStage.CLOSED else self._case.stage.value
        )
        self._show_state(state)
        self._tell(self._case.partnership_id, "forum_changed", self._case.summary(), latest_only=True)
