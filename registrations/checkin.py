"""Check-in at the door: every scan gets a verdict, and a ticket is admitted once.

Modelled on pretix's perform_checkin: a plain function that changes state with
one conditional UPDATE (`… WHERE checked_in_at IS NULL`), so however many doors
scan a ticket at once exactly one gets "ok"; a client-chosen `client_id` makes
a retried request return the first answer; every scan is appended to the log.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import msgspec
from asyncpg.exceptions import UniqueViolationError
from cachetools import TTLCache

from events.services import door_window, get_event
from events.tables import Event, Slot
from fairground import db, timefmt
from fairground.db import write_transaction
from fairground.errors import NotFound
from registrations.tables import CheckIn, Registration
from registrations.tickets import claims_unverified, verify_ticket

Row = dict[str, Any]
VERDICTS = (
    "ok",
    "already_checked_in",
    "invalid",
    "wrong_event",
    "cancelled",
    "waitlisted",
    "not_open",
)
_ATTENDEE_COLUMNS = (
    Registration.id,
    Registration.name,
    Registration.reference,
    Registration.access_needs,
    Registration.status,
    Registration.checked_in_at,
    Registration.checked_in_door,
    Registration.slot.starts_at,
    Registration.slot.ends_at,
    Registration.event.timezone,
)
UNIQUE_ERRORS = (UniqueViolationError, sqlite3.IntegrityError)
OFFLINE_SCAN_MAX_AGE = timedelta(days=7)
_event_ids: dict[str, int] = {}  # slugs never change, so the id can be kept


@dataclass(frozen=True, slots=True)
class Scan:
    """One scan, as a door device reports it."""

    code: str
    event: str
    door: str = ""
    client_id: str | None = None
    scanned_at: datetime | None = None  # set for scans synced from offline
    device: str = ""
    user_id: int | None = None


def code_hash(code: str) -> str:
    """The hash the offline bundle uses to recognise a code without holding it."""
    return hashlib.sha256(code.strip().encode("utf-8", "replace")).hexdigest()


async def event_id_for(slug: str) -> int:
    if slug not in _event_ids:
        _event_ids[slug] = int((await get_event(slug))["id"])
    return _event_ids[slug]


async def _window(event_id: int) -> Row:
    """The event's times and its opening margin, read on every scan: an organiser's
    change to the margin applies to the next scan."""
    row = (
        await Event.select(Event.starts_at, Event.ends_at, Event.timezone, Event.door_opens_minutes)
        .where(Event.id == event_id)
        .first()
    )
    assert row is not None  # the id came from the slug a moment ago
    return row


def _not_open(event: Row, at: datetime) -> Row | None:
    """The `not_open` verdict when `at` is outside the event's opening window, else None."""
    opens_at, closes_at = door_window(event)
    if opens_at <= at <= closes_at:
        return None
    return {
        "result": "not_open",
        "event": {
            "starts_at": event["starts_at"],
            "ends_at": event["ends_at"],
            "opens_at": opens_at,
            "timezone": event["timezone"],
        },
    }


def _slot_text(row: Row) -> str | None:
    start, end = row.get("slot.starts_at"), row.get("slot.ends_at")
    if start is None or end is None:
        return None
    tz = row.get("event.timezone") or "Europe/London"
    return f"{timefmt.clock(timefmt.local(start, tz))} to {timefmt.clock(timefmt.local(end, tz))}"


def _attendee(row: Row) -> Row:
    return {
        "name": row["name"],
        "reference": row["reference"],
        "slot": _slot_text(row),
        "access_needs": row["access_needs"] or None,
    }


async def _admit(
    event_id: int, registration_id: int, door: str, at: datetime, ticket_code: str | None
) -> Row | None:
    """The one conditional update that admits a ticket; None if it did not."""
    condition = (
        (Registration.id == registration_id)
        & (Registration.event == event_id)
        & (Registration.status == "confirmed")
        & Registration.checked_in_at.is_null()
    )
    if ticket_code is not None:
        condition &= Registration.ticket_code == ticket_code
    rows = (
        await Registration.update(
            {Registration.checked_in_at: at, Registration.checked_in_door: door[:80]}
        )
        .where(condition)
        .returning(*_ADMITTED_COLUMNS)
    )
    return rows[0] if rows else None


# What the "ok" screen shows comes back from the admitting UPDATE itself; the
# slot's times come from a small cache (they change rarely; display only).
_ADMITTED_COLUMNS = (
    Registration.id,
    Registration.name,
    Registration.reference,
    Registration.access_needs,
    Registration.checked_in_at,
    Registration.checked_in_door,
    Registration.slot,
)
_slot_times: TTLCache[int, Row] = TTLCache(maxsize=1024, ttl=60)


