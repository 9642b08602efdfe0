"""Capacity under concurrent registration: never oversold, on both engines."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from events.services import counts
from events.tables import Event, Slot
from fairground.db import start_engine, stop_engine
from registrations.services import cancel_registration, register_attendee
from registrations.tables import Registration
from tests.factories import future, make_event
from tests.registrations.helpers import outbox, person, raw


@pytest.fixture
async def pool() -> AsyncIterator[None]:
    """A connection pool on PostgreSQL, as the app runs (a connection per query otherwise)."""
    await start_engine()
    yield
    await stop_engine()


async def _guard(event_id: int) -> int:
    return int((await Event.select().where(Event.id == event_id).first())["confirmed_count"])


async def test_200_at_once_against_50_places(pool: None) -> None:
    event = await make_event(capacity=50)
    results = await asyncio.gather(
        *(register_attendee(event["slug"], person(n)) for n in range(200))
    )
    statuses = [r.status for r in results]
    assert statuses.count("confirmed") == 50 and statuses.count("waitlisted") == 150
    assert await _guard(event["id"]) == 50
    assert (await counts(event["id"])).confirmed == 50
    assert len(await outbox("registration_confirmation")) == 50
    assert len(await outbox("registration_waitlisted")) == 150
    assert len({r.ticket_code for r in results if r.ticket_code}) == 50


async def test_200_at_once_with_slots(pool: None) -> None:
    start = future()
    event = await make_event(
        capacity=50,
        slots=[
            {"starts_at": start, "ends_at": start + timedelta(hours=1), "capacity": 20},
            {
                "starts_at": start + timedelta(hours=1),
                "ends_at": start + timedelta(hours=2),
                "capacity": 40,
            },
        ],
    )
    early, late = [
        s["id"]
        for s in await Slot.select(Slot.id).where(Slot.event == event["id"]).order_by(Slot.id)
    ]
    results = await asyncio.gather(
        *(register_attendee(event["slug"], person(n, early if n % 2 else late)) for n in range(200))
    )
    assert [r.status for r in results].count("confirmed") == 50
    assert await _guard(event["id"]) == 50
    slots = {s["id"]: s["confirmed_count"] for s in await Slot.select()}
    assert slots[early] <= 20 and slots[late] <= 40 and sum(slots.values()) == 50
    for slot_id, taken in slots.items():
        assert taken == await Registration.count().where(
            (Registration.slot == slot_id) & (Registration.status == "confirmed")
        )


async def test_same_email_at_once_registers_once(pool: None) -> None:
    event = await make_event(capacity=10)
    outcomes = await asyncio.gather(
        *(register_attendee(event["slug"], person(1)) for _ in range(10)), return_exceptions=True
    )
    ok = [o for o in outcomes if not isinstance(o, BaseException)]
    conflicts = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(ok) == 1
    assert all(getattr(c, "code", None) == "already_registered" for c in conflicts)
    assert await _guard(event["id"]) == 1
    assert await Registration.count() == 1


async def test_cancellations_and_registrations_at_once(pool: None) -> None:
    event = await make_event(capacity=20)
    first = await asyncio.gather(*(register_attendee(event["slug"], person(n)) for n in range(40)))
    confirmed = [r for r in first if r.status == "confirmed"]
    await asyncio.gather(
        *(cancel_registration(r.manage_token) for r in confirmed[:10]),
        *(register_attendee(event["slug"], person(n)) for n in range(100, 130)),
    )
    total = await counts(event["id"])
    assert total.confirmed == 20 == await _guard(event["id"])
    assert total.cancelled == 10


async def test_200_posts_at_once_through_the_api(client: Any) -> None:
    event = await make_event(capacity=50)
    url = f"/api/v1/events/{event['slug']}/registrations"
    responses = await asyncio.gather(
        *(client.post(url, json=raw(email=f"api{n}@example.org")) for n in range(200))
    )
    assert {r.status_code for r in responses} == {201}
    statuses = [r.json()["status"] for r in responses]
    assert statuses.count("confirmed") == 50 and statuses.count("waitlisted") == 150
    assert await _guard(event["id"]) == 50
