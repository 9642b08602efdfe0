"""Attendees change their own details and choices (registrations.changes), no HTTP."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from events.services import get_slots
from events.tables import Event, Slot
from fairground.errors import Conflict, Invalid
from fairground.tables import OutboxMessage
from registrations import services
from registrations.services import cancel_registration, get_registration, update_registration
from registrations.tables import AccessRequest, Registration
from tests.factories import future, make_event
from tests.registrations.helpers import outbox, parse_ics, parts, register

RUGBY = "E07000220"
WARWICKSHIRE = "E10000031"
COVENTRY = "E08000026"


async def slotted_event(capacity: int = 2, **overrides: Any) -> dict[str, Any]:
    start = future()
    slots = [
        {"starts_at": start, "ends_at": start + timedelta(hours=1), "capacity": capacity},
        {
            "starts_at": start + timedelta(hours=1),
            "ends_at": start + timedelta(hours=2),
            "capacity": capacity,
        },
    ]
    return await make_event(slots=slots, **overrides)


async def counts(event_id: int) -> list[int]:
    rows = await Slot.select(Slot.confirmed_count).where(Slot.event == event_id).order_by(Slot.id)
    return [r["confirmed_count"] for r in rows]


async def snapshot(token: str) -> dict[str, Any]:
    row = await Registration.select().where(Registration.manage_token == token).first()
    assert row is not None
    return {
        "row": row,
        "slots": await Slot.select().order_by(Slot.id),
        "events": await Event.select(Event.confirmed_count),
        "outbox": await OutboxMessage.count(),
        "access": await AccessRequest.count(),
    }


@pytest.fixture
def consent_calls() -> Any:
    """Record what the consent hook is told, beside the hooks the apps above installed."""
    calls: list[int] = []

    async def hook(registration_id: int) -> None:
        calls.append(registration_id)

    services.CONSENT_HOOKS.append(hook)
    yield calls
    services.CONSENT_HOOKS.remove(hook)


async def test_changes_phone_postcode_interests_and_consent(consent_calls: list[int]) -> None:
    event = await make_event()
    person = await register(
        event, consent={"councils": [RUGBY, COVENTRY], "job_alerts": True}, interests=["digital"]
    )
    changes = {
        "phone": "07700 900982",
        "postcode": "b12nd",
        "interests": ["social-care"],
        "consent": {"councils": [COVENTRY, WARWICKSHIRE], "job_alerts": False},
    }
    result = await update_registration(person.manage_token, changes)
    row = result.registration
    assert (row["phone"], row["postcode"]) == ("07700 900982", "B1 2ND")
    assert row["interests"] == ["social-care"]
    assert row["consent_councils"] == [COVENTRY, WARWICKSHIRE]
    assert row["consent_job_alerts"] is False
    assert set(result.changed) == {
        "phone",
        "postcode",
        "interests",
        "consent_councils",
        "consent_job_alerts",
    }
    assert consent_calls == [row["id"]]


async def test_a_field_left_out_is_not_changed(consent_calls: list[int]) -> None:
    event = await make_event()
    person = await register(event, phone="01632 960001", consent={"councils": [RUGBY]})
    result = await update_registration(person.manage_token, {"consent": {"job_alerts": True}})
    row = result.registration
    assert row["phone"] == "01632 960001" and row["consent_councils"] == [RUGBY]
    assert row["consent_job_alerts"] is True
    assert consent_calls == [row["id"]]
    phone_only = await update_registration(person.manage_token, {"phone": "01632 960002"})
    assert phone_only.changed == ("phone",)
    assert consent_calls == [row["id"]]  # the phone is not consent


async def test_nothing_changed_sends_nothing(consent_calls: list[int]) -> None:
    event = await make_event()
    person = await register(event, postcode="B1 2ND", consent={"councils": [RUGBY]})
    before = await OutboxMessage.count()
    result = await update_registration(
        person.manage_token, {"postcode": "b1 2nd", "consent": {"councils": [RUGBY]}}
    )
    assert result.changed == ()
    assert await OutboxMessage.count() == before
    assert consent_calls == []


async def test_bad_values_name_every_field_and_change_nothing() -> None:
    event = await slotted_event()
    [slot, _] = await get_slots(event["id"])
    person = await register(event, slot_id=slot["id"])
    before = await snapshot(person.manage_token)
    with pytest.raises(Invalid) as caught:
        await update_registration(
            person.manage_token,
            {
                "phone": "call me",
                "postcode": "nowhere",
                "interests": ["astronaut"],
                "consent": {"councils": ["E99999999"], "job_alerts": "maybe"},
                "slot_id": 999_999,
                "access_needs": "x" * 2001,
            },
        )
    assert set(caught.value.fields) == {
        "phone",
        "postcode",
        "interests",
        "consent.councils",
        "consent.job_alerts",
        "slot_id",
        "access_needs",
    }
    assert await snapshot(person.manage_token) == before


async def test_moving_slot_moves_the_place_and_resends_the_invite() -> None:
    event = await slotted_event()
    first, second = await get_slots(event["id"])
    person = await register(event, slot_id=first["id"])
    registration = await get_registration(person.manage_token)
    assert await counts(event["id"]) == [1, 0]
    result = await update_registration(person.manage_token, {"slot_id": second["id"]})
    assert result.registration["slot"]["id"] == second["id"]
    assert result.registration["ics_sequence"] == registration["ics_sequence"] + 1
    assert await counts(event["id"]) == [0, 1]
    event_row = await Event.select(Event.confirmed_count).where(Event.id == event["id"]).first()
    assert event_row == {"confirmed_count": 1}  # the fair's count does not move
    [confirmation] = await outbox("registration_confirmation")
    [message] = await outbox("registration_changed")
    _, before = parse_ics(parts(confirmation)["ics"])
    _, after = parse_ics(parts(message)["ics"])
    assert str(after["UID"]) == str(before["UID"])
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert after["DTSTART"].dt == second["starts_at"]
    assert "Your entry time:" in parts(message)["text"]


async def test_a_full_slot_refuses_the_move_naming_the_field() -> None:
    event = await slotted_event(capacity=1)
    first, second = await get_slots(event["id"])
    person = await register(event, slot_id=first["id"])
    await register(event, email="other@example.org", slot_id=second["id"])
    before = await snapshot(person.manage_token)
    with pytest.raises(Conflict) as caught:
        await update_registration(person.manage_token, {"slot_id": second["id"], "phone": ""})
    assert caught.value.code == "slot_full" and "slot_id" in caught.value.fields
    assert await snapshot(person.manage_token) == before
    assert await counts(event["id"]) == [1, 1]


async def test_two_people_racing_for_the_last_place_in_a_slot_get_one() -> None:
    event = await slotted_event(capacity=2)
    first, second = await get_slots(event["id"])
    await register(event, email="sitting@example.org", slot_id=second["id"])
    a = await register(event, email="a@example.org", slot_id=first["id"])
    b = await register(event, email="b@example.org", slot_id=first["id"])
    results = await asyncio.gather(
        *(update_registration(p.manage_token, {"slot_id": second["id"]}) for p in (a, b)),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(refused) == 1, results
    assert refused[0].code in ("slot_full", "try_again")
    assert await counts(event["id"]) == [1, 2]


async def test_a_waitlisted_person_changes_the_time_they_want_without_a_place() -> None:
    event = await slotted_event(capacity=1)
    first, second = await get_slots(event["id"])
    await register(event, email="in@example.org", slot_id=first["id"])
    await register(event, email="in2@example.org", slot_id=second["id"])
    waiting = await register(event, email="wait@example.org", slot_id=first["id"])
    assert waiting.status == "waitlisted"
    result = await update_registration(waiting.manage_token, {"slot_id": second["id"]})
    assert result.registration["status"] == "waitlisted"
    assert result.registration["slot"]["id"] == second["id"]
    assert await counts(event["id"]) == [1, 1]
    [message] = await outbox("registration_changed")
    assert "ics" not in parts(message)  # no place, no invite


async def test_moving_out_of_a_full_slot_promotes_the_first_waiting_for_it() -> None:
    event = await slotted_event(capacity=1)
    first, second = await get_slots(event["id"])
    mover = await register(event, email="mover@example.org", slot_id=first["id"])
    waiting = await register(event, email="wait@example.org", slot_id=first["id"])
    assert waiting.status == "waitlisted"
    await update_registration(mover.manage_token, {"slot_id": second["id"]})
    promoted = await get_registration(waiting.manage_token)
    assert promoted["status"] == "confirmed" and promoted["slot"]["id"] == first["id"]
    assert await counts(event["id"]) == [1, 1]


async def test_cancelled_registrations_cannot_be_changed() -> None:
    event = await make_event()
    person = await register(event)
    await cancel_registration(person.manage_token)
    with pytest.raises(Conflict) as caught:
        await update_registration(person.manage_token, {"phone": "01632 960001"})
    assert caught.value.code == "registration_cancelled"


async def test_the_email_names_councils_added_and_withdrawn() -> None:
    event = await make_event()
    person = await register(event, consent={"councils": [RUGBY, COVENTRY], "job_alerts": False})
    await update_registration(
        person.manage_token, {"consent": {"councils": [COVENTRY, WARWICKSHIRE]}}
    )
    [message] = await outbox("registration_changed")
    found = parts(message)
    assert "Rugby Borough Council can no longer contact you about jobs" in found["text"]
    assert "Warwickshire County Council can now contact you about jobs" in found["text"]
    assert "Coventry" not in found["text"]
    assert "Rugby Borough Council can no longer contact you" in found["html"]
    assert "ics" not in found  # consent only: the invite has not changed
    assert not str(message["Subject"]).startswith(" ")


async def test_changed_access_needs_reach_the_organisers_queue() -> None:
    event = await make_event()
    person = await register(event)
    await update_registration(person.manage_token, {"access_needs": "BSL interpreter"})
    [request] = await AccessRequest.select()
    assert request["need"] == "BSL interpreter" and request["status"] == "open"
    await update_registration(person.manage_token, {"access_needs": "A quiet space"})
    assert [r["need"] for r in await AccessRequest.select()] == ["A quiet space"]
    [first, second] = await outbox("registration_changed")
    assert "ics" in parts(first) and "A quiet space" in parts(second)["text"]


async def test_the_ticket_and_waiting_list_emails_link_to_the_change_page() -> None:
    event = await make_event(capacity=1)
    person = await register(event)
    waiting = await register(event, email="wait@example.org")
    for template, token in (
        ("registration_confirmation", person.manage_token),
        ("registration_waitlisted", waiting.manage_token),
    ):
        [message] = await outbox(template)
        assert f"/r/{token}/change" in parts(message)["text"], template
        assert f'/r/{token}/change">' in parts(message)["html"]


async def test_a_used_ticket_keeps_its_entry_time_but_consent_can_change() -> None:
    event = await slotted_event()
    first, second = await get_slots(event["id"])
    person = await register(event, slot_id=first["id"], consent={"councils": [RUGBY]})
    await Registration.update({Registration.checked_in_at: future(days=0)}).where(
        Registration.manage_token == person.manage_token
    )
    with pytest.raises(Conflict) as caught:
        await update_registration(person.manage_token, {"slot_id": second["id"]})
    assert caught.value.code == "already_checked_in" and "slot_id" in caught.value.fields
    result = await update_registration(person.manage_token, {"consent": {"councils": []}})
    assert result.registration["consent_councils"] == []


async def test_the_same_codes_in_another_order_are_no_change(consent_calls: list[int]) -> None:
    event = await make_event()
    person = await register(
        event, interests=["social-care", "digital"], consent={"councils": [RUGBY, COVENTRY]}
    )
    changes = {"interests": ["digital", "social-care"], "consent": {"councils": [COVENTRY, RUGBY]}}
    result = await update_registration(person.manage_token, changes)
    assert result.changed == () and consent_calls == []


async def test_waiting_for_a_full_slot_then_choosing_one_with_room_gives_a_place() -> None:
    event = await slotted_event(capacity=1)
    first, second = await get_slots(event["id"])
    await register(event, email="in@example.org", slot_id=first["id"])
    waiting = await register(event, email="wait@example.org", slot_id=first["id"])
    assert waiting.status == "waitlisted"
    result = await update_registration(waiting.manage_token, {"slot_id": second["id"]})
    assert result.registration["status"] == "confirmed"
    assert result.registration["slot"]["id"] == second["id"]
    assert await counts(event["id"]) == [1, 1]
    assert len(await outbox("registration_promoted")) == 1


async def test_change_emails_to_one_address_are_limited_but_changes_are_kept() -> None:
    from registrations.changes import MAX_EMAILS_PER_HOUR

    event = await make_event()
    person = await register(event)
    for n in range(MAX_EMAILS_PER_HOUR + 3):
        await update_registration(person.manage_token, {"phone": f"01632 96{n:04d}"})
    assert (
        await OutboxMessage.count().where(OutboxMessage.template == "registration_changed")
        == MAX_EMAILS_PER_HOUR
    )
    assert (await get_registration(person.manage_token))["phone"] == "01632 960012"
