"""Calendar rules the text leaves open, decided in DESIGN §1: dates are read in a Participant's
own time zone."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from models.identities import TIME_ZONES, Identity


def zone(participant: Identity) -> ZoneInfo:
    return ZoneInfo(TIME_ZONES[participant])


def local_date(moment: datetime, participant: Identity) -> date:
    """The calendar date of `moment` where `participant` is."""
    return moment.astimezone(zone(participant)).date()
