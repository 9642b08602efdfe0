"""Dates and times as people in the UK read them: "Thursday 23 January 2025, 10am to 3pm"."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def local(value: datetime, tz: str) -> datetime:
    return value.astimezone(ZoneInfo(tz))


def clock(value: datetime) -> str:
    """10am, 10:30am, 12pm (midday is 12pm, as GOV.UK writes it)."""
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    if value.minute:
        return f"{hour}:{value.minute:02d}{suffix}"
    return f"{hour}{suffix}"


def day(value: datetime) -> str:
    return f"{value:%A} {value.day} {value:%B %Y}"


def when(starts_at: datetime, ends_at: datetime, tz: str) -> str:
    """The span of an event in its own time zone."""
    start, end = local(starts_at, tz), local(ends_at, tz)
    if start.date() == end.date():
        return f"{day(start)}, {clock(start)} to {clock(end)}"
    return f"{day(start)}, {clock(start)} to {day(end)}, {clock(end)}"


def short(value: datetime, tz: str) -> str:
    """23 January 2025, 10am."""
    moment = local(value, tz)
    return f"{moment.day} {moment:%B %Y}, {clock(moment)}"
