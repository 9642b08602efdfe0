"""Schedules, slots, booking rules and their codes (both engines)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from exhibitors.interviews import services
from exhibitors.interviews.tables import InterviewBooking, InterviewSlot
from fairground.errors import Conflict, Forbidden, Invalid
from tests.interviews.helpers import attendee, fair, schedule, slot_ids
from tests.registrations.helpers import outbox


def test_slot_times_with_gap_and_break() -> None:
    from datetime import UTC, datetime

    start = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    data = services.ScheduleInput(
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        slot_minutes=20,
        gap_minutes=5,
        breaks=[(start + timedelta(minutes=50), start + timedelta(minutes=70))],
    )
    times = [(s - start).seconds // 60 for s, _ in services.slot_times(data)]
    # 0, 25; 50 would overlap the break (50-70): resume at 70, then 95 (95+20 <= 120).
    assert times == [0, 25, 70, 95]


async def test_publish_makes_slots_and_places() -> None:
    world = await fair()
    made = await schedule(world["exhibitor_id"], world["event"]["starts_at"], parallel=2)
    assert [s["places"] for s in made["slots"]] == [2, 2, 2, 2, 2]
    assert made["mode"] == "open"


async def test_bad_schedules_name_their_field() -> None:
    world = await fair()
    start = world["event"]["starts_at"]
    with pytest.raises(Invalid) as exc:
        await schedule(world["exhibitor_id"], start, ends_at=start - timedelta(minutes=5))
    assert "ends_at" in exc.value.fields
    with pytest.raises(Invalid) as exc:
        await schedule(world["exhibitor_id"], start, slot_minutes=1)
    assert "slot_minutes" in exc.value.fields
    with pytest.raises(Invalid) as exc:
        await schedule(world["exhibitor_id"], start, mode="lottery")
    assert "mode" in exc.value.fields
    with pytest.raises(Invalid) as exc:
        await schedule(world["exhibitor_id"], start + timedelta(days=3))
    assert "starts_at" in exc.value.fields


async def test_book_full_overlap_and_limit() -> None:
    world = await fair()
    event, start = world["event"], world["event"]["starts_at"]
    first = await schedule(world["exhibitor_id"], start, ends_at=start + timedelta(hours=4))
    other = await schedule(world["exhibitor_id"], start, ends_at=start + timedelta(hours=4))
    a, b = await slot_ids(first["id"]), await slot_ids(other["id"])
    amira, ben = await attendee(event, 1), await attendee(event, 2)

    booked = await services.book(amira, a[0])
    assert booked["status"] == "booked" and booked["slot"]["places_left"] == 0
    assert booked["links"]["ics"].endswith(f"/interviews/{booked['id']}/invite.ics")
    with pytest.raises(Conflict) as exc:
        await services.book(ben, a[0])
    assert exc.value.code == "slot_full"
    with pytest.raises(Conflict) as exc:  # b[0] is at the same time as a[0]
        await services.book(amira, b[0])
    assert exc.value.code == "overlaps"
    await services.book(amira, a[1])
    await services.book(amira, a[2])
    with pytest.raises(Conflict) as exc:  # the default limit is 3
        await services.book(amira, a[3])
    assert exc.value.code == "limit_reached"
    await services.set_policy(event["id"], 4, 60)
    await services.book(amira, a[3])
    assert (
        await InterviewBooking.count().where(InterviewBooking.registration.manage_token == amira)
        == 4
    )
    assert len(await outbox("interview_confirmation")) == 4


async def test_cancel_and_move_keep_the_guard_true() -> None:
    world = await fair()
    event, start = world["event"], world["event"]["starts_at"]
    made = await schedule(world["exhibitor_id"], start)
    ids = await slot_ids(made["id"])
    token = await attendee(event, 1)
    booking = await services.book(token, ids[0])
    moved = await services.move(token, booking["id"], ids[2])
    assert moved["id"] == booking["id"] and moved["slot"]["id"] == ids[2]
    counts = {s["id"]: s["booked_count"] for s in await InterviewSlot.select()}
    assert counts[ids[0]] == 0 and counts[ids[2]] == 1
    cancelled = await services.cancel(token, booking["id"])
    assert cancelled["status"] == "cancelled"
    assert (await InterviewSlot.select().where(InterviewSlot.id == ids[2]).first())[
        "booked_count"
    ] == 0
    with pytest.raises(Conflict) as exc:
        await services.cancel(token, booking["id"])
    assert exc.value.code == "not_booked"
    assert len(await outbox("interview_updated")) == 1
    assert len(await outbox("interview_cancelled")) == 1


async def test_cutoff_refuses_late_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    world = await fair()
    event, start = world["event"], world["event"]["starts_at"]
    ids = await slot_ids((await schedule(world["exhibitor_id"], start))["id"])
    token = await attendee(event, 1)
    booking = await services.book(token, ids[0])
    monkeypatch.setattr(services, "now", lambda: start - timedelta(minutes=30))
    with pytest.raises(Conflict) as exc:
        await services.cancel(token, booking["id"])
    assert exc.value.code == "too_late"
    with pytest.raises(Conflict) as exc:
        await services.move(token, booking["id"], ids[1])
    assert exc.value.code == "too_late"


async def test_invited_mode_needs_an_invitation() -> None:
    world = await fair()
    event, start = world["event"], world["event"]["starts_at"]
    made = await schedule(world["exhibitor_id"], start, mode="invited")
    ids = await slot_ids(made["id"])
    token = await attendee(event, 1)
    with pytest.raises(Forbidden) as exc:
        await services.book(token, ids[0])
    assert exc.value.code == "not_invited"
    assert await services.open_slots(event["id"]) == []
    from exhibitors.leads.tables import Lead
    from registrations.tables import Registration

    reg = await Registration.select().where(Registration.manage_token == token).first()
    with pytest.raises(Invalid):  # not a lead, no interest shown
        await services.invite(world["exhibitor_id"], made["id"], [reg["id"]])
    await Lead.insert(
        Lead(event=event["id"], exhibitor=world["exhibitor_id"], registration=reg["id"])
    )
    assert await services.invite(world["exhibitor_id"], made["id"], [reg["id"]]) == 1
    assert len(await outbox("interview_invitation")) == 1
    assert len(await services.open_slots(event["id"], None, reg["id"])) == len(ids)
    await services.book(token, ids[0])


async def test_seam_bookings_for_registration() -> None:
    world = await fair()
    event, start = world["event"], world["event"]["starts_at"]
    ids = await slot_ids((await schedule(world["exhibitor_id"], start, parallel=2))["id"])
    token = await attendee(event, 1)
    await services.book(token, ids[1])
    from registrations.tables import Registration

    reg = await Registration.select().where(Registration.manage_token == token).first()
    [item] = await services.bookings_for_registration(reg["id"])
    assert set(item) == {
        "id", "starts_at", "ends_at", "status", "exhibitor_name", "stand", "vacancy_title", "where"
    }  # fmt: skip
    assert item["exhibitor_name"] == "Warwick Hospital Trust"
    assert item["stand"] is None and item["vacancy_title"] is None
    assert item["where"] == "At the Warwick Hospital Trust stand"
    assert item["starts_at"] == start + timedelta(minutes=25)
