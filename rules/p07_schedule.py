"""¶7, the Forum's usual date: the secretariat sets it once, and the Partnership starts each
year's cycle by itself ahead of it (`forum schedule set`). The text says only that the Forum "will
be held annually"; when, and how a cycle starts, are decided here.

> 7. The UK-RoK Digital Partnership Forum will oversee the functioning of the Partnership. It will
> be held annually
"""

from __future__ import annotations

import calendar
from calendar import monthrange
from datetime import UTC, date, datetime, time, timedelta

from models.forum import AGENDA_DEADLINE_DAYS, SCHEDULE_LEAD_DAYS, ForumCalendar
from models.identities import Identity
from models.partnership import PartnershipState
from rules.common import in_effect_problem, on_day_of
from rules.tags import decided


@decided("7", "The Forum", "the next usual Forum date is the first still to come")
def next_forum_date(today: date, month: int, day: int) -> date:
    """The next usual Forum date after `today` (29 Feb falls back to 28 Feb in common years)."""
    this_year = on_day_of(today.year, month, day)
    return this_year if this_year > today else on_day_of(today.year + 1, month, day)


@decided("7", "The Forum", "each cycle starts itself 90 days before the Forum's usual date")
def next_cycle_start(now: datetime, month: int, day: int, started: set[int]) -> tuple[datetime, date] | None:
    """When the Partnership starts the next cycle by itself, and the Forum it is for: 00:00 UTC
    SCHEDULE_LEAD_DAYS before the usual date, in the first year with no cycle yet whose call for
    items could still run (a late start is made at once while the call's deadline is ahead)."""
    today = now.date()
    for year in range(today.year, today.year + 4):  # a cycle starts at most two years ahead: one is free
        forum_on = on_day_of(year, month, day)
        if year in started or forum_on - timedelta(days=AGENDA_DEADLINE_DAYS) <= today:
            continue
        starts = datetime.combine(forum_on - timedelta(days=SCHEDULE_LEAD_DAYS), time(), tzinfo=UTC)
        return starts, forum_on
    return None


@decided("7", "The Forum", "the secretariat sets the Forum's usual date, a day that exists every year")
def forum_calendar_problem(state: PartnershipState, filing: ForumCalendar) -> str | None:
    if filing.filed_by is not Identity.SECRETARIAT:
        return f"only the SECRETARIAT sets the Forum's usual date, not {filing.filed_by}"
    if problem := in_effect_problem(state, "Forum calendar"):
        return problem
    return usual_date_problem(filing.month, filing.day)


@decided("7", "The Forum", "29 February is a usual date too (28 February in common years)")
def usual_date_problem(month: int, day: int) -> str | None:
    """A usual date the calendar has (the CLI asks it before signing, the workflow again)."""
    longest = monthrange(2024, month)[1]  # a leap year
    if day > longest:
        return f"{calendar.month_name[month]} has no day {day}; choose 1–{longest}"
    return None