async def _with_slot(row: Row) -> Row:
    slot_id = row.get("slot")
    if not slot_id:
        return row
    if slot_id not in _slot_times:
        slot = (
            await Slot.select(Slot.starts_at, Slot.ends_at, Slot.event.timezone)
            .where(Slot.id == slot_id)
            .first()
        )
        _slot_times[slot_id] = slot or {}
    slot = _slot_times[slot_id]
    return {
        **row,
        "slot.starts_at": slot.get("starts_at"),
        "slot.ends_at": slot.get("ends_at"),
        "event.timezone": slot.get("event.timezone"),
    }


async def _registration(registration_id: int) -> Row | None:
    return (
        await Registration.select(*_ATTENDEE_COLUMNS, Registration.ticket_code, Registration.event)
        .where(Registration.id == registration_id)
        .first()
    )


def _refusal(row: Row | None, event_id: int, code: str | None) -> Row:
    """Why a ticket that was not admitted was not: the verdict body."""
    if row is None or (code is not None and row["ticket_code"] != code):
        return {"result": "invalid"}
    if row["event"] != event_id:
        return {
            "result": "wrong_event",
            "attendee": {"name": row["name"], "reference": row["reference"]},
        }
    if row["status"] in ("cancelled", "waitlisted"):
        return {"result": row["status"], "attendee": _attendee(row)}
    return {
        "result": "already_checked_in",
        "attendee": _attendee(row),
        "first_checked_in_at": row["checked_in_at"],
        "first_door": row["checked_in_door"],
    }


async def _verdict(
    event_id: int, registration_id: int, scan: Scan, code: str | None, now: datetime
) -> Row:
    admitted = await _admit(event_id, registration_id, scan.door, scan.scanned_at or now, code)
    if admitted:
        row = await _with_slot(admitted)
        return {
            "result": "ok",
            "attendee": _attendee(row),
            "checked_in_at": row["checked_in_at"],
            "door": row["checked_in_door"],
        }
    return _refusal(await _registration(registration_id), event_id, code)


async def _replay(client_id: str | None) -> Row | None:
    if not client_id:
        return None
    row = (
        await CheckIn.select(CheckIn.response)
        .where(CheckIn.client_id == client_id)
        .output(load_json=True)
        .first()
    )
    return row["response"] if row else None


async def _log(
    event_id: int, registration_id: int | None, scan: Scan, verdict: Row, now: datetime
) -> None:
    await CheckIn.insert(
        CheckIn(
            event=event_id,
            registration=registration_id,
            code_hash=code_hash(scan.code),
            verdict=verdict["result"],
            door=scan.door[:80],
            device=scan.device[:80],
            user=scan.user_id,
            client_id=scan.client_id or None,  # "" is no client id, not a shared one
            scanned_at=scan.scanned_at or now,
            received_at=now,
            synced=scan.scanned_at is not None,
            duplicate=scan.scanned_at is not None and verdict["result"] == "already_checked_in",
            response=verdict,
        )
    )


def _jsonable(verdict: Row) -> Row:
    """The verdict as JSON types, as the API writes it (times in UTC with "Z"): what
    is logged is what was answered, so a retried scan gets the same bytes."""
    return dict(msgspec.to_builtins(verdict))


async def _decide(event_id: int, scan: Scan, now: datetime) -> tuple[Row, int | None]:
    claims = verify_ticket(scan.code)
    if claims is None:
        return {"result": "invalid"}, None
    if claims.event_id != event_id:
        row = await _registration(claims.registration_id)
        verdict: Row = {"result": "wrong_event"}
        if row is None:  # signed, but for no registration we hold: nothing to link
            return verdict, None
        verdict["attendee"] = {"name": row["name"], "reference": row["reference"]}
        return verdict, claims.registration_id
    closed = _not_open(await _window(event_id), scan.scanned_at or now)
    if closed is not None:
        known = await Registration.exists().where(Registration.id == claims.registration_id)
        return closed, claims.registration_id if known else None
    code = scan.code.strip()
    verdict = await _verdict(event_id, claims.registration_id, scan, code, now)
    # An invalid answer may be for a registration that does not exist: the log's
    # foreign key would refuse it, so an invalid scan is logged by its code hash only.
    return verdict, None if verdict["result"] == "invalid" else claims.registration_id


# ---------------------------------------------------------------- the fast path
#
# The common scan, a ticket of this event admitted for the first time, in one
# transaction of pre-built statements: on SQLite one hand-off to the writer's
# thread for the lot (the event's window, the admitting UPDATE … RETURNING what the
# screen shows, the slot's times if it has one, the log row); on PostgreSQL one
# pooled connection, no query building. Any other outcome (no row admitted,
# outside the window, another event's ticket) writes nothing here and is decided
# by the general path below, which verifies the signature and says why.
#
# No Ed25519 check on this path, and that is safe: the UPDATE admits only where
# `ticket_code = ?` equals the whole code, and ticket_code holds only codes the
# server itself made and signed when it issued the ticket (sign_ticket). A code
# equal to an issued one IS that issued code, so its signature was checked when
# it was made; a forged or altered code matches no row and goes to the general
# path, which verifies it. The code must still name a key we hold
# (claims_unverified), so a key taken out of the key folder admits no one.

