"""The Partnership's programmes: ¶7 working-level governance per policy area, the joint actions
under ¶9–27, consultations under ¶29, and ¶32's rule that its termination does not end them.

This is the part of PartnershipWorkflow that starts and keeps the register of those governed
things; each lives in its own workflow (`workflows/joint_action.py`, `workflows/consultation.py`),
started with a parent-close policy of ABANDON so the Partnership's end cannot cancel it.
"""

from __future__ import annotations

import asyncio
import calendar
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import partial

from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes

with workflow.unsafe.imports_passed_through():
    from models.catalogue import amended_catalogue, areas_in_force, locate, paragraph_of
    from models.consultation import ConsultationCase, ConsultationRequest, ConsultationSummary
    from models.forum import (
        AGENDA_DEADLINE_DAYS,
        ForumCalendar,
        ForumCalendarView,
        ForumCase,
        ForumConvocation,
        ForumStage,
        ForumSummary,
    )
    from models.identities import FILERS, PARTICIPANTS, Identity
    from models.joint_action import (
        ActionReceipt,
        ActionState,
        ActionSummary,
        JointActionCase,
        JointActionProposal,
        action_id_for,
        rollup,
    )
    from models.limits import LINE_MAX
    from models.messages import CadenceChanged, TakenDecision, TerminationTaken
    from models.partnership import ConsultationReceipt, ForumReceipt, PartnershipState, Stage
    from models.search import GOVERNANCE_STATE, PARAGRAPH_REFS
    from models.working_group import GroupLeads, GroupReport, WorkingGroup
    from rules.common import child_id, held_id_problem
    from rules.messages import taken_decision_problem
    from rules.p07_forum import default_host, forum_date, forum_start_problem, open_forums_problem, standing_items
    from rules.p07_schedule import forum_calendar_problem, next_cycle_start
    from rules.p07_working_groups import leads_problem
    from rules.p09_27_joint_actions import action_proposal_problem, open_actions_problem
    from rules.p29_consultations import consultation_problem
    from workflows.consultation import ConsultationWorkflow
    from workflows.forum import ForumCycleWorkflow
    from workflows.handlers import governed_signal, governed_update
    from workflows.joint_action import JointActionWorkflow


