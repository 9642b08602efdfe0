"""Interviews at the fair: schedules and their slots, bookings, outcomes, time to hire.

Places are guarded by `InterviewSlot.booked_count`, moved only by conditional
updates (`… WHERE booked_count < capacity`) in the same transaction as the
booking and its outbox email, as registrations guard their places: a place is
never taken twice, on either engine. One person's bookings are serialised by a
row lock on their registration (a no-op UPDATE, first in the transaction) so
that two bookings of one person at once cannot both pass the overlap and limit
checks; SQLite serialises every write transaction anyway (BEGIN IMMEDIATE).

`bookings_for_registration` is the public seam the ticket page and the plan for
the day use.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from events.tables import Event
from exhibitors.interviews import emails
from exhibitors.interviews.tables import (
    InterviewBooking,
    InterviewInvitation,
    InterviewPolicy,
    InterviewSchedule,
    InterviewSlot,
)
from exhibitors.leads.tables import Lead, LeadDelivery
from exhibitors.tables import Exhibitor, Stand, StandAllocation, Vacancy
from fairground.audit import record_audit
from fairground.db import write_transaction
from fairground.errors import Conflict, Forbidden, Invalid, NotFound
from fairground.i18n import N_, Msg
from registrations.tables import Registration
from registrations.tickets import verify_ticket

Row = dict[str, Any]
MODES = ("open", "invited")
ACTIVE = ("booked", "attended")  # a booking that holds its place
OUTCOMES = ("not_progressed", "second_interview", "offer_made", "offer_accepted")
MARKS = ("attended", "no_show")
MAX_SLOTS = 400
# Joined columns, typed loosely (Piccolo's types do not follow a join).
_slot_exhibitor: Any = InterviewSlot.exhibitor
_slot_schedule: Any = InterviewSlot.schedule
_booking_exhibitor: Any = InterviewBooking.exhibitor
_booking_slot: Any = InterviewBooking.slot
DEFAULT_LIMIT = 3
DEFAULT_CUTOFF_MINUTES = 60
ADVERT_TO_HIRE_DAYS = 100  # the region's figure the report compares against
SUPPRESS_BELOW = 5
# What an interview outcome means for the lead's deliveries to councils, and the
# order they advance in (a later outcome never goes back to an earlier one).
LEAD_OUTCOME = {
    "attended": "interviewed",
    "not_progressed": "interviewed",
    "second_interview": "interviewed",
    "offer_made": "offered",
    "offer_accepted": "hired",
}
LEAD_ORDER = ("", "contacted", "interviewed", "offered", "hired")


def now() -> datetime:
    """The time bookings are judged at (tests move it)."""
    return datetime.now(UTC)


# ---------------------------------------------------------------- policy


async def policy(event_id: int) -> Row:
    row = await InterviewPolicy.select().where(InterviewPolicy.event == event_id).first()
    if row is None:
        return {"per_person_limit": DEFAULT_LIMIT, "cutoff_minutes": DEFAULT_CUTOFF_MINUTES}
    return {"per_person_limit": row["per_person_limit"], "cutoff_minutes": row["cutoff_minutes"]}


async def set_policy(event_id: int, per_person_limit: int, cutoff_minutes: int) -> Row:
    errors: dict[str, str] = {}
    if not 1 <= per_person_limit <= 20:
        errors["per_person_limit"] = "Enter a limit from 1 to 20"
    if not 0 <= cutoff_minutes <= 7 * 24 * 60:
        errors["cutoff_minutes"] = "Enter a cutoff from 0 to 10080 minutes"
    if errors:
        raise Invalid(next(iter(errors.values())), fields=errors)
    async with write_transaction():
        updated = (
            await InterviewPolicy.update(
                {
                    InterviewPolicy.per_person_limit: per_person_limit,
                    InterviewPolicy.cutoff_minutes: cutoff_minutes,
                }
            )
            .where(InterviewPolicy.event == event_id)
            .returning(InterviewPolicy.id)
        )
        if not updated:
            await InterviewPolicy.insert(
                InterviewPolicy(
                    event=event_id,
                    per_person_limit=per_person_limit,
                    cutoff_minutes=cutoff_minutes,
                )
            )
    return await policy(event_id)


# ---------------------------------------------------------------- schedules


@dataclass
class ScheduleInput:
    starts_at: datetime
    ends_at: datetime
    slot_minutes: int = 20
    gap_minutes: int = 5
    parallel: int = 1
    breaks: list[tuple[datetime, datetime]] = field(default_factory=list)
    mode: str = "open"
    vacancy_id: int | None = None


def _aware(value: datetime, name: str, errors: dict[str, str]) -> datetime:
    if value.tzinfo is None:
        errors[name] = "Give the time with its offset, e.g. 2026-05-01T10:00:00+01:00"
    return value


def slot_times(data: ScheduleInput) -> list[tuple[datetime, datetime]]:
    """Interviews of slot_minutes, gap_minutes apart, from the start while one fits
    before the end; none that overlaps a break (the next starts when the break ends)."""
    length, gap = timedelta(minutes=data.slot_minutes), timedelta(minutes=data.gap_minutes)
    breaks = sorted(data.breaks)
    times: list[tuple[datetime, datetime]] = []
    t = data.starts_at
    while t + length <= data.ends_at:
        clash = next((b for b in breaks if b[0] < t + length and b[1] > t), None)
        if clash is not None:
            t = clash[1]
            continue
        times.append((t, t + length))
        if len(times) > MAX_SLOTS:
            break
        t = t + length + gap
    return times


async def _check_schedule(exhibitor: Row, data: ScheduleInput) -> list[tuple[datetime, datetime]]:
    errors: dict[str, str] = {}
    _aware(data.starts_at, "starts_at", errors)
    _aware(data.ends_at, "ends_at", errors)
    for n, (start, end) in enumerate(data.breaks):
        if start.tzinfo is None or end.tzinfo is None or end <= start:
            errors[f"breaks.{n}"] = (
                "Each break is [start, end] with offsets, the end after the start"
            )
    if errors:
        raise Invalid(next(iter(errors.values())), fields=errors)
    if data.ends_at <= data.starts_at:
        errors["ends_at"] = "The end must be after the start"
    event = exhibitor["event_row"]
    if data.starts_at < event["starts_at"] - timedelta(hours=12) or data.ends_at > event[
        "ends_at"
    ] + timedelta(hours=12):
        errors["starts_at"] = "Interviews must be on the day of the fair"
    if not 5 <= data.slot_minutes <= 240:
        errors["slot_minutes"] = "Enter an interview length from 5 to 240 minutes"
    if not 0 <= data.gap_minutes <= 120:
        errors["gap_minutes"] = "Enter a gap from 0 to 120 minutes"
    if not 1 <= data.parallel <= 20:
        errors["parallel"] = "Enter from 1 to 20 interviews at once"
    if data.mode not in MODES:
        errors["mode"] = "Choose open or invited"
    if data.vacancy_id is not None and not await Vacancy.exists().where(
        (Vacancy.id == data.vacancy_id) & (Vacancy.exhibitor == exhibitor["id"])
    ):
        errors["vacancy_id"] = "Choose one of your own vacancies"
    if errors:
        raise Invalid(next(iter(errors.values())), fields=errors)
    times = slot_times(data)
    if not times:
        raise Invalid("No interview fits in these hours", fields={"ends_at": "No interview fits"})
    if len(times) > MAX_SLOTS:
        message = f"At most {MAX_SLOTS} interview times in one schedule"
        raise Invalid(message, fields={"slot_minutes": message})
    return times


async def _exhibitor(exhibitor_id: int) -> Row:
    row = await Exhibitor.select().where(Exhibitor.id == exhibitor_id).first()
    if row is None:
        raise NotFound("There is no exhibitor at this address", code="exhibitor_not_found")
    event = await Event.select().where(Event.id == row["event"]).first()
    return {**row, "event_row": event}


async def publish_schedule(exhibitor_id: int, data: ScheduleInput, actor_id: int | None) -> Row:
    """A schedule and its slots, in one transaction; only an approved exhibitor."""
    exhibitor = await _exhibitor(exhibitor_id)
    if exhibitor["status"] != "approved":
        raise Conflict("Only an approved exhibitor can publish interviews", code="not_approved")
    times = await _check_schedule(exhibitor, data)
    async with write_transaction():
        inserted = await InterviewSchedule.insert(
            InterviewSchedule(
                event=exhibitor["event"],
                exhibitor=exhibitor_id,
                vacancy=data.vacancy_id,
                starts_at=data.starts_at,
                ends_at=data.ends_at,
                slot_minutes=data.slot_minutes,
                gap_minutes=data.gap_minutes,
                parallel=data.parallel,
                breaks=[[s.isoformat(), e.isoformat()] for s, e in data.breaks],
                mode=data.mode,
                created_by=actor_id,
            )
        ).returning(InterviewSchedule.id)
        schedule_id = inserted[0]["id"]
        await InterviewSlot.insert(
            *(
                InterviewSlot(
                    schedule=schedule_id,
                    event=exhibitor["event"],
                    exhibitor=exhibitor_id,
                    starts_at=start,
                    ends_at=end,
                    capacity=data.parallel,
                )
                for start, end in times
            )
        )
        if actor_id is not None:
            await record_audit(
                actor_id, "interview_schedule_published", ("interview_schedule", schedule_id)
            )
    return await schedule_out(schedule_id)


async def schedule_out(schedule_id: int) -> Row:
    row = await InterviewSchedule.select().where(InterviewSchedule.id == schedule_id).first()
    if row is None:
        raise NotFound("There is no interview schedule at this address", code="schedule_not_found")
    slots = (
        await InterviewSlot.select()
        .where(InterviewSlot.schedule == schedule_id)
        .order_by(InterviewSlot.starts_at)
    )
    return {
        "id": row["id"],
        "exhibitor_id": row["exhibitor"],
        "vacancy_id": row["vacancy"],
        "mode": row["mode"],
        "starts_at": row["starts_at"].isoformat(),
        "ends_at": row["ends_at"].isoformat(),
        "slot_minutes": row["slot_minutes"],
        "gap_minutes": row["gap_minutes"],
        "parallel": row["parallel"],
        "breaks": row["breaks"] if isinstance(row["breaks"], list) else _json(row["breaks"]),
        "slots": [
            {
                "id": s["id"],
                "starts_at": s["starts_at"].isoformat(),
                "ends_at": s["ends_at"].isoformat(),
                "places": s["capacity"],
                "places_left": s["capacity"] - s["booked_count"],
            }
            for s in slots
        ],
    }


def _json(value: Any) -> Any:
    import json

    return json.loads(value) if isinstance(value, str) else value


async def schedules_for_exhibitor(exhibitor_id: int) -> list[Row]:
    ids = (
        await InterviewSchedule.select(InterviewSchedule.id)
        .where(InterviewSchedule.exhibitor == exhibitor_id)
        .order_by(InterviewSchedule.starts_at)
    )
    return [await schedule_out(r["id"]) for r in ids]


# ---------------------------------------------------------------- slots a jobseeker sees


async def _stands(event_id: int) -> dict[int, str]:
    rows = await StandAllocation.select(
        StandAllocation.exhibitor, StandAllocation.stand.code.as_alias("code")
    ).where(StandAllocation.stand.event == event_id)
    return {r["exhibitor"]: r["code"] for r in rows}


async def _slot_rows(where: Any) -> list[Row]:
    return (
        await InterviewSlot.select(
            *InterviewSlot.all_columns(),
            _slot_exhibitor.organisation.name.as_alias("exhibitor_name"),
            _slot_schedule.mode.as_alias("mode"),
            _slot_schedule.vacancy.as_alias("vacancy_id"),
            _slot_schedule.vacancy.title.as_alias("vacancy_title"),
            _slot_schedule.vacancy.job_family.as_alias("job_family"),
        )
        .where(where)
        .order_by(InterviewSlot.starts_at, InterviewSlot.id)
    )


async def open_slots(
    event_id: int, job_family: str | None = None, registration_id: int | None = None
) -> list[Row]:
    """The slots of approved exhibitors still to start: open ones, and invited ones
    this registration was invited to. A job family keeps the slots for its vacancies
    and the general slots of exhibitors with a vacancy in it."""
    rows = await _slot_rows(
        (InterviewSlot.event == event_id)
        & (InterviewSlot.starts_at > now())
        & (InterviewSlot.exhibitor.status == "approved")
    )
    invited: set[int] = set()
    if registration_id is not None:
        invited = {
            r["schedule"]
            for r in await InterviewInvitation.select(InterviewInvitation.schedule).where(
                InterviewInvitation.registration == registration_id
            )
        }
    rows = [r for r in rows if r["mode"] == "open" or r["schedule"] in invited]
    if job_family:
        hiring = {
            r["exhibitor"]
            for r in await Vacancy.select(Vacancy.exhibitor).where(
                (Vacancy.job_family == job_family) & (Vacancy.exhibitor.event == event_id)
            )
        }
        rows = [
            r
            for r in rows
            if r["job_family"] == job_family
            or (r["vacancy_id"] is None and r["exhibitor"] in hiring)
        ]
    stands = await _stands(event_id)
    return [{**r, "stand": stands.get(r["exhibitor"])} for r in rows]


def slot_json(row: Row) -> Row:
    return {
        "id": row["id"],
        "exhibitor": {
            "id": row["exhibitor"],
            "name": row["exhibitor_name"],
            "stand": row.get("stand"),
        },
        "vacancy": (
            {"id": row["vacancy_id"], "title": row["vacancy_title"]} if row["vacancy_id"] else None
        ),
        "starts_at": row["starts_at"].isoformat(),
        "ends_at": row["ends_at"].isoformat(),
        "places_left": row["capacity"] - row["booked_count"],
    }


async def free_slots_by_exhibitor(event_id: int) -> list[Row]:
    """For the fair page: per exhibitor, how many places are still free and the next."""
    groups: dict[int, Row] = {}
    for row in await open_slots(event_id):
        left = row["capacity"] - row["booked_count"]
        if left <= 0:
            continue
        group = groups.setdefault(
            row["exhibitor"],
            {"name": row["exhibitor_name"], "stand": row["stand"], "free": 0, "next": None},
        )
        group["free"] += left
        group["next"] = group["next"] or row["starts_at"]
    return sorted(groups.values(), key=lambda g: (g["next"], g["name"]))


# ---------------------------------------------------------------- booking


async def _registration(manage_token: str) -> Row:
    if not manage_token or len(manage_token) > 64:
        raise NotFound(
            N_("There is no registration at this address"), code="registration_not_found"
        )
    row = await Registration.select().where(Registration.manage_token == manage_token).first()
    if row is None:
        raise NotFound(
            N_("There is no registration at this address"), code="registration_not_found"
        )
    return row


async def _lock_person(registration_id: int) -> None:
    """A row lock on PostgreSQL until the transaction ends (a no-op change)."""
    await Registration.update({Registration.ics_sequence: Registration.ics_sequence}).where(
        Registration.id == registration_id
    )


async def _slot(slot_id: int) -> Row:
    rows = await _slot_rows(InterviewSlot.id == slot_id)
    if not rows:
        raise NotFound(N_("There is no interview time at this address"), code="slot_not_found")
    return rows[0]


async def _active_bookings(registration_id: int, exclude: int | None = None) -> list[Row]:
    where = (InterviewBooking.registration == registration_id) & InterviewBooking.status.is_in(
        list(ACTIVE)
    )
    if exclude is not None:
        where &= InterviewBooking.id != exclude
    return await InterviewBooking.select(
        InterviewBooking.id,
        InterviewBooking.slot.starts_at.as_alias("starts_at"),
        InterviewBooking.slot.ends_at.as_alias("ends_at"),
    ).where(where)


async def _check_can_book(
    registration: Row, slot: Row, exclude: int | None = None, walk_in: bool = False
) -> None:
    if registration["status"] != "confirmed":
        raise Conflict(
            N_("Only someone with a place at the fair can book an interview"), code="not_confirmed"
        )
    if slot["event"] != registration["event"]:
        raise NotFound(N_("There is no interview time at this address"), code="slot_not_found")
    if not walk_in:
        if slot["starts_at"] <= now():
            raise Conflict(N_("This interview time has passed"), code="slot_past")
        if slot["mode"] == "invited" and not await InterviewInvitation.exists().where(
            (InterviewInvitation.schedule == slot["schedule"])
            & (InterviewInvitation.registration == registration["id"])
        ):
            raise Forbidden(
                N_("These interviews are by invitation of the employer"), code="not_invited"
            )
    mine = await _active_bookings(registration["id"], exclude)
    if any(b["starts_at"] < slot["ends_at"] and b["ends_at"] > slot["starts_at"] for b in mine):
        raise Conflict(N_("You already have an interview at this time"), code="overlaps")
    limit = (await policy(registration["event"]))["per_person_limit"]
    if len(mine) >= limit:
        raise Conflict(
            Msg(N_("You can book at most %(limit)s interviews at this fair"), limit=limit),
            code="limit_reached",
        )


async def _take(slot_id: int) -> bool:
    taken = (
        await InterviewSlot.update({InterviewSlot.booked_count: InterviewSlot.booked_count + 1})
        .where(
            (InterviewSlot.id == slot_id) & (InterviewSlot.booked_count < InterviewSlot.capacity)
        )
        .returning(InterviewSlot.id)
    )
    return bool(taken)


async def _release(slot_id: int) -> None:
    await InterviewSlot.update({InterviewSlot.booked_count: InterviewSlot.booked_count - 1}).where(
        (InterviewSlot.id == slot_id) & (InterviewSlot.booked_count > 0)
    )


def _full() -> Conflict:
    return Conflict(N_("This interview time is fully booked"), code="slot_full")


async def _book(registration: Row, slot_id: int, walk_in: bool = False) -> Row:
    async with write_transaction():
        await _lock_person(registration["id"])
        slot = await _slot(slot_id)
        await _check_can_book(registration, slot, walk_in=walk_in)
        if not await _take(slot_id):
            raise _full()
        inserted = await InterviewBooking.insert(
            InterviewBooking(
                slot=slot_id,
                registration=registration["id"],
                event=registration["event"],
                exhibitor=slot["exhibitor"],
                walk_in=walk_in,
            )
        ).returning(InterviewBooking.id)
        booking_id = int(inserted[0]["id"])
        await emails.send_booking_email("interview_confirmation", booking_id, 0, "booked")
        # The answer is read inside the transaction: once it commits, nothing more can
        # fail and tell the client that a booking it has did not happen.
        return await booking_json(booking_id, registration["manage_token"])


async def book(manage_token: str, slot_id: int) -> Row:
    registration = await _registration(manage_token)
    return await _book(registration, slot_id)


async def _own_booking(registration: Row, booking_id: int) -> Row:
    row = (
        await InterviewBooking.select()
        .where(
            (InterviewBooking.id == booking_id)
            & (InterviewBooking.registration == registration["id"])
        )
        .first()
    )
    if row is None:
        raise NotFound(
            N_("There is no interview booking at this address"), code="booking_not_found"
        )
    return row


async def _check_cutoff(registration: Row, slot_starts_at: datetime) -> None:
    cutoff = timedelta(minutes=(await policy(registration["event"]))["cutoff_minutes"])
    if now() > slot_starts_at - cutoff:
        raise Conflict(
            N_("It is too late to change this interview: please speak to the employer"),
            code="too_late",
        )


async def cancel(manage_token: str, booking_id: int) -> Row:
    registration = await _registration(manage_token)
    booking = await _own_booking(registration, booking_id)
    slot = await _slot(booking["slot"])
    if booking["status"] != "booked":
        raise Conflict(N_("This interview is not booked"), code="not_booked")
    await _check_cutoff(registration, slot["starts_at"])
    async with write_transaction():
        done = (
            await InterviewBooking.update(
                {
                    InterviewBooking.status: "cancelled",
                    InterviewBooking.cancelled_at: now(),
                    InterviewBooking.ics_sequence: InterviewBooking.ics_sequence + 1,
                }
            )
            .where((InterviewBooking.id == booking_id) & (InterviewBooking.status == "booked"))
            .returning(InterviewBooking.ics_sequence)
        )
        if not done:
            raise Conflict(N_("This interview is not booked"), code="not_booked")
        await _release(booking["slot"])
        await emails.send_booking_email(
            "interview_cancelled", booking_id, done[0]["ics_sequence"], "cancelled"
        )
        return await booking_json(booking_id, manage_token)


async def move(manage_token: str, booking_id: int, slot_id: int) -> Row:
    """To another time (of any exhibitor at the fair): the same booking and invite
    UID, a higher SEQUENCE."""
    registration = await _registration(manage_token)
    booking = await _own_booking(registration, booking_id)
    if booking["status"] != "booked":
        raise Conflict(N_("This interview is not booked"), code="not_booked")
    if slot_id == booking["slot"]:
        return await booking_json(booking_id, manage_token)
    await _check_cutoff(registration, (await _slot(booking["slot"]))["starts_at"])
    async with write_transaction():
        await _lock_person(registration["id"])
        slot = await _slot(slot_id)
        await _check_can_book(registration, slot, exclude=booking_id)
        if not await _take(slot_id):
            raise _full()
        moved = (
            await InterviewBooking.update(
                {
                    InterviewBooking.slot: slot_id,
                    InterviewBooking.exhibitor: slot["exhibitor"],
                    InterviewBooking.ics_sequence: InterviewBooking.ics_sequence + 1,
                    InterviewBooking.reminded_at: None,
                }
            )
            .where(
                (InterviewBooking.id == booking_id)
                & (InterviewBooking.status == "booked")
                & (InterviewBooking.slot == booking["slot"])
            )
            .returning(InterviewBooking.ics_sequence)
        )
        if not moved:
            raise Conflict(N_("This interview is not booked"), code="not_booked")
        await _release(booking["slot"])
        await emails.send_booking_email(
            "interview_updated", booking_id, moved[0]["ics_sequence"], "booked"
        )
        return await booking_json(booking_id, manage_token)


async def booking_json(booking_id: int, manage_token: str) -> Row:
    row = await InterviewBooking.select().where(InterviewBooking.id == booking_id).first()
    assert row is not None
    slot = await _slot(row["slot"])
    slot["stand"] = (await _stands(slot["event"])).get(slot["exhibitor"])
    return {
        "id": row["id"],
        "slot": slot_json(slot),
        "status": row["status"],
        "walk_in": row["walk_in"],
        "links": {"ics": emails.ics_url(manage_token, row["id"])},
    }


def _where_text(stand: str | None, table: int | None, name: str) -> str:
    """Human words: "Stand B4, table 2" (the table when there are several)."""
    from fairground import i18n

    _ = i18n.gettext
    if stand and table:
        return _("Stand %(stand)s, table %(table)s") % {"stand": stand, "table": table}
    if stand:
        return _("Stand %(stand)s") % {"stand": stand}
    return _("At the %(name)s stand") % {"name": name}


async def bookings_for_registration(registration_id: int) -> list[Row]:
    """Every interview booking of one registration, soonest first (cancelled ones
    last): id, starts_at, ends_at, status, exhibitor_name, stand, vacancy_title,
    where (words for people, in the current language). The seam the ticket page
    and the plan for the day read."""
    rows = (
        await InterviewBooking.select(
            InterviewBooking.id,
            InterviewBooking.status,
            InterviewBooking.slot,
            InterviewBooking.event,
            InterviewBooking.exhibitor,
            InterviewBooking.slot.starts_at.as_alias("starts_at"),
            InterviewBooking.slot.ends_at.as_alias("ends_at"),
            InterviewBooking.slot.capacity.as_alias("capacity"),
            _booking_exhibitor.organisation.name.as_alias("exhibitor_name"),
            _booking_slot.schedule.vacancy.title.as_alias("vacancy_title"),
        )
        .where(InterviewBooking.registration == registration_id)
        .order_by(InterviewBooking.id)
    )
    if not rows:
        return []
    stands = await _stands(rows[0]["event"])
    tables = await _tables([r["slot"] for r in rows if r["capacity"] > 1])
    out = [
        {
            "id": r["id"],
            "starts_at": r["starts_at"],
            "ends_at": r["ends_at"],
            "status": r["status"],
            "exhibitor_name": r["exhibitor_name"],
            "stand": stands.get(r["exhibitor"]),
            "vacancy_title": r["vacancy_title"] or None,
            "where": _where_text(
                stands.get(r["exhibitor"]), tables.get(r["id"]), r["exhibitor_name"]
            ),
        }
        for r in rows
    ]
    return sorted(out, key=lambda b: (b["status"] == "cancelled", b["starts_at"]))


async def _tables(slot_ids: list[int]) -> dict[int, int]:
    """Which table each booking of a slot with several sits at: by booking order."""
    if not slot_ids:
        return {}
    rows = (
        await InterviewBooking.select(InterviewBooking.id, InterviewBooking.slot)
        .where(InterviewBooking.slot.is_in(slot_ids) & InterviewBooking.status.is_in(list(ACTIVE)))
        .order_by(InterviewBooking.id)
    )
    seen: dict[int, int] = {}
    tables: dict[int, int] = {}
    for r in rows:
        seen[r["slot"]] = seen.get(r["slot"], 0) + 1
        tables[r["id"]] = seen[r["slot"]]
    return tables


# ---------------------------------------------------------------- invitations


async def invitable(exhibitor_id: int) -> list[Row]:
    """Who showed interest: this exhibitor's leads, and confirmed registrations
    interested in a job family of its vacancies."""
    exhibitor = await _exhibitor(exhibitor_id)
    lead_ids = {
        r["registration"]
        for r in await Lead.select(Lead.registration).where(Lead.exhibitor == exhibitor_id)
    }
    families = {
        r["job_family"]
        for r in await Vacancy.select(Vacancy.job_family).where(Vacancy.exhibitor == exhibitor_id)
    }
    rows = (
        await Registration.select(Registration.id, Registration.name, Registration.interests)
        .where((Registration.event == exhibitor["event"]) & (Registration.status == "confirmed"))
        .output(load_json=True)
        .order_by(Registration.name)
    )
    return [
        {"id": r["id"], "name": r["name"], "lead": r["id"] in lead_ids}
        for r in rows
        if r["id"] in lead_ids or families & set(r["interests"] or [])
    ]


async def invite(exhibitor_id: int, schedule_id: int, registration_ids: list[int]) -> int:
    schedule = (
        await InterviewSchedule.select()
        .where(
            (InterviewSchedule.id == schedule_id) & (InterviewSchedule.exhibitor == exhibitor_id)
        )
        .first()
    )
    if schedule is None:
        raise NotFound("There is no interview schedule at this address", code="schedule_not_found")
    allowed = {r["id"] for r in await invitable(exhibitor_id)}
    unknown = [r for r in registration_ids if r not in allowed]
    if unknown:
        message = "Invite only people who showed interest in your stand or vacancies"
        raise Invalid(message, fields={"registration_ids": message})
    already = {
        r["registration"]
        for r in await InterviewInvitation.select(InterviewInvitation.registration).where(
            InterviewInvitation.schedule == schedule_id
        )
    }
    sent = 0
    async with write_transaction():
        for registration_id in dict.fromkeys(registration_ids):
            if registration_id in already:
                continue
            await InterviewInvitation.insert(
                InterviewInvitation(schedule=schedule_id, registration=registration_id)
            )
            await emails.send_invitation_email(registration_id, schedule_id)
            sent += 1
    return sent


# ---------------------------------------------------------------- at the stand


async def stand_schedule(exhibitor_id: int) -> list[Row]:
    """Every slot of the exhibitor with its bookings: who, arrived at the fair or not."""
    slots = await _slot_rows(InterviewSlot.exhibitor == exhibitor_id)
    bookings = (
        await InterviewBooking.select(
            InterviewBooking.id,
            InterviewBooking.slot,
            InterviewBooking.status,
            InterviewBooking.outcome,
            InterviewBooking.walk_in,
            InterviewBooking.start_date,
            InterviewBooking.registration.name.as_alias("name"),
            InterviewBooking.registration.reference.as_alias("reference"),
            InterviewBooking.registration.checked_in_at.as_alias("checked_in_at"),
        )
        .where(
            (InterviewBooking.exhibitor == exhibitor_id) & (InterviewBooking.status != "cancelled")
        )
        .order_by(InterviewBooking.id)
    )
    by_slot: dict[int, list[Row]] = {}
    for b in bookings:
        by_slot.setdefault(b["slot"], []).append(b)
    moment = now()
    out = []
    for s in slots:
        out.append(
            {
                **s,
                "bookings": by_slot.get(s["id"], []),
                "free": s["capacity"] - s["booked_count"],
                "past": s["ends_at"] <= moment,
            }
        )
    upcoming = [
        s for s in out if not s["past"] and any(b["status"] == "booked" for b in s["bookings"])
    ]
    if upcoming:
        upcoming[0]["next"] = True
    return out


async def walk_in(exhibitor_id: int, code: str) -> Row:
    """A ticket scanned at the stand: the next free place in this exhibitor's slots
    that have not started yet (or the one running now)."""
    claims = verify_ticket(code)
    if claims is None:
        message = "This is not a Fairground ticket. Scan the QR code again."
        raise Invalid(message, code="invalid_ticket", fields={"code": message})
    exhibitor = await _exhibitor(exhibitor_id)
    if claims.event_id != exhibitor["event"]:
        message = "This ticket is for another event"
        raise Invalid(message, code="wrong_event", fields={"code": message})
    registration = (
        await Registration.select().where(Registration.id == claims.registration_id).first()
    )
    if registration is None:
        raise NotFound("There is no registration for this ticket", code="registration_not_found")
    candidates = await _slot_rows(
        (InterviewSlot.exhibitor == exhibitor_id)
        & (InterviewSlot.ends_at > now())
        & (InterviewSlot.booked_count < InterviewSlot.capacity)
    )
    for slot in candidates:
        try:
            return await _book(registration, slot["id"], walk_in=True)
        except Conflict as exc:
            if exc.code == "slot_full":
                continue  # taken since we looked: try the next
            raise
    raise Conflict("There are no free interview times left today", code="slot_full")


async def _staff_booking(booking_id: int) -> Row:
    row = await InterviewBooking.select().where(InterviewBooking.id == booking_id).first()
    if row is None:
        raise NotFound("There is no interview booking at this address", code="booking_not_found")
    return row


async def booking_exhibitor(booking_id: int) -> int:
    return int((await _staff_booking(booking_id))["exhibitor"])


async def record_outcome(
    booking_id: int, outcome: str, start_date: date | None, actor_id: int | None
) -> Row:
    """attended / no_show mark the interview; the others are its result (an
    interview with a result was held). It joins the lead's deliveries to councils."""
    booking = await _staff_booking(booking_id)
    if booking["status"] == "cancelled":
        raise Conflict("This interview was cancelled", code="not_booked")
    if outcome not in MARKS + OUTCOMES:
        message = f"Choose one of {', '.join(MARKS + OUTCOMES)}"
        raise Invalid(message, fields={"outcome": message})
    if outcome == "offer_accepted" and start_date is None:
        message = "Give the start date of an accepted offer"
        raise Invalid(message, fields={"start_date": message})
    if outcome in OUTCOMES and booking["status"] == "no_show":
        raise Conflict("This person did not come to the interview", code="no_show")
    moment = now()
    values: dict[Any, Any] = {}
    if outcome in MARKS:
        if outcome == "no_show" and booking["outcome"]:
            raise Conflict("This interview already has a result", code="has_outcome")
        values[InterviewBooking.status] = outcome
    else:
        values[InterviewBooking.status] = "attended"
        values[InterviewBooking.outcome] = outcome
        if outcome in ("offer_made", "offer_accepted") and booking["offer_at"] is None:
            values[InterviewBooking.offer_at] = moment
        if outcome == "offer_accepted":
            if booking["accepted_at"] is None:
                values[InterviewBooking.accepted_at] = moment
            values[InterviewBooking.start_date] = start_date
    async with write_transaction():
        await InterviewBooking.update(values).where(InterviewBooking.id == booking_id)
        if outcome in LEAD_OUTCOME:
            await _advance_lead(booking, LEAD_OUTCOME[outcome], actor_id, moment)
        if actor_id is not None:
            await record_audit(
                actor_id,
                "interview_outcome_set",
                ("interview_booking", booking_id),
                outcome=outcome,
            )
    return await staff_booking_json(booking_id)


