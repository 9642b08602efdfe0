"""Dates and times as people read them in the current language (fairground.i18n):
"Thursday 23 January 2025, 10am to 3pm" in English as GOV.UK writes it, and each
other language's own form by Babel ("czwartek, 23 stycznia 2025, 10:00 – 15:00").
Always in the event's own time zone."""

from __future__ import annotations

from datetime import date as Date
from datetime import datetime
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from babel.dates import DateTimePattern, get_date_format, get_time_format

from fairground import i18n

Length = Literal["full", "long", "short"]


@lru_cache(maxsize=64)
def _pattern(kind: str, length: Length, locale: str) -> DateTimePattern:
    """The locale's pattern, parsed once: format_date/format_time parse it on every
    call (a list of 20 fairs in Arabic rendered at 0.4× the English; see
    bench/languages.py). The values are already in the event's zone."""
    loc = i18n.babel_locale()
    return (get_date_format if kind == "date" else get_time_format)(length, locale=loc)


def _format(kind: str, length: Length, value: datetime | Date) -> str:
    language = i18n.language()
    return str(_pattern(kind, length, language.locale).apply(value, i18n.babel_locale()))


def local(value: datetime, tz: str) -> datetime:
    return value.astimezone(ZoneInfo(tz))


def _english() -> bool:
    return i18n.language().locale == "en_GB"


def clock(value: datetime) -> str:
    """10am, 10:30am, 12pm (midday is 12pm, as GOV.UK writes it); 10:30 elsewhere."""
    if not _english():
        return _format("time", "short", value)
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    if value.minute:
        return f"{hour}:{value.minute:02d}{suffix}"
    return f"{hour}{suffix}"


def day(value: datetime) -> str:
    if not _english():
        return _format("date", "full", value)
    return f"{value:%A} {value.day} {value:%B %Y}"


def date(value: datetime | Date) -> str:
    """23 January 2025."""
    if not _english():
        return _format("date", "long", value)
    return f"{value.day} {value:%B %Y}"


def span(start: datetime, end: datetime) -> str:
    """Two times of one day: "10am to 3pm"."""
    return i18n.gettext("%(start)s to %(end)s") % {"start": clock(start), "end": clock(end)}


def when(starts_at: datetime, ends_at: datetime, tz: str) -> str:
    """The span of an event in its own time zone."""
    start, end = local(starts_at, tz), local(ends_at, tz)
    if start.date() == end.date():
        return i18n.gettext("%(day)s, %(start)s to %(end)s") % {
            "day": day(start),
            "start": clock(start),
            "end": clock(end),
        }
    return i18n.gettext("%(start_day)s, %(start)s to %(end_day)s, %(end)s") % {
        "start_day": day(start),
        "start": clock(start),
        "end_day": day(end),
        "end": clock(end),
    }


def short(value: datetime, tz: str) -> str:
    """23 January 2025, 10am."""
    moment = local(value, tz)
    return i18n.gettext("%(date)s, %(time)s") % {"date": date(moment), "time": clock(moment)}
