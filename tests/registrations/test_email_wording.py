"""What an attendee reads in their emails: the fair's hours and their entry time apart,
and a way back to the ticket from every email about a place."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from events.services import get_slots
from fairground.timefmt import clock, local, when
from registrations.services import cancel_registration, update_registration
from tests.factories import future, make_event
from tests.registrations.helpers import outbox, parts, register


async def _slotted() -> dict[str, Any]:
    """A fair from 10am to 3pm (UTC) whose second slot is 11am to 1pm."""
    start = future(hour=10)
    slots = [
        {"starts_at": start, "ends_at": start + timedelta(hours=1), "capacity": 5},
        {
            "starts_at": start + timedelta(hours=1),
            "ends_at": start + timedelta(hours=3),
            "capacity": 5,
        },
    ]
    return await make_event(starts_at=start, slots=slots)


def _entry(slot: dict[str, Any], tz: str) -> str:
    return f"{clock(local(slot['starts_at'], tz))} to {clock(local(slot['ends_at'], tz))}"


async def test_the_ticket_email_gives_the_fairs_hours_and_the_entry_time_apart() -> None:
    event = await _slotted()
    _, second = await get_slots(event["id"])
    await register(event, slot_id=second["id"])
    [message] = await outbox("registration_confirmation")
    found = parts(message)
    tz = event["timezone"]
    fair = when(event["starts_at"], event["ends_at"], tz)
    # "When" was the slot's span, so a 10am-3pm fair read as one from 11am to 1pm
    assert f"When: {fair}\n" in found["text"]
    assert f"Your entry time: {_entry(second, tz)}\n" in found["text"]
    assert fair in found["html"] and "Your entry time" in found["html"]
    assert f"When: {when(second['starts_at'], second['ends_at'], tz)}" not in found["text"]


async def test_the_cancellation_email_names_the_fair_not_the_slot_as_when() -> None:
    event = await _slotted()
    first, _ = await get_slots(event["id"])
    person = await register(event, slot_id=first["id"])
    await cancel_registration(person.manage_token)
    [message] = await outbox("registration_cancelled")
    text = parts(message)["text"]
    assert f"When: {when(event['starts_at'], event['ends_at'], event['timezone'])}\n" in text
    assert f"Your entry time: {_entry(first, event['timezone'])}\n" in text


async def test_an_event_without_slots_has_no_entry_time_line() -> None:
    event = await make_event()
    await register(event)
    [message] = await outbox("registration_confirmation")
    assert "entry time" not in parts(message)["text"].split("Change your details")[0]


async def test_the_changes_email_links_back_to_the_ticket() -> None:
    event = await _slotted()
    first, second = await get_slots(event["id"])
    person = await register(event, slot_id=first["id"])
    await update_registration(person.manage_token, {"slot_id": second["id"]})
    [message] = await outbox("registration_changed")
    found = parts(message)
    ticket = f"/r/{person.manage_token}"
    assert "Your ticket:\n" in found["text"]
    assert any(line.endswith(ticket) for line in found["text"].splitlines())
    assert 'href="http://' in found["html"] and f'{ticket}">' in found["html"]