async def _advance_lead(
    booking: Row, lead_outcome: str, actor_id: int | None, at: datetime
) -> None:
    """The lead of this exhibitor and person: its active deliveries move on to the
    outcome (never back), so councils see it in their portal and exports."""
    lead = (
        await Lead.select(Lead.id)
        .where(
            (Lead.exhibitor == booking["exhibitor"])
            & (Lead.registration == booking["registration"])
        )
        .first()
    )
    if lead is None:
        return
    earlier = list(LEAD_ORDER[: LEAD_ORDER.index(lead_outcome)])
    await LeadDelivery.update(
        {
            LeadDelivery.outcome: lead_outcome,
            LeadDelivery.outcome_at: at,
            LeadDelivery.outcome_by: actor_id,
        }
    ).where(
        (LeadDelivery.lead == lead["id"])
        & (LeadDelivery.status == "active")
        & LeadDelivery.outcome.is_in(earlier)
    )


async def staff_booking_json(booking_id: int) -> Row:
    row = await _staff_booking(booking_id)
    slot = await _slot(row["slot"])
    return {
        "id": row["id"],
        "slot": slot_json(slot),
        "status": row["status"],
        "outcome": row["outcome"] or None,
        "offer_at": row["offer_at"].isoformat() if row["offer_at"] else None,
        "start_date": row["start_date"].isoformat() if row["start_date"] else None,
        "walk_in": row["walk_in"],
    }


