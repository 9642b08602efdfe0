"""One slot place under 120 bookings at once: exactly one, on both engines; one
person's overlapping bookings at once: exactly one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from exhibitors.interviews import services
from exhibitors.interviews.tables import InterviewBooking, InterviewSlot
from fairground.db import start_engine, stop_engine
from fairground.errors import Conflict
from registrations.services import register_attendee
from tests.interviews.helpers import fair, schedule, slot_ids
from tests.registrations.helpers import person


@pytest.fixture
async def pool() -> AsyncIterator[None]:
    await start_engine()
    yield
    await stop_engine()


async def _try(token: str, slot_id: int) -> str:
    try:
        await services.book(token, slot_id)
    except Conflict as exc:
        return exc.code
    return "booked"


async def test_120_at_once_for_one_place(pool: None) -> None:
    world = await fair()
    event = world["event"]
    ids = await slot_ids((await schedule(world["exhibitor_id"], event["starts_at"]))["id"])
    tokens = [(await register_attendee(event["slug"], person(n))).manage_token for n in range(120)]
    results = await asyncio.gather(*(_try(t, ids[0]) for t in tokens))
    assert results.count("booked") == 1 and results.count("slot_full") == 119
    row = await InterviewSlot.select().where(InterviewSlot.id == ids[0]).first()
    assert row["booked_count"] == 1
    assert await InterviewBooking.count().where(InterviewBooking.slot == ids[0]) == 1


async def test_one_person_overlapping_at_once(pool: None) -> None:
    world = await fair()
    event, start = world["event"], world["event"]["starts_at"]
    sets = [await schedule(world["exhibitor_id"], start, parallel=5) for _ in range(4)]
    same_time = [(await slot_ids(s["id"]))[0] for s in sets]
    token = (await register_attendee(event["slug"], person(1))).manage_token
    results = await asyncio.gather(*(_try(token, s) for s in same_time * 5))
    assert results.count("booked") == 1
    assert set(results) == {"booked", "overlaps"}
    assert sum(r["booked_count"] for r in await InterviewSlot.select()) == 1


async def test_one_person_over_the_limit_at_once(pool: None) -> None:
    world = await fair()
    event, start = world["event"], world["event"]["starts_at"]
    made = await schedule(world["exhibitor_id"], start, ends_at=start + timedelta(hours=4))
    ids = await slot_ids(made["id"])
    token = (await register_attendee(event["slug"], person(1))).manage_token
    results = await asyncio.gather(*(_try(token, s) for s in ids[:8]))
    assert results.count("booked") == 3 and results.count("limit_reached") == 5
