"""The yearly Temporal Schedule that starts each Forum cycle (¶7: held annually).

It fires SCHEDULE_LEAD_DAYS before the Forum's usual date, so the call for agenda items has time
to run; what it starts is ForumScheduleWorkflow, which asks the Partnership for the cycle.
"""

from __future__ import annotations

from datetime import date, timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleHandle,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from engine import config
from models.forum import DEFAULT_DAY, DEFAULT_MONTH, SCHEDULE_LEAD_DAYS
from workflows.forum_schedule import ForumScheduleSettings, ForumScheduleWorkflow


def schedule_id(partnership_id: str) -> str:
    return f"{partnership_id}-forum-schedule"


def fires_on(month: int, day: int) -> tuple[int, int]:
    """Month and day, each year, SCHEDULE_LEAD_DAYS before the Forum's usual date."""
    fire = date(2001, month, min(day, 28 if month == 2 else day)) - timedelta(days=SCHEDULE_LEAD_DAYS)
    return fire.month, fire.day


def forum_schedule(settings: ForumScheduleSettings, task_queue: str) -> Schedule:
    month, day = fires_on(settings.month, settings.day)
    return Schedule(
        action=ScheduleActionStartWorkflow(
            ForumScheduleWorkflow.run,
            settings,
            id=f"{settings.partnership_id}-forum-due",
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    month=[ScheduleRange(month)],
                    day_of_month=[ScheduleRange(day)],
                    comment=f"{SCHEDULE_LEAD_DAYS} days before the Forum's usual date, {settings.day}/{settings.month}",
                )
            ]
        ),
    )


async def ensure_forum_schedule(
    client: Client,
    partnership_id: str,
    task_queue: str | None = None,
    month: int = DEFAULT_MONTH,
    day: int = DEFAULT_DAY,
) -> ScheduleHandle:
    """Create the schedule once; an existing one (perhaps re-set by the secretariat) is kept."""
    settings = ForumScheduleSettings(partnership_id=partnership_id, month=month, day=day)
    try:
        return await client.create_schedule(
            schedule_id(partnership_id), forum_schedule(settings, task_queue or config.task_queue())
        )
    except ScheduleAlreadyRunningError:
        return client.get_schedule_handle(schedule_id(partnership_id))


async def forum_schedule_settings(client: Client, handle: ScheduleHandle) -> ForumScheduleSettings:
    description = await handle.describe()
    action = description.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    [settings] = await client.data_converter.decode(action.args, [ForumScheduleSettings])
    return settings


async def set_forum_schedule(client: Client, handle: ScheduleHandle, month: int, day: int) -> ForumScheduleSettings:
    current = await forum_schedule_settings(client, handle)
    settings = current.model_copy(update={"month": month, "day": day})

    def update(old: ScheduleUpdateInput) -> ScheduleUpdate:
        action = old.description.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        return ScheduleUpdate(schedule=forum_schedule(settings, action.task_queue))

    await handle.update(update)
    return settings