# ---------------------------------------------------------------- time to hire


def quartiles(values: list[int]) -> Row:
    """Median and quartiles (linear between the closest ranks, as numpy and most
    spreadsheets do); None under SUPPRESS_BELOW values."""
    if len(values) < SUPPRESS_BELOW:
        return {"median": None, "p25": None, "p75": None}
    q1, q2, q3 = statistics.quantiles(sorted(values), n=4, method="inclusive")
    return {"median": _num(q2), "p25": _num(q1), "p75": _num(q3)}


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 1)


def _count(n: int) -> int | None:
    return n if n >= SUPPRESS_BELOW else None


def _days(later: date, earlier: date) -> int:
    return (later - earlier).days


def _summarise(rows: list[Row], fair_day: date, zone: ZoneInfo) -> Row:
    active = [r for r in rows if r["status"] != "cancelled"]
    offers = [r for r in active if r["offer_at"] is not None]
    accepted = [r for r in active if r["accepted_at"] is not None]
    starts = [r for r in accepted if r["start_date"] is not None]
    to_offer = [_days(r["offer_at"].astimezone(zone).date(), fair_day) for r in offers]
    interview_to_offer = [
        _days(r["offer_at"].astimezone(zone).date(), r["starts_at"].astimezone(zone).date())
        for r in offers
    ]
    to_start = [_days(r["start_date"], fair_day) for r in starts]
    return {
        "interviews": {
            "booked": _count(len(active)),
            "held": _count(sum(1 for r in active if r["status"] == "attended")),
            "no_show": _count(sum(1 for r in active if r["status"] == "no_show")),
        },
        "offers": _count(len(offers)),
        "accepted": _count(len(accepted)),
        "days_to_offer": quartiles(to_offer),
        "days_interview_to_offer": quartiles(interview_to_offer),
        "days_to_start": quartiles(to_start),
    }