class Programmes:
    """Mixin of PartnershipWorkflow; it relies on the GovernedWorkflow plumbing and `_state`."""

    _state: PartnershipState

    # ¶7 — working groups ---------------------------------------------------------------------------

    def _group(self, area: str) -> WorkingGroup:
        if area in self._state.working_groups:
            return self._state.working_groups[area]
        name, pillar = areas_in_force(self._state.catalogue_changes)[area]
        return WorkingGroup(area=area, name=name, pillar=pillar)

    @governed_update(lambda wf, filing: leads_problem(wf._state, filing))
    async def set_group_leads(self, filing: GroupLeads) -> WorkingGroup:
        """¶7: leads and cadence change only when both Participants file the same ones."""
        now = self._accept(filing)
        group = self._group(filing.area)
        self._state.working_groups[filing.area] = group
        group.instruments[filing.filed_by] = filing
        command = f"partnership group set-leads {filing.area} --lead-uk … --lead-rok … --cadence-months …"
        if self._file_jointly(group.pending, filing, filing.terms(), f"the leads of {group.name}", command, "7"):
            evidence = CadenceChanged(filings=[group.instruments[p] for p in PARTICIPANTS])
            group.lead_uk, group.lead_rok = filing.lead_uk, filing.lead_rok
            self._cadence_decided(group, filing.cadence_months, evidence)
            group.pending.clear()
            group.instruments.clear()
            self._record(
                f"working-group/{filing.area}/{filing.filing_id}",
                "working-group-leads",
                now,
                f"Working group {group.name}: leads {group.lead_uk} (UK) and {group.lead_rok} (ROK), "
                f"reporting every {group.cadence_months} months.",
                group.model_dump(mode="json", exclude={"pending", "instruments", "decided_by"}),
                paragraph="7",
            )
            self._notify(
                f"working-group/{filing.area}/{filing.filing_id}",
                list(FILERS),
                f"Working group {group.name}: leads set",
                f"UK lead {group.lead_uk}; ROK lead {group.lead_rok}; every {group.cadence_months} months.",
                paragraph="7",
            )
        return group

    def _leads_decided(self, taken: TakenDecision) -> None:
        """¶7: a taken Forum decision sets the leads (the Forum recorded the decision)."""
        tabled = taken.tabled
        if tabled.ref not in areas_in_force(self._state.catalogue_changes) or not (tabled.lead_uk and tabled.lead_rok):
            return
        group = self._group(tabled.ref)
        group.lead_uk, group.lead_rok = tabled.lead_uk, tabled.lead_rok
        self._cadence_decided(group, tabled.cadence_months or group.cadence_months, CadenceChanged(decision=taken))
        group.pending.clear()
        group.instruments.clear()
        self._state.working_groups[tabled.ref] = group

    def _decided_on(self, area: str | None) -> list[str]:
        group = self._state.working_groups.get(area or "")
        return group.decided_by if group else []

    def _cadence_decided(self, group: WorkingGroup, cadence_months: int, evidence: CadenceChanged) -> None:
        """¶7: a joint decision on a group sets its cadence for new joint actions and, when it
        changes it, for the open ones too: each is sent the decision's instruments to check."""
        group.decided(evidence.instruments())
        if cadence_months == group.cadence_months:
            return
        group.cadence_months = cadence_months
        self._taking(evidence.vouched())  # type: ignore[attr-defined]  # BoundedState's
        for action in self._state.actions.values():  # also those shown closed (see _tell_programmes_terminated)
            if action.area == group.area:
                self._tell(action.action_id, "cadence_changed", evidence)

    @workflow.query
    def groups(self) -> list[GroupReport]:
        areas = areas_in_force(self._state.catalogue_changes)
        return [self._report(area) for area in areas]

    def _report(self, area: str) -> GroupReport:
        actions = [a for a in self._state.actions.values() if a.area == area]
        return GroupReport(group=self._group(area), progress=rollup(actions), actions=actions)

    # ¶9–27 — joint actions -------------------------------------------------------------------------

    @governed_update(lambda wf, proposal: action_proposal_problem(wf._state, proposal, workflow.info().workflow_id))
    async def propose_joint_action(self, proposal: JointActionProposal) -> ActionReceipt:
        """A concrete action under a commitment; it starts its own JointActionWorkflow."""
        self._accept(proposal)
        # Searchable by its ref and the ¶ it sits under, where it sits under one (walkthrough 3, F5:
        # a commitment added as `quantum-a` failed every task of the Partnership here).
        paragraph = paragraph_of(proposal.ref)
        refs = [proposal.ref, *([str(paragraph)] if paragraph else [])]
        action_id, started = self._start_action(proposal, ActionState.PROPOSED, refs)
        await self._opened(started, proposal)
        return ActionReceipt(action_id=action_id)

    def _start_action(
        self, proposal: JointActionProposal, state: ActionState, refs: list[str], held: Callable | None = None
    ) -> tuple[str, asyncio.Future]:
        """Register the action and start its workflow, abandoned by the Partnership's close (¶32)."""
        wid = workflow.info().workflow_id
        now = workflow.now()
        action_id = child_id(wid, action_id_for(proposal.ref, proposal.title))
        area, pillar = locate(proposal.ref, self._state.catalogue_changes)  # type: ignore[misc]
        case = JointActionCase(
            action_id=action_id,
            partnership_id=wid,
            ref=proposal.ref,
            area=area,
            pillar=pillar,
            proposal=proposal,
            proposed_at=now,
            keys=self._state.keys,
            cadence_months=self._group(area).cadence_months,
            cadence_decided_by=self._group(area).decided_by,
            state=state,
            agreed_at=now if state is ActionState.ACTIVE else None,
        )
        self._state.actions[action_id] = case.summary()

        def undo() -> None:  # its id held: no entry, and `held` says so where it will be seen
            self._state.actions.pop(action_id, None)
            if held is not None:
                held()

        return action_id, self._start_child(JointActionWorkflow.run, case, action_id, attributes(state, refs), undo)

    @workflow.query
    def actions(self) -> list[ActionSummary]:
        return list(self._state.actions.values())

    # ¶32 — termination does not end them (a joint wind-down does: workflows/joint_decisions.py) -----

    def _tell_programmes_terminated(self, message: TerminationTaken) -> None:
        """¶32: every joint action it knows of is told, with the notice: an ongoing one goes on."""
        for action in self._state.actions.values():
            self._tell(action.action_id, "partnership_terminated", message)

    # ¶7 — the annual Forum ---------------------------------------------------------------------------

    @governed_update(lambda wf, convocation: forum_start_problem(wf._state, convocation, workflow.now()))
    async def start_forum(self, convocation: ForumConvocation) -> ForumReceipt:
        """¶7: the secretariat starts a year's Forum cycle (the yearly Schedule does too)."""
        self._accept(convocation)
        on = forum_date(convocation)
        forum_id, started = self._start_forum(convocation.year, on, convocation.venue, convocation.host)
        await self._opened(started, convocation)
        return ForumReceipt(forum_id=forum_id, on=on, agenda_deadline=on - timedelta(days=AGENDA_DEADLINE_DAYS))

    @governed_update(lambda wf, filing: forum_calendar_problem(wf._state, filing))
    async def set_forum_calendar(self, filing: ForumCalendar) -> ForumCalendarView:
        """¶7: the secretariat sets the Forum's usual date; each year's cycle then starts itself
        SCHEDULE_LEAD_DAYS before it, on this workflow's own timer."""
        now = self._accept(filing)
        self._state.forum_month, self._state.forum_day = filing.month, filing.day
        self._record(
            f"forum-calendar/{filing.filing_id}",
            "forum-calendar",
            now,
            f"The Forum's usual date is {filing.day} {calendar.month_name[filing.month]} each year.",
            {"month": filing.month, "day": filing.day},
            paragraph="7",
        )
        return self.forum_calendar()

    @workflow.query
    def forum_calendar(self) -> ForumCalendarView:
        due = self._forum_due()
        return ForumCalendarView(
            month=self._state.forum_month,
            day=self._state.forum_day,
            next_cycle_starts=due[0] if due else None,
            next_forum_on=due[1] if due else None,
        )

    def _forum_due(self) -> tuple[datetime, date] | None:
        """When the next cycle starts itself, and the Forum it is for; None without a usual date,
        when this year's cycle exists and next year's is not yet due, or while OPEN_FORUMS_MAX are
        open (issue 12: then no timer is left spinning either)."""
        month, day = self._state.forum_month, self._state.forum_day
        if month is None or day is None or self._state.stage not in (Stage.IN_EFFECT, Stage.TERMINATION_PENDING):
            return None
        started = {*self._state.forum_years, *self._state.forum_years_tried}
        return None if open_forums_problem(self._state) else next_cycle_start(workflow.now(), month, day, started)

    def _start_due_forum(self) -> None:
        due = self._forum_due()
        if due is not None and due[0] <= workflow.now():
            self._start_forum(due[1].year, due[1], "", None, by_timer=True)

    def _start_forum(
        self, year: int, on: date, venue: str, host: Identity | None, by_timer: bool = False
    ) -> tuple[str, asyncio.Future]:
        wid = workflow.info().workflow_id
        forum_id = child_id(wid, f"forum-{year}")
        refs, _ = amended_catalogue(self._state.catalogue_changes)
        case = ForumCase(
            forum_id=forum_id,
            partnership_id=wid,
            year=year,
            on=on,
            venue=venue,
            host=host or default_host(year),
            keys=self._state.keys,
            started_at=workflow.now(),
            refs_in_force=sorted(refs),
            areas_in_force=list(areas_in_force(self._state.catalogue_changes)),
            standing_items=standing_items(),
        )
        self._state.forums[forum_id] = case.summary()
        self._state.forum_years.append(year)

        def undo() -> None:
            self._state.forums.pop(forum_id, None)
            self._state.forum_years.remove(year)  # the secretariat may start it once the id is free
            if by_timer:  # the timer moves on to next year instead of trying again at once, for ever
                self._state.forum_years_tried = [*self._state.forum_years_tried[-2:], year]
                held = held_id_problem(forum_id)
                body = f"{held}. Once it is free: partnership forum start --as SECRETARIAT --year {year}"
                self._notify(f"forum-{year}/held", [Identity.SECRETARIAT], f"The Forum {year} was not started", body)

        started = self._start_child(
            ForumCycleWorkflow.run, case, forum_id, attributes(ForumStage.CALLING_FOR_ITEMS, ["7"]), undo
        )
        return forum_id, started

    @workflow.query
    def forums(self) -> list[ForumSummary]:
        return sorted(self._state.forums.values(), key=lambda f: f.year)

    @governed_signal(
        lambda wf, taken: taken_decision_problem(
            wf._state.forums.get(taken.forum_id), taken, wf._state.keys, wf._decided_on(taken.tabled.ref)
        ),
        confirm=lambda wf, taken: taken.forum_id,  # the cycle the rule found this Partnership started
    )
    def decision_taken(self, taken: TakenDecision) -> None:
        """A Forum decision taken by both sides that sets something going here."""
        if taken.tabled.kind == "launch-joint-action":
            self._launch(taken)
        elif taken.tabled.kind == "set-group-leads":
            self._leads_decided(taken)

    def _launch(self, taken: TakenDecision) -> None:
        """A taken Forum decision starts a joint action, already agreed by both."""
        tabled = taken.tabled
        wid = workflow.info().workflow_id
        if tabled.ref is None or len(tabled.text) > LINE_MAX:
            return  # the tabling rule refuses both; a decision tabled before it sets nothing going
        action_id = child_id(wid, action_id_for(tabled.ref, tabled.text))
        located = locate(tabled.ref, self._state.catalogue_changes)
        if self._state.known(action_id) or located is None or self._state.stage is Stage.TERMINATED:
            return
        if problem := open_actions_problem(self._state, Identity.SECRETARIAT):
            return self._refuse_message("decision_taken", f"decision {taken.number}: {problem}")  # type: ignore
        proposal = JointActionProposal(
            filed_by=Identity.SECRETARIAT,
            filing_id=f"{taken.forum_id}/decision/{taken.number}",
            addressed_to=wid,
            ref=tabled.ref,
            title=tabled.text,
            description=f"Launched by decision {taken.number} of {taken.forum_id}.",
            lead_uk=tabled.lead_uk,
            lead_rok=tabled.lead_rok,
        )
        held = partial(self._refuse_message, "decision_taken", f"decision {taken.number}: {held_id_problem(action_id)}")
        self._start_action(proposal, ActionState.ACTIVE, [tabled.ref, "7"], held)

    # ¶29 — consultations ---------------------------------------------------------------------------

    @governed_update(lambda wf, request: consultation_problem(wf._state, request))
    async def open_consultation(self, request: ConsultationRequest) -> ConsultationReceipt:
        now = self._accept(request)
        wid = workflow.info().workflow_id
        self._state.consultations_opened += 1
        consultation_id = child_id(wid, f"consultation-{self._state.consultations_opened}")
        case = ConsultationCase(
            consultation_id=consultation_id,
            partnership_id=wid,
            request=request,
            opened_at=now,
            keys=self._state.keys,
        )
        self._state.consultations[consultation_id] = case.summary()
        started = self._start_child(
            ConsultationWorkflow.run,
            case,
            consultation_id,
            attributes("OPEN", ["29", request.about.strip().lstrip("¶")]),
            partial(self._state.consultations.pop, consultation_id, None),
        )
        await self._opened(started, request)
        return ConsultationReceipt(consultation_id=consultation_id)

    @workflow.query
    def consultations(self) -> list[ConsultationSummary]:
        return list(self._state.consultations.values())


def attributes(state: str, refs: list[str]) -> TypedSearchAttributes:
    """Search attributes a governed thing starts with: its state and its ¶ / commitment refs."""
    return TypedSearchAttributes(
        [SearchAttributePair(GOVERNANCE_STATE, state), SearchAttributePair(PARAGRAPH_REFS, refs)]
    )
