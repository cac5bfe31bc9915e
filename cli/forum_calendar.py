"""`partnership forum calendar Y`: the Forum's meeting and deadlines as an iCalendar file (RFC 5545)
that calendar programs import."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from models.forum import AGENDA_REMINDER_DAYS, ForumView

PRODID = "-//UK-RoK Digital Partnership//Governance engine//EN"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> list[str]:
    """Lines longer than 75 octets continue on the next line after a space."""
    out, raw = [], line.encode()
    while len(raw) > 75:
        cut = 75
        while (raw[cut] & 0xC0) == 0x80:  # never split a UTF-8 character
            cut -= 1
        out.append(raw[:cut].decode())
        raw = b" " + raw[cut:]
    out.append(raw.decode())
    return out


def _all_day(uid: str, on: date, summary: str, description: str, stamp: datetime) -> list[str]:
    return [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}",
        f"DTSTART;VALUE=DATE:{on:%Y%m%d}",
        f"DTEND;VALUE=DATE:{on + timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{_escape(summary)}",
        f"DESCRIPTION:{_escape(description)}",
        "END:VEVENT",
    ]


def forum_calendar(view: ForumView, stamp: datetime | None = None) -> str:
    stamp = (stamp or datetime.now(UTC)).astimezone(UTC)
    s = view.summary
    uid = f"{s.forum_id}@digital-partnership.localhost"
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    where = f" at {s.venue}" if s.venue else ""
    lines += _all_day(
        f"meeting-{uid}",
        s.on,
        f"UK-RoK Digital Partnership Forum {s.year}",
        f"The annual Forum (¶7){where}, hosted by {s.host}.",
        stamp,
    )
    lines[-1:-1] = [f"LOCATION:{_escape(s.venue)}"] if s.venue else []
    lines += _all_day(
        f"agenda-deadline-{uid}",
        view.agenda_deadline,
        f"Forum {s.year}: agenda items due",
        "The call for agenda items closes at the end of this day.",
        stamp,
    )
    for days in AGENDA_REMINDER_DAYS:
        lines += _all_day(
            f"agenda-reminder-{days}d-{uid}",
            view.agenda_deadline - timedelta(days=days - 1),
            f"Forum {s.year}: agenda items due in {days} day(s)",
            "Reminder of the call for agenda items.",
            stamp,
        )
    lines.append("END:VCALENDAR")
    return "".join(f"{folded}\r\n" for line in lines for folded in _fold(line))