async def outcomes(event: Row) -> Row:
    """Per fair and per exhibitor: interviews booked, held, no-show, offers,
    acceptances, and the days from the fair (and the interview) to offer and to
    start, against the region's advert-to-hire figure. Counts under 5 are None."""
    zone = ZoneInfo(event["timezone"])
    fair_day = event["starts_at"].astimezone(zone).date()
    rows = await InterviewBooking.select(
        InterviewBooking.status,
        InterviewBooking.exhibitor,
        InterviewBooking.offer_at,
        InterviewBooking.accepted_at,
        InterviewBooking.start_date,
        InterviewBooking.slot.starts_at.as_alias("starts_at"),
        _booking_exhibitor.organisation.name.as_alias("exhibitor_name"),
    ).where(InterviewBooking.event == event["id"])
    by_exhibitor: dict[int, list[Row]] = {}
    names: dict[int, str] = {}
    for r in rows:
        by_exhibitor.setdefault(r["exhibitor"], []).append(r)
        names[r["exhibitor"]] = r["exhibitor_name"]
    return {
        **_summarise(rows, fair_day, zone),
        "advert_to_hire_days": ADVERT_TO_HIRE_DAYS,
        "exhibitors": [
            {"id": ex_id, "name": names[ex_id], **_summarise(ex_rows, fair_day, zone)}
            for ex_id, ex_rows in sorted(by_exhibitor.items(), key=lambda kv: names[kv[0]])
        ],
    }


async def stand_label(exhibitor_id: int) -> str | None:
    row = (
        await StandAllocation.select(StandAllocation.stand.code.as_alias("code"))
        .where(StandAllocation.exhibitor == exhibitor_id)
        .first()
    )
    return row["code"] if row else None


__all__ = ["Stand", "bookings_for_registration"]
