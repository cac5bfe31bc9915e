"""Calendar rules the text leaves open, decided in DESIGN §1.

Dates are read in a Participant's own time zone: a notice given *to* the other Participant is
received on the date it is where that Participant is, and takes effect at 00:00 there.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from models.identities import TIME_ZONES, Identity


def zone(participant: Identity) -> ZoneInfo:
    return ZoneInfo(TIME_ZONES[participant])


def local_date(moment: datetime, participant: Identity) -> date:
    """The calendar date of `moment` where `participant` is."""
    return moment.astimezone(zone(participant)).date()


def local_midnight(day: date, participant: Identity) -> datetime:
    """00:00 on `day` where `participant` is, as an aware UTC instant."""
    return datetime.combine(day, time(0, 0), tzinfo=zone(participant)).astimezone(UTC)


def filers_date(moment: datetime, filer: Identity) -> date:
    """The calendar date of `moment` as `filer` counts its days: a Participant where it is; the
    secretariat, which acts for neither side, in UTC."""
    return local_date(moment, filer) if filer.is_participant else moment.astimezone(UTC).date()
