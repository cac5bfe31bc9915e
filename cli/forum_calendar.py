"""`partnership forum calendar Y`: the Forum's meeting and deadlines as an iCalendar file (RFC 5545)
that calendar programs import. `icalendar` writes it (escaping, folding, line ends)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar, Event

from models.forum import AGENDA_REMINDER_DAYS, ForumStage, ForumView
from models.limits import control_free

PRODID = "-//UK-RoK Digital Partnership//Governance engine//EN"


def _all_day(
    uid: str,
    on: date,
    summary: str,
    description: str,
    stamp: datetime,
    sequence: int,
    location: str | None = None,
    cancelled: bool = False,
) -> Event:
    # RFC 5545 TEXT holds no control characters but the newline icalendar escapes: a venue with
    # CR or ESC must not put a raw one into a line.
    event = Event()
    event.add("uid", control_free(uid))
    event.add("dtstamp", stamp)
    event.add("sequence", sequence)
    event.add("dtstart", on)
    event.add("dtend", on + timedelta(days=1))
    event.add("summary", control_free(summary, keep="\n"))
    event.add("description", control_free(description, keep="\n"))
    if location:
        event.add("location", control_free(location, keep="\n"))
    if cancelled:
        event.add("status", "CANCELLED")
    return event


def forum_calendar(view: ForumView, stamp: datetime | None = None) -> str:
    """¶7: the Forum's meeting day, the day its call for agenda items closes, and the reminders."""
    stamp = (stamp or datetime.now(UTC)).astimezone(UTC)
    s = view.summary
    uid = f"{s.forum_id}@digital-partnership.localhost"
    calendar = Calendar()
    for key, value in (("version", "2.0"), ("prodid", PRODID), ("calscale", "GREGORIAN"), ("method", "PUBLISH")):
        calendar.add(key, value)
    where = f" at {s.venue}" if s.venue else ""
    # Each postponement moves every event (SEQUENCE). Once the call has closed (the agenda is fixed),
    # its deadline and reminders are cancelled, one revision on, so a calendar that imported them
    # takes them off (walkthrough 3, F12).
    call_closed = s.stage is not ForumStage.CALLING_FOR_ITEMS
    call_sequence = view.times_moved + int(call_closed)
    events = [
        _all_day(
            f"meeting-{uid}",
            s.on,
            f"UK-RoK Digital Partnership Forum {s.year}",
            f"The annual Forum (¶7){where}, hosted by {s.host}.",
            stamp,
            view.times_moved,
            s.venue,
        ),
        _all_day(
            f"agenda-deadline-{uid}",
            view.agenda_deadline,
            f"Forum {s.year}: agenda items due",
            "The call for agenda items closes at the end of this day.",
            stamp,
            call_sequence,
            cancelled=call_closed,
        ),
    ]
    events += [
        _all_day(
            f"agenda-reminder-{days}d-{uid}",
            view.agenda_deadline - timedelta(days=days - 1),
            f"Forum {s.year}: agenda items due in {days} day(s)",
            "Reminder of the call for agenda items.",
            stamp,
            call_sequence,
            cancelled=call_closed,
        )
        for days in AGENDA_REMINDER_DAYS
    ]
    for event in events:
        calendar.add_component(event)
    return calendar.to_ical().decode()