_SQL_WINDOW = "SELECT starts_at, ends_at, timezone, door_opens_minutes FROM event WHERE id = {}"
_SQL_ADMIT = (
    "UPDATE registration SET checked_in_at = {}, checked_in_door = {} "
    "WHERE id = {} AND event = {} AND status = 'confirmed' AND checked_in_at IS NULL "
    "AND ticket_code = {} RETURNING name, reference, access_needs, slot"
)
_SQL_SLOT = (
    "SELECT slot.starts_at, slot.ends_at, event.timezone FROM slot JOIN event "
    "ON event.id = slot.event WHERE slot.id = {}"
)
_SQL_LOG = (
    'INSERT INTO check_in (event, registration, code_hash, verdict, door, device, "user", '
    "client_id, scanned_at, received_at, synced, duplicate, response) "
    "VALUES ({}, {}, {}, 'ok', {}, {}, {}, {}, {}, {}, {}, false, {})"
)


def _placeholders(sql: str, postgres: bool) -> str:
    count = sql.count("{}")
    return sql.format(*(f"${i}" for i in range(1, count + 1)) if postgres else ["?"] * count)


_STATEMENTS = {"window": _SQL_WINDOW, "admit": _SQL_ADMIT, "slot": _SQL_SLOT, "log": _SQL_LOG}
_SQLITE = {name: _placeholders(sql, postgres=False) for name, sql in _STATEMENTS.items()}
_POSTGRES = {name: _placeholders(sql, postgres=True) for name, sql in _STATEMENTS.items()}
_encode = msgspec.json.Encoder()


def _ok_verdict(admitted: Row, slot: Row | None, at: datetime, door: str) -> Row:
    row = {**admitted}
    if slot:
        row |= {
            "slot.starts_at": slot["starts_at"],
            "slot.ends_at": slot["ends_at"],
            "event.timezone": slot["timezone"],
        }
    verdict = {
        "result": "ok",
        "attendee": _attendee(row),
        "checked_in_at": at.astimezone(UTC),  # as stored (UTC) and as the general path says
        "door": door,
    }
    return _jsonable(verdict)


def _log_args(event_id: int, registration_id: int, scan: Scan, now: datetime) -> list[Any]:
    return [
        event_id,
        registration_id,
        code_hash(scan.code),
        scan.door[:80],
        scan.device[:80],
        scan.user_id,
        scan.client_id or None,
        scan.scanned_at or now,
        now,
        scan.scanned_at is not None,
    ]


def _fast_sqlite(
    conn: sqlite3.Connection, event_id: int, registration_id: int, scan: Scan, now: datetime
) -> Row | None:
    """In the writer's thread, inside its transaction (fairground.db.run_on_sqlite_writer)."""
    at, door, code = scan.scanned_at or now, scan.door[:80], scan.code.strip()
    event = conn.execute(_SQLITE["window"], (event_id,)).fetchone()
    if event is None or _not_open(event, at) is not None:
        return None
    args = (at, door, registration_id, event_id, code)
    admitted = conn.execute(_SQLITE["admit"], args).fetchone()
    if admitted is None:
        return None
    slot = (
        conn.execute(_SQLITE["slot"], (admitted["slot"],)).fetchone() if admitted["slot"] else None
    )
    verdict = _ok_verdict(admitted, slot, at, door)
    log_args = _log_args(event_id, registration_id, scan, now)
    conn.execute(_SQLITE["log"], (*log_args, _encode.encode(verdict).decode()))
    return verdict


async def _fast_postgres(
    event_id: int, registration_id: int, scan: Scan, now: datetime
) -> Row | None:
    at, door, code = scan.scanned_at or now, scan.door[:80], scan.code.strip()
    with db.unavailable_as_error():
        async with db.postgres_pool().acquire() as conn, conn.transaction():
            event = await conn.fetchrow(_POSTGRES["window"], event_id)
            if event is None or _not_open(dict(event), at) is not None:
                return None
            admitted = await conn.fetchrow(
                _POSTGRES["admit"], at, door, registration_id, event_id, code
            )
            if admitted is None:
                return None
            slot = (
                await conn.fetchrow(_POSTGRES["slot"], admitted["slot"])
                if admitted["slot"]
                else None
            )
            verdict = _ok_verdict(dict(admitted), dict(slot) if slot else None, at, door)
            log_args = _log_args(event_id, registration_id, scan, now)
            await conn.execute(_POSTGRES["log"], *log_args, _encode.encode(verdict).decode())
    return verdict


