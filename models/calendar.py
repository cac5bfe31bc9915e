"""Calendar rules the text leaves open, decided in DESIGN §1.

Dates are read in a Participant's own time zone: a notice given *to* the other Participant is
received on the date it is where that Participant is, and takes effect at 00:00 there.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from models.identities import TIME_ZONES, Identity

#: ¶31: "at least six months in advance".
NOTICE_MONTHS = 6


def zone(participant: Identity) -> ZoneInfo:
    return ZoneInfo(TIME_ZONES[participant])


def local_date(moment: datetime, participant: Identity) -> date:
    """The calendar date of `moment` where `participant` is."""
    return moment.astimezone(zone(participant)).date()


def local_midnight(day: date, participant: Identity) -> datetime:
    """00:00 on `day` where `participant` is, as an aware UTC instant."""
    return datetime.combine(day, time(0, 0), tzinfo=zone(participant)).astimezone(UTC)


def add_months(day: date, months: int) -> date:
    """Calendar months later (or earlier, if negative); a day the month lacks clamps to its last
    day: 31 Aug + 6 months is 28 Feb (29 in a leap year)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def earliest_termination_date(received_at: datetime, recipient: Identity) -> date:
    """¶31: six calendar months from the date of receipt in the recipient's time zone."""
    return add_months(local_date(received_at, recipient), NOTICE_MONTHS)
