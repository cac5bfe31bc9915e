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
    from models.forum import ForumSummary
    from models.joint_action import ActionSummary
    from models.limits import shortened
    from models.partnership import PartnershipState
    from rules.messages import report_problem
    from workflows.bounded import still_open
    from workflows.handlers import governed_signal


class Rollups:
    _state: PartnershipState
    _file_closed: Any

    def _roll_up(
        self, kind: str, things: dict[str, Any], summary: Any, thing_id: str, recorded: tuple[str, ...]
    ) -> None:
        """Take a child's roll-up. Signals may arrive out of order, and a forged one may claim any
        count of changes: a close lands whatever its count, and is final (a child held open would
        count against the cap on open ones for good). `recorded`: what this Partnership recorded
        when it started the child, never the report's to change."""
        known = things[thing_id]  # the rule saw it
        if still_open(known) and (summary.seq > known.seq or not still_open(summary)):
            things[thing_id] = summary = summary.model_copy(update={f: getattr(known, f) for f in recorded})
            if not still_open(summary):
                self._file_closed(kind, thing_id, summary)

    @governed_signal(lambda wf, summary: report_problem(wf._state.actions, summary.action_id, "joint action"))
    def action_changed(self, summary: ActionSummary) -> None:
        summary.cost_arrangement = shortened(summary.cost_arrangement)  # issue 12; `action show` has it all
        proposed = ("ref", "area", "pillar", "title", "proposed_by")
        self._roll_up("action", self._state.actions, summary, summary.action_id, proposed)

    @governed_signal(lambda wf, summary: report_problem(wf._state.forums, summary.forum_id, "Forum cycle"))
    def forum_changed(self, summary: ForumSummary) -> None:
        self._roll_up("forum", self._state.forums, summary, summary.forum_id, ("year", "started_at"))

    @governed_signal(
        lambda wf, summary: report_problem(wf._state.consultations, summary.consultation_id, "consultation")
    )
    def consultation_changed(self, summary: ConsultationSummary) -> None:
        opened = ("about", "summary", "opened_by", "opened_at")
        self._roll_up("consultation", self._state.consultations, summary, summary.consultation_id, opened)
