"""Calendar invites and add-to-calendar links."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from events.tables import Slot
from registrations import invites
from registrations.services import cancel_registration, get_registration
from tests.factories import future, make_event
from tests.registrations.helpers import assert_invite, register


async def test_invite_while_confirmed_and_after_cancelling() -> None:
    event = await make_event()
    result = await register(event)
    row = await get_registration(result.manage_token)
    uid = f"registration-{row['id']}@testserver.local"
    data = invites.invite_ics(row, row["event"], row["slot"])
    vevent = assert_invite(data, "REQUEST", uid, 0)
    assert vevent["DTSTART"].dt == event["starts_at"]
    assert vevent["DTEND"].dt == event["ends_at"]
    assert f"http://testserver.local/r/{result.manage_token}" in str(vevent["DESCRIPTION"])
    assert "Library of Birmingham" in str(vevent["LOCATION"])
    assert str(vevent["ATTENDEE"]) == "mailto:amira@example.org"
    assert str(vevent["ORGANIZER"]) == "mailto:fairground@example.org"
    await cancel_registration(result.manage_token)
    row = await get_registration(result.manage_token)
    vevent = assert_invite(invites.invite_ics(row, row["event"], row["slot"]), "CANCEL", uid, 1)
    assert str(vevent["STATUS"]) == "CANCELLED"


async def test_slot_times_are_used() -> None:
    start = future() + timedelta(hours=2)
    event = await make_event(
        slots=[{"starts_at": start, "ends_at": start + timedelta(hours=1), "capacity": 3}]
    )
    slot_id = (await Slot.select(Slot.id).first())["id"]
    result = await register(event, slot_id=slot_id)
    row = await get_registration(result.manage_token)
    vevent = assert_invite(
        invites.invite_ics(row, row["event"], row["slot"]),
        "REQUEST",
        f"registration-{row['id']}@testserver.local",
        0,
    )
    assert vevent["DTSTART"].dt == start
    assert vevent["DTEND"].dt == start + timedelta(hours=1)


async def test_calendar_links() -> None:
    event = await make_event()
    result = await register(event)
    row = await get_registration(result.manage_token)
    google = urlsplit(row["links"]["google"])
    query = parse_qs(google.query)
    assert google.netloc == "calendar.google.com"
    assert query["text"] == [event["title"]]
    assert query["dates"][0].count("Z") == 2
    assert query["ctz"] == ["Europe/London"]
    assert result.manage_token in query["details"][0]
    outlook = parse_qs(urlsplit(row["links"]["outlook"]).query)
    assert outlook["subject"] == [event["title"]]
    assert outlook["startdt"][0].startswith(event["starts_at"].strftime("%Y-%m-%dT%H:%M"))
