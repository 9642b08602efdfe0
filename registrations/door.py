"""What the door needs besides the scan: stats, the offline bundle, attendee search."""

from __future__ import annotations

import difflib
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from events.services import door_opening, door_window, get_event
from fairground.errors import Invalid, NotFound
from fairground.text import check_line
from registrations.checkin import code_hash, event_id_for
from registrations.tables import CheckIn, Registration
from registrations.tickets import public_keys, qr_svg

Row = dict[str, Any]
opening_of = door_opening  # the door pages' name for it
QUARTER = timedelta(minutes=15)


def _quarter(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


async def checkin_stats(slug: str) -> Row:
    """Checked in against registered, per door and per 15 minutes."""
    event_id = await event_id_for(slug)
    rows = await Registration.select(
        Registration.status, Registration.checked_in_at, Registration.checked_in_door
    ).where((Registration.event == event_id) & (Registration.status == "confirmed"))
    times = [r["checked_in_at"] for r in rows if r["checked_in_at"] is not None]
    by_door = Counter(r["checked_in_door"] or "Unnamed door" for r in rows if r["checked_in_at"])
    per_quarter = Counter(_quarter(t) for t in times)
    series = []
    if per_quarter:
        start, end = min(per_quarter), max(per_quarter)
        while start <= end:  # every quarter, empty ones too, so a chart reads true
            series.append({"start": start.isoformat(), "count": per_quarter.get(start, 0)})
            start += QUARTER
    duplicates = await CheckIn.count().where(
        (CheckIn.event == event_id) & CheckIn.duplicate.eq(True)
    )
    return {
        "confirmed": len(rows),
        "checked_in": len(times),
        "by_door": dict(by_door),
        "per_15_minutes": series,
        "offline_duplicates": duplicates,
    }


async def offline_bundle(slug: str) -> Row:
    """Everything a scanner needs to answer without the network: the public keys,
    revoked codes, the opening window, and per ticket a hash of its code with the name
    to show."""
    event_id = await event_id_for(slug)
    rows = await Registration.select(
        Registration.ticket_code,
        Registration.name,
        Registration.reference,
        Registration.status,
        Registration.access_needs,
        Registration.checked_in_at,
        Registration.slot.starts_at,
        Registration.slot.ends_at,
    ).where((Registration.event == event_id) & Registration.ticket_code.is_not_null())
    tickets, revoked = [], []
    for row in rows:
        digest = code_hash(row["ticket_code"])
        if row["status"] != "confirmed":
            revoked.append(digest)
            continue
        tickets.append(
            {
                "hash": digest,
                "name": row["name"],
                "reference": row["reference"],
                "access_needs": row["access_needs"] or None,
                "slot": _slot(row),
                "checked_in": row["checked_in_at"] is not None,
            }
        )
    return {
        "event": slug,
        "event_id": event_id,
        "window": _window(await get_event(slug)),
        "generated_at": datetime.now(UTC).isoformat(),
        "public_keys": public_keys(),
        "revoked": revoked,
        "tickets": tickets,
    }


def _window(event: Row) -> Row:
    """When the door admits people, for a scanner to apply offline as the server does."""
    opens_at, closes_at = door_window(event)
    return {
        "opens_at": opens_at,
        "closes_at": closes_at,
        "starts_at": event["starts_at"],
        "ends_at": event["ends_at"],
        "timezone": event["timezone"],
    }


async def walk_up_ticket(slug: str, reference: str) -> Row:
    """The ticket of a confirmed registration of this event that has no email (a
    walk-up: the door is the only place they can get it). Others: NotFound, so the
    door cannot copy the tickets of people who were emailed theirs."""
    event_id = await event_id_for(slug)
    row = (
        await Registration.select(
            Registration.name,
            Registration.reference,
            Registration.ticket_code,
            Registration.slot.starts_at,
            Registration.slot.ends_at,
        )
        .where(
            (Registration.event == event_id)
            & (Registration.reference == reference.strip().upper()[:20])
            & Registration.email.is_null()
            & (Registration.status == "confirmed")
            & Registration.ticket_code.is_not_null()
        )
        .first()
    )
    if row is None:
        raise NotFound("There is no such ticket at this event", code="ticket_not_found")
    return {**row, "qr_svg": qr_svg(str(row["ticket_code"])).decode("ascii")}


def _slot(row: Row) -> list[str] | None:
    start, end = row.get("slot.starts_at"), row.get("slot.ends_at")
    return [start.isoformat(), end.isoformat()] if start and end else None


_SEARCH_COLUMNS = (
    Registration.id,
    Registration.name,
    Registration.email,
    Registration.reference,
    Registration.status,
    Registration.checked_in_at,
    Registration.access_needs,
)


async def search_attendees(slug: str, query: str, limit: int = 10) -> list[Row]:
    """By name, email or reference: prefix matches first, then near misses (typos).
    The query is a line of up to 100 characters (fairground.text), else Invalid."""
    errors: dict[str, str] = {}
    needle = check_line(query, "q", "The search", 100, errors).lower()
    if errors:
        raise Invalid(errors["q"], fields=errors)
    event_id = await event_id_for(slug)
    if len(needle) < 2:
        return []
    rows = await Registration.select(*_SEARCH_COLUMNS).where(Registration.event == event_id)
    scored = [(_score(row, needle), row) for row in rows]
    hits = sorted((pair for pair in scored if pair[0] > 0.6), key=lambda p: -p[0])
    return [row for _, row in hits[:limit]]


async def attendee_by_reference(slug: str, reference: str) -> list[Row]:
    """The one registration of this event with this reference (none for another event's)."""
    event_id = await event_id_for(slug)
    return await Registration.select(*_SEARCH_COLUMNS).where(
        (Registration.event == event_id) & (Registration.reference == reference.strip().upper())
    )


async def reference_of(slug: str, registration_id: int) -> str:
    """The reference of a registration of this event ("" for another event's)."""
    event_id = await event_id_for(slug)
    row = (
        await Registration.select(Registration.reference)
        .where((Registration.event == event_id) & (Registration.id == registration_id))
        .first()
    )
    return str(row["reference"]) if row else ""


def _score(row: Row, needle: str) -> float:
    fields = [row["name"].lower(), (row["email"] or "").lower(), row["reference"].lower()]
    words = [w for f in fields for w in f.replace("@", " ").split()] + fields
    if any(f.startswith(needle) for f in words):
        return 2.0
    if any(needle in f for f in fields):
        return 1.5
    return max(difflib.SequenceMatcher(None, needle, w[: len(needle) + 2]).ratio() for w in words)
