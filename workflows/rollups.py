"""What the Partnership shows of the governed things it started: each child's roll-up, sent on every
change it makes (an action's progress, a cycle's stage, a consultation's rounds). A roll-up carries
no instrument, and anyone with access to the namespace can send one: it is taken only for a child
the Partnership started, within the bounds of the filings it comes from, never for what the
Partnership recorded itself, and never once the child is shown closed; no right rests on it (a
wind-down may name any action, key changes and notices go to every child). A mixin of
PartnershipWorkflow, which provides `_state` and `_file_closed`.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.consultation import ConsultationSummary
    from models.forum import ForumStage, ForumSummary
    from models.joint_action import ActionSummary
    from models.limits import shortened
    from models.partnership import PartnershipState
    from rules.messages import report_problem
    from workflows.handlers import governed_signal


class Rollups:
    _state: PartnershipState
    _file_closed: Any

    @governed_signal(lambda wf, summary: report_problem(wf._state.actions, summary.action_id, "joint action"))
    def action_changed(self, summary: ActionSummary) -> None:
        known = self._state.actions[summary.action_id]  # the rule saw it
        # Signals may arrive out of order, and a forged one may claim any count of changes: a close
        # lands whatever its count, and is final (an action held open would count against the cap
        # on open ones for good). What the proposal set is this Partnership's record.
        if known.state.is_open and (summary.seq > known.seq or not summary.state.is_open):
            proposed = {f: getattr(known, f) for f in ("ref", "area", "pillar", "title", "proposed_by")}
            summary = summary.model_copy(update=proposed)
            summary.cost_arrangement = shortened(summary.cost_arrangement)  # issue 12; `action show` has it all
            self._state.actions[summary.action_id] = summary
            if not summary.state.is_open:
                self._file_closed("action", summary.action_id, summary)

    @governed_signal(lambda wf, summary: report_problem(wf._state.forums, summary.forum_id, "Forum cycle"))
    def forum_changed(self, summary: ForumSummary) -> None:
        known = self._state.forums[summary.forum_id]  # the rule saw it; a close is final (see action_changed)
        closing = summary.stage is ForumStage.CLOSED  # year and start: the Partnership's record
        if known.stage is not ForumStage.CLOSED and (summary.seq > known.seq or closing):
            self._state.forums[summary.forum_id] = summary.model_copy(
                update={"year": known.year, "started_at": known.started_at}
            )
            if summary.stage is ForumStage.CLOSED:
                self._file_closed("forum", summary.forum_id, self._state.forums[summary.forum_id])

    @governed_signal(
        lambda wf, summary: report_problem(wf._state.consultations, summary.consultation_id, "consultation")
    )
    def consultation_changed(self, summary: ConsultationSummary) -> None:
        known = self._state.consultations[summary.consultation_id]  # the rule saw it; see action_changed
        if known.state == "OPEN" and (summary.seq > known.seq or summary.state != "OPEN"):
            opened = {f: getattr(known, f) for f in ("about", "summary", "opened_by", "opened_at")}
            summary = summary.model_copy(update=opened)
            self._state.consultations[summary.consultation_id] = summary
            if summary.state != "OPEN":
                self._file_closed("consultation", summary.consultation_id, summary)
