"""Registration rules, called directly (no HTTP), on the real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from events.services import counts, set_status, update_event
from events.tables import Event, Slot
from fairground.errors import Conflict, Invalid, NotFound
from registrations import services, tasks
from registrations.services import (
    RegistrationInput,
    cancel_registration,
    get_registration,
    register_attendee,
    validate_registration,
)
from registrations.tables import AccessRequest, EqualityResponse, Registration
from registrations.tickets import verify_ticket
from tests.factories import future, get_event, make_event
from tests.registrations.helpers import NAMES, assert_invite, outbox, parts, person, raw, register

# ---------------------------------------------------------------- validation


async def test_every_bad_field_is_named_at_once() -> None:
    event = await make_event(
        slots=[{"starts_at": future(), "ends_at": future() + timedelta(hours=1), "capacity": 5}]
    )
    bad = raw(
        name="  ",
        email="not-an-email",
        phone="call me",
        postcode="XYZ",
        home_council="nowhere",
        interests=["astronaut"],
        access_needs="x" * 2001,
        slot_id=None,
        consent={"councils": ["E99999999"], "job_alerts": "perhaps"},
    )
    with pytest.raises(Invalid) as caught:
        await validate_registration(event, bad)
    fields = caught.value.fields
    assert fields == {
        "name": "Enter your full name",
        "email": "Enter an email address in the correct format, like name@example.com",
        "phone": services.MESSAGES["phone"],
        "postcode": "Enter a real postcode, like CV21 2AA",
        "home_council": services.MESSAGES["home_council"],
        "interests": services.MESSAGES["interests"],
        "access_needs": services.MESSAGES["access_needs"],
        "slot_id": "Select an entry time",
        "consent.councils": services.MESSAGES["consent.councils"],
        "consent.job_alerts": services.MESSAGES["consent.job_alerts"],
    }


async def test_each_message_names_its_field() -> None:
    words = {
        "name": "name",
        "email": "email",
        "phone": "telephone",
        "postcode": "postcode",
        "home_council": "council",
        "interests": "job families",
        "access_needs": "access needs",
        "slot_id": "entry time",
        "consent.councils": "councils",
        "consent.job_alerts": "job alerts",
    }
    for field, word in words.items():
        key = "slot_id" if field == "slot_id" else field.replace("_other", "")
        message = services.MESSAGES[key]
        assert word in message.lower(), (field, message)


async def test_valid_input_is_normalised() -> None:
    event = await make_event()
    data = await validate_registration(
        event,
        raw(
            name="  Amira   Khan ",
            email="  Amira@Example.ORG ",
            postcode="cv212aa",
            home_council="E07000220",
            interests=["social-care", "digital", "social-care"],
            consent={"councils": ["E07000220"], "job_alerts": True},
            phone="+44 7700 900982",
        ),
    )
    assert data == RegistrationInput(
        name="Amira Khan",
        email="amira@example.org",
        phone="+44 7700 900982",
        postcode="CV21 2AA",
        home_council="E07000220",
        interests=("social-care", "digital"),
        consent_councils=("E07000220",),
        consent_job_alerts=True,
    )


async def test_flat_form_style_consent_and_string_slot() -> None:
    event = await make_event(
        slots=[{"starts_at": future(), "ends_at": future() + timedelta(hours=1), "capacity": 5}]
    )
    slot_id = (await Slot.select(Slot.id).where(Slot.event == event["id"]).first())["id"]
    body = raw(slot_id=str(slot_id), interests="digital")
    del body["consent"]
    body["consent.councils"] = "E07000220"
    body["consent.job_alerts"] = "yes"
    data = await validate_registration(event, body)
    assert data.slot_id == slot_id
    assert data.interests == ("digital",)
    assert data.consent_councils == ("E07000220",)
    assert data.consent_job_alerts is True


@pytest.mark.parametrize("name", [*NAMES.values(), "é" * 200, "O'Brien-Smith"])
async def test_names_in_any_script_are_accepted(name: str) -> None:
    event = await make_event()
    data = await validate_registration(event, raw(name=name))
    assert data.name == name


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("a" * 201, "Full name must be 200 characters or fewer"),
        ("Bad\x00Name", "Full name must not contain control characters"),
        ("Line\nBreak", "Full name must not contain control characters"),
        ("abc\u202edcba", "Full name must not contain control characters"),
        (12345, "Enter your full name"),
    ],
)
async def test_bad_names(name: Any, message: str) -> None:
    event = await make_event()
    with pytest.raises(Invalid) as caught:
        await validate_registration(event, raw(name=name))
    assert caught.value.fields == {"name": message}


async def test_slot_must_belong_to_the_event() -> None:
    other = await make_event(
        slots=[{"starts_at": future(), "ends_at": future() + timedelta(hours=1), "capacity": 5}]
    )
    event = await make_event(
        slots=[{"starts_at": future(), "ends_at": future() + timedelta(hours=1), "capacity": 5}]
    )
    foreign = (await Slot.select(Slot.id).where(Slot.event == other["id"]).first())["id"]
    with pytest.raises(Invalid) as caught:
        await validate_registration(event, raw(slot_id=foreign))
    assert caught.value.fields == {"slot_id": "Select an entry time from the list"}
    plain = await make_event()
    with pytest.raises(Invalid) as caught:
        await validate_registration(plain, raw(slot_id=foreign))
    assert "slot_id" in caught.value.fields


# ---------------------------------------------------------------- registering


async def test_register_confirms_with_a_signed_ticket_and_email() -> None:
    event = await make_event(capacity=10)
    result = await register(event, access_needs="BSL interpreter")
    assert result.status == "confirmed"
    assert result.reference.startswith("FG-") and len(result.reference) == 12
    assert set(result.reference[3:].replace("-", "")) <= set(services.REFERENCE_ALPHABET)
    claims = verify_ticket(result.ticket_code)
    row = await Registration.select().where(Registration.reference == result.reference).first()
    assert claims is not None and (claims.registration_id, claims.event_id) == (
        row["id"],
        event["id"],
    )
    assert len(result.manage_token) >= 43
    assert (await Event.select().where(Event.id == event["id"]).first())["confirmed_count"] == 1
    [message] = await outbox("registration_confirmation", "amira@example.org")
    found = parts(message)
    assert result.reference in found["text"] and "BSL interpreter" in found["text"]
    assert f"http://testserver.local/r/{result.manage_token}" in found["html"]
    assert f'src="cid:{found["png_cid"]}"' in found["html"]
    assert_invite(found["ics"], "REQUEST", f"registration-{row['id']}@testserver.local", 0)


async def test_email_time_reads_the_uk_way() -> None:
    starts = datetime(2031, 1, 23, 10, 0, tzinfo=UTC)
    event = await make_event(starts_at=starts, ends_at=starts + timedelta(hours=5))
    await register(event)
    [message] = await outbox("registration_confirmation")
    assert "Thursday 23 January 2031, 10am to 3pm" in parts(message)["text"]


async def test_full_event_waitlists_in_arrival_order() -> None:
    event = await make_event(capacity=1)
    first = await register(event, email="one@example.org")
    second = await register(event, email="two@example.org")
    third = await register(event, email="three@example.org")
    assert [first.status, second.status, third.status] == ["confirmed", "waitlisted", "waitlisted"]
    assert second.ticket_code is None
    assert len(await outbox("registration_waitlisted")) == 2
    assert await counts(event["id"]) == services.Counts(confirmed=1, waitlisted=2)


async def test_same_email_twice_conflicts_and_resends_confirmation() -> None:
    event = await make_event()
    await register(event, email="amira@example.org")
    with pytest.raises(Conflict) as caught:
        await register(event, email="AMIRA@example.org")
    assert caught.value.code == "already_registered"
    assert len(await outbox("registration_confirmation", "amira@example.org")) == 2
    assert await Registration.count() == 1


async def test_closed_and_draft_events_refuse() -> None:
    for status in ("draft", "closed"):
        event = await make_event(status="draft")
        if status == "closed":
            await set_status(event["slug"], "published")
            await set_status(event["slug"], "closed")
        with pytest.raises(Conflict) as caught:
            await register_attendee(event["slug"], person(1))
        assert caught.value.code == "registration_closed"
    ended = await make_event(registration_closes_at=datetime.now(UTC) + timedelta(seconds=1))
    await Event.update({Event.registration_closes_at: datetime.now(UTC)}).where(
        Event.id == ended["id"]
    )
    with pytest.raises(Conflict):
        await register_attendee(ended["slug"], person(2))


async def test_access_need_joins_the_queue_with_a_deadline() -> None:
    event = await make_event()
    await register(event, access_needs="BSL interpreter")
    request = await AccessRequest.select().first()
    assert request["need"] == "BSL interpreter"
    assert request["notice_deadline"] == event["starts_at"] - timedelta(days=10)


async def test_equality_answers_are_stored_apart() -> None:
    event = await make_event()
    data = await validate_registration(event, raw())
    await register_attendee(event["slug"], data, {"age": "25 to 34", "sex": "Prefer not to say"})
    [row] = await EqualityResponse.select().output(load_json=True)
    assert row["answers"] == {"age": "25 to 34", "sex": "Prefer not to say"}
    assert set(row) == {"id", "event", "answers", "created_at"}
    assert row["created_at"].time().isoformat() == "00:00:00"  # the day only
    with pytest.raises(Invalid) as caught:
        await register_attendee(event["slug"], person(3), {"q": "x" * 300})
    assert "equality" in caught.value.fields


async def test_slots_have_their_own_capacity() -> None:
    start = future()
    event = await make_event(
        capacity=10,
        slots=[
            {"starts_at": start, "ends_at": start + timedelta(hours=1), "capacity": 1},
            {
                "starts_at": start + timedelta(hours=1),
                "ends_at": start + timedelta(hours=2),
                "capacity": 5,
            },
        ],
    )
    early, late = [
        s["id"]
        for s in await Slot.select(Slot.id)
        .where(Slot.event == event["id"])
        .order_by(Slot.starts_at)
    ]
    a = await register_attendee(event["slug"], person(1, early))
    b = await register_attendee(event["slug"], person(2, early))
    c = await register_attendee(event["slug"], person(3, late))
    assert [a.status, b.status, c.status] == ["confirmed", "waitlisted", "confirmed"]
    event_row = await Event.select().where(Event.id == event["id"]).first()
    assert event_row["confirmed_count"] == 2  # the full slot gave the event's place back
    assert (await Slot.select().where(Slot.id == early).first())["confirmed_count"] == 1
    [message] = await outbox("registration_confirmation", "p1@example.org")
    vevent = assert_invite(parts(message)["ics"], "REQUEST", vevent_uid(message), 0)
    assert vevent["DTSTART"].dt == start


def vevent_uid(message: Any) -> str:
    from tests.registrations.helpers import parse_ics

    return str(parse_ics(parts(message)["ics"])[1]["UID"])


# ---------------------------------------------------------------- cancelling


async def test_cancel_promotes_the_first_waiting_person() -> None:
    event = await make_event(capacity=1)
    first = await register(event, email="one@example.org")
    second = await register(event, email="two@example.org")
    await register(event, email="three@example.org")
    cancelled = await cancel_registration(first.manage_token)
    assert cancelled["status"] == "cancelled"
    promoted = await get_registration(second.manage_token)
    assert promoted["status"] == "confirmed"
    assert verify_ticket(promoted["ticket_code"]).registration_id == promoted["id"]
    assert await counts(event["id"]) == services.Counts(confirmed=1, waitlisted=1, cancelled=1)
    [cancel_mail] = await outbox("registration_cancelled", "one@example.org")
    assert_invite(
        parts(cancel_mail)["ics"], "CANCEL", f"registration-{cancelled['id']}@testserver.local", 1
    )
    [promo] = await outbox("registration_promoted", "two@example.org")
    found = parts(promo)
    assert "png" in found
    assert_invite(found["ics"], "REQUEST", f"registration-{promoted['id']}@testserver.local", 1)


async def test_cancel_is_idempotent_and_frees_one_place() -> None:
    event = await make_event(capacity=2)
    first = await register(event, email="one@example.org")
    await cancel_registration(first.manage_token)
    again = await cancel_registration(first.manage_token)
    assert again["status"] == "cancelled"
    assert (await Event.select().where(Event.id == event["id"]).first())["confirmed_count"] == 0
    assert len(await outbox("registration_cancelled")) == 1


async def test_waitlisted_can_leave_the_list() -> None:
    event = await make_event(capacity=1)
    await register(event, email="one@example.org")
    waiting = await register(event, email="two@example.org")
    left = await cancel_registration(waiting.manage_token)
    assert left["status"] == "cancelled"
    assert (await Event.select().where(Event.id == event["id"]).first())["confirmed_count"] == 1
    [mail] = await outbox("registration_cancelled", "two@example.org")
    assert "ics" not in parts(mail)
    assert "left the waiting list" in mail["Subject"]


async def test_freed_slot_goes_to_someone_waiting_for_that_slot() -> None:
    start = future()
    event = await make_event(
        capacity=2,
        slots=[
            {"starts_at": start, "ends_at": start + timedelta(hours=1), "capacity": 1},
            {
                "starts_at": start + timedelta(hours=1),
                "ends_at": start + timedelta(hours=2),
                "capacity": 1,
            },
        ],
    )
    early, late = [
        s["id"]
        for s in await Slot.select(Slot.id)
        .where(Slot.event == event["id"])
        .order_by(Slot.starts_at)
    ]
    a = await register_attendee(event["slug"], person(1, early))
    await register_attendee(event["slug"], person(2, late))
    waiting_late = await register_attendee(event["slug"], person(3, late))
    waiting_early = await register_attendee(event["slug"], person(4, early))
    assert waiting_late.status == waiting_early.status == "waitlisted"
    await cancel_registration(a.manage_token)
    assert (await get_registration(waiting_early.manage_token))["status"] == "confirmed"
    assert (await get_registration(waiting_late.manage_token))["status"] == "waitlisted"


async def test_freed_event_place_goes_to_anyone_who_fits() -> None:
    start = future()
    event = await make_event(
        capacity=1,
        slots=[
            {"starts_at": start, "ends_at": start + timedelta(hours=1), "capacity": 1},
            {
                "starts_at": start + timedelta(hours=1),
                "ends_at": start + timedelta(hours=2),
                "capacity": 1,
            },
        ],
    )
    early, late = [
        s["id"]
        for s in await Slot.select(Slot.id)
        .where(Slot.event == event["id"])
        .order_by(Slot.starts_at)
    ]
    a = await register_attendee(event["slug"], person(1, early))
    waiting = await register_attendee(event["slug"], person(2, late))  # event full
    assert waiting.status == "waitlisted"
    await cancel_registration(a.manage_token)
    assert (await get_registration(waiting.manage_token))["status"] == "confirmed"


async def test_cancelled_person_can_register_again() -> None:
    event = await make_event(capacity=5)
    first = await register(event)
    await cancel_registration(first.manage_token)
    again = await register(event, name="Amira K")
    assert again.status == "confirmed" and again.reference == first.reference
    row = await get_registration(again.manage_token)
    assert row["name"] == "Amira K" and row["ics_sequence"] == 2


async def test_unknown_token_is_not_found() -> None:
    with pytest.raises(NotFound):
        await get_registration("nope")
    with pytest.raises(NotFound):
        await cancel_registration("nope")


# ---------------------------------------------------------------- event changes


async def test_reschedule_sends_updated_invites() -> None:
    event = await make_event(capacity=1)
    confirmed = await register(event, email="one@example.org")
    await register(event, email="two@example.org")
    new_start = event["starts_at"] + timedelta(days=1)
    await update_event(
        event["slug"], {"starts_at": new_start, "ends_at": new_start + timedelta(hours=5)}
    )
    row = await get_registration(confirmed.manage_token)
    assert row["ics_sequence"] == 1
    [update] = await outbox("registration_updated")
    assert update["To"] == "one@example.org"
    vevent = assert_invite(
        parts(update)["ics"], "REQUEST", f"registration-{row['id']}@testserver.local", 1
    )
    assert vevent["DTSTART"].dt == new_start


async def test_event_cancellation_cancels_everyone() -> None:
    event = await make_event(capacity=1)
    confirmed = await register(event, email="one@example.org")
    await register(event, email="two@example.org")
    await set_status(event["slug"], "cancelled")
    assert await counts(event["id"]) == services.Counts(confirmed=0, cancelled=2)
    mails = await outbox("registration_event_cancelled")
    assert sorted(m["To"] for m in mails) == ["one@example.org", "two@example.org"]
    one = next(m for m in mails if m["To"] == "one@example.org")
    row = await get_registration(confirmed.manage_token)
    assert_invite(parts(one)["ics"], "CANCEL", f"registration-{row['id']}@testserver.local", 1)
    assert (await get_event(event["slug"]))["confirmed_count"] == 0


async def test_hooks_are_registered_once() -> None:
    import importlib

    from events import services as event_services

    installed = list(services.CONSENT_HOOKS)  # by the apps above, when they were imported
    importlib.reload(services)
    # The reload made a new, empty CONSENT_HOOKS: give back what the apps above installed
    # (lead routing), or every later test would re-register without routing leads again.
    services.CONSENT_HOOKS[:] = installed
    hooks = [h for h in event_services.CHANGE_HOOKS if h.__module__ == "registrations.services"]
    providers = [
        p for p in event_services.COUNT_PROVIDER if p.__module__ == "registrations.services"
    ]
    assert len(hooks) == 1 and len(providers) == 1


# ---------------------------------------------------------------- reminders


async def test_reminders_go_once_to_confirmed_attendees() -> None:
    soon = datetime.now(UTC) + timedelta(hours=20)
    event = await make_event(starts_at=soon, ends_at=soon + timedelta(hours=4), capacity=1)
    later = await make_event(capacity=5)
    await register(event, email="one@example.org")
    await register(event, email="two@example.org")  # waitlisted: no reminder
    await register(later, email="three@example.org")  # not within 24 hours
    assert await tasks.send_reminders() == 1
    assert await tasks.send_reminders() == 0
    [mail] = await outbox("registration_reminder")
    assert mail["To"] == "one@example.org"
    assert "png" in parts(mail)
