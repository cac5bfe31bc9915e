"""¶7: the Forum "will be held annually". A yearly Temporal Schedule runs this short workflow,
which asks the Partnership to start the next Forum cycle; a cycle already started by hand for
that year is not duplicated (the Partnership decides, from its register of cycles)."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.forum import DEFAULT_DAY, DEFAULT_MONTH, ForumDue
    from rules.p07_forum import next_forum_date


class ForumScheduleSettings(BaseModel):
    partnership_id: str
    month: int = DEFAULT_MONTH
    day: int = DEFAULT_DAY


@workflow.defn
class ForumScheduleWorkflow:
    @workflow.run
    async def run(self, settings: ForumScheduleSettings) -> ForumDue:
        on = next_forum_date(workflow.now().date(), settings.month, settings.day)
        due = ForumDue(year=on.year, on=on)
        await workflow.get_external_workflow_handle(settings.partnership_id).signal("forum_due", due)
        return due
