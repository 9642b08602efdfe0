"""VTIMEZONE components as calendar clients read them.

icalendar's own (`Timezone.from_tzid`) lists every past and future clock change of a
zone as one comma-separated RDATE. Mozilla's ical.js (Thunderbird) and vobject read
only the first value of it, and so put every winter fair in summer time, an hour
early. Outlook, Google and Apple write, and every client reads, one STANDARD and one
DAYLIGHT observance with a yearly RRULE ("the last Sunday in October"); so do we.

The rules come from the zone database: the clock changes of the years around the
event's are found by scanning, and each run of years that changes the clocks the same
way (month, weekday of the month, time, offsets) becomes one observance with its
RRULE. A change that follows no yearly pattern is an observance of its own, without
one. A zone without clock changes (in the year before the events, at least) gets an
observance from 1970 with the offset it had then.
"""

from __future__ import annotations

import calendar as gregorian
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001 - an observance's DTSTART is local time


@dataclass(frozen=True, slots=True)
class Change:
    """One clock change: the instant, and the offsets and name either side of it."""

    at: datetime  # UTC
    offset_from: timedelta
    offset_to: timedelta
    name: str
    dst: bool

    @property
    def local(self) -> datetime:
        """The wall-clock time it happens at, on the clock before it (RFC 5545 3.6.5)."""
        return (self.at + self.offset_from).replace(tzinfo=None)

    @property
    def byday(self) -> str:
        """Its weekday of the month as BYDAY says it: 2SU, or -1SU for the last."""
        day = self.local
        last = day.day + 7 > gregorian.monthrange(day.year, day.month)[1]
        ordinal = -1 if last else (day.day - 1) // 7 + 1
        return f"{ordinal}{WEEKDAYS[day.weekday()]}"

    @property
    def rule(self) -> tuple[object, ...]:
        """What a yearly RRULE repeats; changes with the same rule in following years
        are one observance."""
        local = self.local
        return (local.month, self.byday, local.time(), self.offset_from, self.offset_to, self.dst)


def _offset(zone: ZoneInfo, instant: datetime) -> timedelta:
    return instant.astimezone(zone).utcoffset() or timedelta(0)


def _change_between(zone: ZoneInfo, before: datetime, after: datetime) -> Change:
    """The instant the offset changes between two instants a day apart, to the second."""
    old = _offset(zone, before)
    while after - before > timedelta(seconds=1):
        middle = before + (after - before) / 2
        if _offset(zone, middle) == old:
            before = middle
        else:
            after = middle
    at = after.replace(microsecond=0)
    if _offset(zone, at) == old:
        at += timedelta(seconds=1)
    local = at.astimezone(zone)
    return Change(at, old, _offset(zone, at), local.tzname() or "", bool(local.dst()))


def changes(zone: ZoneInfo, first_year: int, last_year: int) -> list[Change]:
    """Every change of the zone's UTC offset from first_year to last_year."""
    found: list[Change] = []
    instant = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    offset = _offset(zone, instant)
    while instant < end:
        following = instant + timedelta(days=1)
        if _offset(zone, following) != offset:
            found.append(_change_between(zone, instant, following))
            offset = found[-1].offset_to
        instant = following
    return found


def _runs(found: list[Change]) -> list[list[Change]]:
    """Changes grouped by rule into runs of consecutive years."""
    runs: list[list[Change]] = []
    for change in found:
        run = next((r for r in reversed(runs) if r[-1].rule == change.rule), None)
        if run is not None and run[-1].local.year == change.local.year - 1:
            run.append(change)
        else:
            runs.append([change])
    return runs


def _observance(run: list[Change], open_ended: bool) -> TimezoneStandard | TimezoneDaylight:
    first = run[0]
    part = TimezoneDaylight() if first.dst else TimezoneStandard()
    part.add("dtstart", first.local)
    part.add("tzoffsetfrom", first.offset_from)
    part.add("tzoffsetto", first.offset_to)
    if first.name:
        part.add("tzname", first.name)
    if open_ended or len(run) > 1:
        rrule: dict[str, object] = {"freq": "YEARLY", "bymonth": first.local.month}
        rrule["byday"] = first.byday
        if not open_ended:
            # In UTC (RFC 5545), a day after the last change: some readers (dateutil,
            # so vobject) compare it with the change's local time, and a year passes
            # before the next one it must exclude.
            rrule["until"] = run[-1].at + timedelta(days=1)
        part.add("rrule", rrule)
    return part


def _fixed(zone: ZoneInfo, year: int) -> TimezoneStandard | TimezoneDaylight:
    """The offset at the start of the year, from 1970: all a zone that does not change
    its clocks needs."""
    instant = datetime(year, 1, 1, tzinfo=UTC).astimezone(zone)
    part = TimezoneDaylight() if instant.dst() else TimezoneStandard()
    part.add("dtstart", EPOCH)
    part.add("tzoffsetfrom", instant.utcoffset())
    part.add("tzoffsetto", instant.utcoffset())
    part.add("tzname", instant.tzname() or "")
    return part


def _range(years: Iterable[int]) -> tuple[int, int]:
    wanted = sorted(set(years))
    return wanted[0] - 1, wanted[-1] + 1


def vtimezone(tzid: str, years: Iterable[int]) -> Timezone:
    """The VTIMEZONE for events in these years: the zone's rules from the year before
    the first to the year after the last, the rules in force then repeating for ever."""
    component = Timezone.from_ical(vtimezone_ical(tzid, years))
    assert isinstance(component, Timezone)
    return component


def vtimezone_ical(tzid: str, years: Iterable[int]) -> bytes:
    return _vtimezone_ical(tzid, *_range(years))


@lru_cache(maxsize=32)
def _vtimezone_ical(tzid: str, first_year: int, last_year: int) -> bytes:
    """Serialised once per zone and years: a scan costs a few milliseconds, and
    invites are built one after another."""
    zone = ZoneInfo(tzid)
    component = Timezone()
    component.add("tzid", tzid)
    runs = _runs(changes(zone, first_year, last_year))
    if not runs or runs[0][0].local.year > first_year:
        # Nothing changes the clocks in the year before the events: the offset then
        # must hold from the start, or an event before the first change has none.
        component.add_component(_fixed(zone, first_year))
    for run in runs:
        # A rule still in force in the range's last year is taken to go on.
        component.add_component(_observance(run, open_ended=run[-1].local.year == last_year))
    return bytes(component.to_ical())
