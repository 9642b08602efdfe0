"""Every calendar document we send, read by a second parser as calendar clients do.

icalendar (ours) knows the zone database and trusts the TZID; vobject, like Mozilla's
ical.js in Thunderbird, works the time out from the VTIMEZONE we embed. Each must see
the instant the event's page shows, for a winter fair and a summer fair, in the
registration invite, the update, the cancellation and the public feed.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import vobject
from icalendar import Calendar

from events.services import update_event
from events.vtimezone import changes, vtimezone_ical
from fairground import timefmt
from registrations.services import cancel_registration
from tests.factories import make_event
from tests.registrations.helpers import outbox, parts, register

LONDON = ZoneInfo("Europe/London")


def next_fair(month: int) -> datetime:
    """10am on the clock in London on the second Thursday of the next such month at
    least a week away (a fair must be in the future to take registrations)."""
    year = datetime.now(UTC).year
    while True:
        day = datetime(year, month, 8, 10, tzinfo=LONDON)
        day += timedelta(days=(3 - day.weekday()) % 7)
        if day > datetime.now(UTC) + timedelta(days=7):
            return day.astimezone(UTC)
        year += 1


def read_with_icalendar(data: bytes) -> tuple[datetime, datetime]:
    vevent = Calendar.from_ical(data).walk("VEVENT")[0]
    return vevent["DTSTART"].dt, vevent["DTEND"].dt


def vobject_read(text: str) -> Any:
    """One document, as a calendar client reads it. vobject keeps the first VTIMEZONE
    it saw for each TZID for the rest of the process: forget them first."""
    vars(vobject.icalendar)["__tzidMap"].clear()
    vobject.icalendar.registerTzid("UTC", vobject.icalendar.utc)
    return vobject.readOne(io.StringIO(text))


def read_with_vobject(data: bytes) -> tuple[datetime, datetime]:
    """vobject builds the zone from the embedded VTIMEZONE, not from its name."""
    calendar = vobject_read(data.decode("utf-8"))
    vevent = calendar.vevent
    assert not isinstance(vevent.dtstart.value.tzinfo, ZoneInfo)  # its own, from VTIMEZONE
    return vevent.dtstart.value, vevent.dtend.value


READERS = [read_with_icalendar, read_with_vobject]


def assert_instants(name: str, data: bytes, starts_at: datetime, ends_at: datetime) -> None:
    for reader in READERS:
        start, end = reader(data)
        assert start.tzinfo is not None, (name, reader.__name__)
        assert (start.astimezone(UTC), end.astimezone(UTC)) == (starts_at, ends_at), (
            f"{reader.__name__} reads the {name} as {start.astimezone(UTC)}, "
            f"not {starts_at} (on the page: {timefmt.short(starts_at, 'Europe/London')})"
        )


async def _invites_sent(event: dict[str, Any]) -> dict[str, bytes]:
    """The invite attached to each email an attendee gets: their ticket, the update
    after the organiser moves the venue, and the cancellation."""
    result = await register(event)
    await update_event(event["slug"], {"venue_name": "The Council House"})
    await cancel_registration(result.manage_token)
    sent = {}
    for message in await outbox(to="amira@example.org"):
        found = parts(message)
        if "ics" in found:
            sent[message["Subject"]] = found["ics"]
    return sent


@pytest.mark.parametrize("month", [1, 6], ids=["january", "june"])
async def test_every_invite_and_the_feed_show_the_page_s_time(month: int, client: Any) -> None:
    starts_at = next_fair(month)
    event = await make_event(starts_at=starts_at, ends_at=starts_at + timedelta(hours=5))
    page = (await client.get(f"/events/{event['slug']}")).text
    assert timefmt.when(starts_at, event["ends_at"], "Europe/London") in page
    assert "10am to 3pm" in page
    sent = await _invites_sent(event)
    assert len(sent) == 3, list(sent)  # ticket, update, cancellation
    for subject, data in sent.items():
        assert_instants(subject, data, starts_at, event["ends_at"])
    feed = await client.get(f"/events/{event['slug']}.ics")
    assert_instants("public feed", feed.content, starts_at, event["ends_at"])


def test_the_vtimezone_has_yearly_rules_not_a_list_of_dates() -> None:
    text = vtimezone_ical("Europe/London", [2027]).decode()
    assert "RDATE" not in text
    assert text.count("RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3") == 1
    assert text.count("RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10") == 1
    assert text.count("BEGIN:STANDARD") == 1
    assert text.count("BEGIN:DAYLIGHT") == 1


ZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Tokyo", "Asia/Kolkata"]


@pytest.mark.parametrize("tzid", ZONES)
def test_vobject_reads_every_hour_of_the_years_around_as_the_zone_database(tzid: str) -> None:
    """The observances, read by vobject, give every hour of the range (clock changes
    included) the offset the zone database gives it."""
    zone = ZoneInfo(tzid)
    text = vtimezone_ical(tzid, [2027]).decode()
    calendar = vobject_read(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        + text
        + f"BEGIN:VEVENT\r\nUID:x\r\nDTSTAMP:20270101T000000Z\r\n"
        f"DTSTART;TZID={tzid}:20270101T000000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    theirs = calendar.vevent.dtstart.value.tzinfo
    instant = datetime(2027, 1, 1, tzinfo=UTC)
    while instant < datetime(2028, 12, 31, tzinfo=UTC):
        assert instant.astimezone(theirs).utcoffset() == instant.astimezone(zone).utcoffset(), (
            instant
        )
        instant += timedelta(hours=1)


def test_the_changes_found_are_the_zone_database_s() -> None:
    found = changes(LONDON, 2027, 2027)
    assert [c.at for c in found] == [
        datetime(2027, 3, 28, 1, tzinfo=UTC),
        datetime(2027, 10, 31, 1, tzinfo=UTC),
    ]
    assert [c.name for c in found] == ["BST", "GMT"]


def test_a_zone_that_stopped_changing_its_clocks() -> None:
    """Europe/Moscow (no changes since 2011): one observance from 1970. Europe/Istanbul
    stayed on summer time from March 2016: its rules end there (UNTIL), and vobject,
    which compares UNTIL with local times, still sees the last change."""
    moscow = vtimezone_ical("Europe/Moscow", [2027]).decode()
    assert moscow.count("BEGIN:STANDARD") == 1 and "TZOFFSETTO:+0300" in moscow
    assert "UNTIL=" in vtimezone_ical("Europe/Istanbul", [2016]).decode()
    for tzid, year, month in (
        ("Europe/Istanbul", 2016, 1),
        ("Europe/Istanbul", 2016, 6),
        ("Europe/Istanbul", 2017, 1),
        ("Europe/Moscow", 2027, 6),
    ):
        data = vtimezone_ical(tzid, [year]).decode()
        calendar = vobject_read(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
            + data
            + f"BEGIN:VEVENT\r\nUID:x\r\nDTSTAMP:20270101T000000Z\r\n"
            f"DTSTART;TZID={tzid}:{year}{month:02d}15T100000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        )
        start = calendar.vevent.dtstart.value
        expected = datetime(year, month, 15, 10, tzinfo=ZoneInfo(tzid))
        assert start.astimezone(UTC) == expected.astimezone(UTC), (tzid, year, month)