async def _fast_check_in(event_id: int, scan: Scan, now: datetime) -> Row | None:
    """The "ok" verdict if this scan admitted its ticket on the fast path, else None
    (nothing written: the general path decides)."""
    if db.get_engine().current_transaction.get() is not None:
        return None  # inside a caller's transaction (the demo's): the general path joins it
    claims = claims_unverified(scan.code)
    if claims is None or claims.event_id != event_id or "\x00" in scan.code:
        return None
    if db.is_sqlite():
        work = partial(
            _fast_sqlite,
            event_id=event_id,
            registration_id=claims.registration_id,
            scan=scan,
            now=now,
        )
        return await db.run_on_sqlite_writer(work)
    if db.postgres_pool() is None:
        return None  # no pool (a process that did not start the web app's): the general path
    return await _fast_postgres(event_id, claims.registration_id, scan, now)


def trusted_scan_time(scanned_at: datetime | None, now: datetime) -> datetime | None:
    """A device's own clock, for a scan synced from offline, within reason: never in
    the future and never older than OFFLINE_SCAN_MAX_AGE (a phone set to the wrong
    date would otherwise date the check-in months away). Out of range → received now."""
    if scanned_at is None:
        return None
    if scanned_at.tzinfo is None or not now - OFFLINE_SCAN_MAX_AGE <= scanned_at <= now:
        return now
    return scanned_at


async def check_in(scan: Scan) -> Row:
    """Answer a scan with a verdict (never an exception for a bad code) and log it.

    Exactly one scan of a ticket is ever "ok"; the same client_id twice has one
    effect and gets the same answer (byte for byte: the verdict is made JSON once).
    Outside the event's opening window (events.services.door_window, judged at the
    scan's own time) a ticket of this event is answered "not_open", admitting no one."""
    event_id = await event_id_for(scan.event)
    now = datetime.now(UTC)
    scan = replace(scan, scanned_at=trusted_scan_time(scan.scanned_at, now))
    try:
        fast = await _fast_check_in(event_id, scan, now)
        if fast is not None:
            return fast
        async with write_transaction():
            verdict, registration_id = await _decide(event_id, scan, now)
            verdict = _jsonable(verdict)
            await _log(event_id, registration_id, scan, verdict, now)
    except UNIQUE_ERRORS:
        # A client_id seen before: the log's unique index refuses the second row and
        # the whole transaction rolls back, so the retry has no effect of its own and
        # gets the first answer. (Cheaper than looking the client_id up every scan.)
        earlier = await _replay(scan.client_id)
        if earlier is None:
            raise
        return earlier
    return verdict


async def check_in_by_id(event_slug: str, registration_id: int, scan: Scan) -> Row:
    """Manual check-in from the attendee search: the same rules, without a code
    (the opening window included)."""
    event_id = await event_id_for(event_slug)
    now = datetime.now(UTC)
    try:
        async with write_transaction():
            verdict = _not_open(await _window(event_id), now) or await _verdict(
                event_id, registration_id, scan, None, now
            )
            if verdict["result"] == "wrong_event" or verdict["result"] == "invalid":
                raise NotFound("No such attendee at this event", code="attendee_not_found")
            if verdict["result"] == "not_open" and not await _belongs(registration_id, event_id):
                raise NotFound("No such attendee at this event", code="attendee_not_found")
            verdict = _jsonable(verdict)
            await _log(event_id, registration_id, scan, verdict, now)
    except UNIQUE_ERRORS:
        earlier = await _replay(scan.client_id)  # a retry: see check_in
        if earlier is None:
            raise
        return earlier
    return verdict


async def _belongs(registration_id: int, event_id: int) -> bool:
    return await Registration.exists().where(
        (Registration.id == registration_id) & (Registration.event == event_id)
    )


async def undo_check_in(
    event_slug: str, registration_id: int, door: str, user_id: int | None
) -> bool:
    """Take back a mistaken check-in; the log keeps both the check-in and its undoing."""
    event_id = await event_id_for(event_slug)
    now = datetime.now(UTC)
    async with write_transaction():
        undone = (
            await Registration.update(
                {Registration.checked_in_at: None, Registration.checked_in_door: ""}
            )
            .where(
                (Registration.id == registration_id)
                & (Registration.event == event_id)
                & Registration.checked_in_at.is_not_null()
            )
            .returning(Registration.id)
        )
        if undone:
            await CheckIn.insert(
                CheckIn(
                    event=event_id,
                    registration=registration_id,
                    verdict="undone",
                    door=door[:80],
                    user=user_id,
                    scanned_at=now,
                    received_at=now,
                    response={"result": "undone"},
                )
            )
    return bool(undone)
