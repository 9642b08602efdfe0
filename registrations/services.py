"""Registration rules: validate, register, waiting list, cancel, event changes.

Capacity is guarded by `event.confirmed_count` and `slot.confirmed_count`,
moved only by conditional updates (`… WHERE confirmed_count < capacity`) in
the same transaction as the registration and its outbox email, so a place is
never sold twice and an email is never sent for a change that rolled back.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from asyncpg.exceptions import UniqueViolationError
from piccolo.query.functions.aggregate import Count

from events import services as events
from events.services import Counts, get_event, registration_open
from events.tables import Event, Slot
from fairground.accounts import normalise_email
from fairground.db import write_transaction
from fairground.errors import Conflict, Invalid, NotFound
from fairground.seed import councils, job_families
from registrations import emails, invites
from registrations.tables import AccessRequest, EqualityResponse, Registration
from registrations.tickets import sign_ticket

Row = dict[str, Any]

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U/V pairs to misread
HOME_COUNCIL_EXTRAS = ("outside", "unsure")
MAX_NAME = 200
MAX_ACCESS_NEEDS = 2000
UNIQUE_ERRORS = (UniqueViolationError, sqlite3.IntegrityError)
PHONE_RE = re.compile(r"^\+?[0-9 ()\-]{7,20}$")
# Bidirectional overrides let a name render as different text; never needed in a name.
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
REFERENCE_TTL = 300.0

MESSAGES = {
    "name": "Enter your full name",
    "name_long": f"Full name must be {MAX_NAME} characters or fewer",
    "name_chars": "Full name must not contain control characters",
    "email": "Enter your email address",
    "email_format": "Enter an email address in the correct format, like name@example.com",
    "phone": "Enter a telephone number, like 01632 960 001 or +44 7700 900 982",
    "postcode": "Enter a real postcode, like CV21 2AA",
    "home_council": "Select your home council from the list",
    "interests": "Select job families from the list",
    "access_needs": f"Access needs must be {MAX_ACCESS_NEEDS} characters or fewer",
    "slot_id": "Select an entry time",
    "slot_other": "Select an entry time from the list",
    "slot_none": "This event has no entry times: leave the entry time empty",
    "consent.councils": "Select councils from the list",
    "consent.job_alerts": "Select yes or no for job alerts",
    "equality": "Equality answers must be short pieces of text",
}


@dataclass(frozen=True)
class RegistrationInput:
    name: str
    email: str
    phone: str = ""
    postcode: str = ""
    home_council: str = ""  # council code, "outside", "unsure" or ""
    interests: tuple[str, ...] = ()
    access_needs: str = ""
    slot_id: int | None = None
    consent_councils: tuple[str, ...] = ()
    consent_job_alerts: bool = False


@dataclass(frozen=True)
class RegistrationResult:
    reference: str
    status: str
    ticket_code: str | None
    manage_token: str


# ---------------------------------------------------------------- validation

_reference_cache: dict[str, tuple[float, frozenset[str]]] = {}


async def _codes(kind: str) -> frozenset[str]:
    """Council and job-family codes; reference data, so cached for a few minutes."""
    cached = _reference_cache.get(kind)
    if cached and time.monotonic() - cached[0] < REFERENCE_TTL:
        return cached[1]
    rows = await (councils() if kind == "councils" else job_families())
    codes = frozenset(str(r["code"]) for r in rows if r.get("code"))
    _reference_cache[kind] = (time.monotonic(), codes)
    return codes


def _text(raw: dict[str, Any], field: str, errors: dict[str, str]) -> str:
    value = raw.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[field] = MESSAGES.get(field, "Enter text")
        return ""
    return unicodedata.normalize("NFC", value).strip()


def _has_control(value: str, allow_newlines: bool = False) -> bool:
    allowed = {"\n", "\r", "\t"} if allow_newlines else set()
    return any(
        (unicodedata.category(c) in ("Cc", "Cs") and c not in allowed) or c in BIDI_CONTROLS
        for c in value
    )


def _check_name(raw: dict[str, Any], errors: dict[str, str]) -> str:
    """Any script, emoji included; up to 200 characters; no control characters."""
    name = _text(raw, "name", errors)
    if "name" in errors:
        return ""
    if _has_control(name):
        errors["name"] = MESSAGES["name_chars"]
        return ""
    name = " ".join(name.split())  # runs of spaces (and NBSP) become one space
    if not name:
        errors["name"] = MESSAGES["name"]
    elif len(name) > MAX_NAME:
        errors["name"] = MESSAGES["name_long"]
    return name


def _check_email(raw: dict[str, Any], errors: dict[str, str]) -> str:
    email = _text(raw, "email", errors)
    if "email" in errors:
        return ""
    if not email:
        errors["email"] = MESSAGES["email"]
        return ""
    try:
        normalised = normalise_email(email)
    except Invalid:
        errors["email"] = MESSAGES["email_format"]
        return ""
    if len(normalised) > 254:
        errors["email"] = MESSAGES["email_format"]
    return normalised


def _check_contact(raw: dict[str, Any], errors: dict[str, str]) -> tuple[str, str]:
    phone = _text(raw, "phone", errors)
    if phone and not (PHONE_RE.match(phone) and 7 <= sum(c.isdigit() for c in phone) <= 15):
        errors["phone"] = MESSAGES["phone"]
    postcode = _text(raw, "postcode", errors)
    try:
        postcode = events.normalise_postcode(postcode, "postcode")
    except Invalid:
        errors["postcode"] = MESSAGES["postcode"]
    return phone, postcode


def _code_list(
    value: Any, field: str, known: frozenset[str], errors: dict[str, str]
) -> tuple[str, ...]:
    """A list of known codes (a single string counts as a list of one), order kept."""
    if value is None or value == "":
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        errors[field] = MESSAGES[field]
        return ()
    if any(i not in known for i in items):
        errors[field] = MESSAGES[field]
        return ()
    return tuple(dict.fromkeys(items))


async def _check_choices(raw: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    council_codes = await _codes("councils")
    home = _text(raw, "home_council", errors)
    if home and home not in council_codes and home not in HOME_COUNCIL_EXTRAS:
        errors["home_council"] = MESSAGES["home_council"]
    nested = raw.get("consent")
    consent: dict[str, Any] = nested if isinstance(nested, dict) else {}
    councils_raw = raw.get("consent.councils", consent.get("councils"))
    alerts = raw.get("consent.job_alerts", consent.get("job_alerts", False))
    if isinstance(alerts, str) and alerts.lower() in ("", "yes", "no", "true", "false", "on"):
        alerts = alerts.lower() in ("yes", "true", "on")
    if not isinstance(alerts, bool):
        errors["consent.job_alerts"] = MESSAGES["consent.job_alerts"]
        alerts = False
    return {
        "home_council": home,
        "interests": _code_list(
            raw.get("interests"), "interests", await _codes("job_families"), errors
        ),
        "consent_councils": _code_list(councils_raw, "consent.councils", council_codes, errors),
        "consent_job_alerts": alerts,
    }


async def _check_slot(event: Row, raw: dict[str, Any], errors: dict[str, str]) -> int | None:
    """Required when the event has entry slots; it must be one of this event's."""
    value = raw.get("slot_id")
    slot_ids = {s["id"] for s in await events.get_slots(event["id"])}
    if value in (None, ""):
        if slot_ids:
            errors["slot_id"] = MESSAGES["slot_id"]
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not slot_ids:
        errors["slot_id"] = MESSAGES["slot_none"]
    elif isinstance(value, bool) or not isinstance(value, int) or value not in slot_ids:
        errors["slot_id"] = MESSAGES["slot_other"]
    return value if isinstance(value, int) and "slot_id" not in errors else None


async def validate_registration(event: Row, raw: dict[str, Any]) -> RegistrationInput:
    """Check every field and raise Invalid naming every bad field at once.

    `raw` uses the API's field names; `consent` may be nested ({"councils",
    "job_alerts"}) or flat ("consent.councils", "consent.job_alerts"), as a
    form posts it. Strings are trimmed and NFC-normalised; email lower-cased.
    """
    errors: dict[str, str] = {}
    name = _check_name(raw, errors)
    email = _check_email(raw, errors)
    phone, postcode = _check_contact(raw, errors)
    choices = await _check_choices(raw, errors)
    access_needs = _text(raw, "access_needs", errors)
    if len(access_needs) > MAX_ACCESS_NEEDS or _has_control(access_needs, allow_newlines=True):
        errors["access_needs"] = MESSAGES["access_needs"]
    slot_id = await _check_slot(event, raw, errors)
    if errors:
        raise Invalid("Some fields are not valid", fields=errors)
    return RegistrationInput(
        name=name,
        email=email,
        phone=phone,
        postcode=postcode,
        access_needs=access_needs,
        slot_id=slot_id,
        **choices,
    )


def _check_equality(equality: dict[str, str] | None) -> dict[str, str]:
    """Optional answers: at most 20 short text answers; anything else is refused."""
    if not equality:
        return {}
    ok = len(equality) <= 20 and all(
        isinstance(k, str) and isinstance(v, str) and len(k) <= 40 and len(v) <= 200
        for k, v in equality.items()
    )
    if not ok:
        raise Invalid(MESSAGES["equality"], fields={"equality": MESSAGES["equality"]})
    return {k: v.strip() for k, v in equality.items() if v.strip()}


# ---------------------------------------------------------------- capacity


async def _take_place(event_id: int, slot_id: int | None) -> Row | None:
    """One conditional update per guard; the event first (a fixed lock order, so
    no deadlock on PostgreSQL). A full slot gives the event's place back within
    the same transaction, so both move or neither. Returns the fresh event row."""
    taken = (
        await Event.update({Event.confirmed_count: Event.confirmed_count + 1})
        .where((Event.id == event_id) & (Event.confirmed_count < Event.capacity))
        .returning(*Event.all_columns())
    )
    if not taken:
        return None
    if slot_id is not None:
        slot = (
            await Slot.update({Slot.confirmed_count: Slot.confirmed_count + 1})
            .where(
                (Slot.id == slot_id)
                & (Slot.event == event_id)
                & (Slot.confirmed_count < Slot.capacity)
            )
            .returning(Slot.id)
        )
        if not slot:
            await _release_place(event_id, None)
            return None
    return taken[0]


async def _release_place(event_id: int, slot_id: int | None) -> None:
    await Event.update({Event.confirmed_count: Event.confirmed_count - 1}).where(
        (Event.id == event_id) & (Event.confirmed_count > 0)
    )
    if slot_id is not None:
        await Slot.update({Slot.confirmed_count: Slot.confirmed_count - 1}).where(
            (Slot.id == slot_id) & (Slot.confirmed_count > 0)
        )


# ---------------------------------------------------------------- registering


def new_reference() -> str:
    """FG-7K3Q-9XWD: 30^8 ≈ 6.6e11 values, read aloud without confusion."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"FG-{chars[:4]}-{chars[4:]}"


async def _slot_row(slot_id: int | None) -> Row | None:
    if slot_id is None:
        return None
    return await Slot.select().where(Slot.id == slot_id).first()


async def _find(event_id: int, email: str) -> Row | None:
    return (
        await Registration.select()
        .where((Registration.event == event_id) & (Registration.email == email))
        .output(load_json=True)
        .first()
    )


async def _insert(event_id: int, data: RegistrationInput, status: str) -> Row:
    row = Registration(
        event=event_id,
        slot=data.slot_id,
        reference=new_reference(),
        manage_token=secrets.token_urlsafe(32),
        name=data.name,
        email=data.email,
        phone=data.phone,
        postcode=data.postcode,
        home_council=data.home_council,
        interests=list(data.interests),
        access_needs=data.access_needs,
        consent_councils=list(data.consent_councils),
        consent_job_alerts=data.consent_job_alerts,
        status=status,
    )
    inserted = await Registration.insert(row).returning(*Registration.all_columns())
    return {**inserted[0], "interests": list(data.interests)}


async def _issue_ticket(row: Row) -> Row:
    code = sign_ticket(row["id"], row["event"])
    await Registration.update({Registration.ticket_code: code}).where(Registration.id == row["id"])
    return {**row, "ticket_code": code}


async def _request_access(row: Row, event: Row) -> None:
    """An access need goes to the organiser's queue with the notice deadline."""
    deadline = event["starts_at"] - timedelta(days=int(event["access_notice_days"]))
    await AccessRequest.insert(
        AccessRequest(registration=row["id"], need=row["access_needs"], notice_deadline=deadline)
    )


async def _store_equality(event_id: int, answers: dict[str, str]) -> None:
    """Kept apart: no registration id, and only the day, so the time cannot link them."""
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    await EqualityResponse.insert(EqualityResponse(event=event_id, answers=answers, created_at=day))


async def _register(
    event: Row, data: RegistrationInput, slot: Row | None, answers: dict[str, str]
) -> Row:
    async with write_transaction():
        fresh = await _take_place(event["id"], data.slot_id)
        row = await _insert(event["id"], data, "confirmed" if fresh else "waitlisted")
        if data.access_needs:
            await _request_access(row, event)
        if answers:
            await _store_equality(event["id"], answers)
        if fresh:
            row = await _issue_ticket(row)
            await emails.send_confirmation_email(row, fresh, slot)
        else:
            await emails.send_waitlisted_email(row, event, slot)
    return row


async def _resend(event: Row, row: Row) -> None:
    """The same email again: send what they were sent before (not a second place)."""
    if row["status"] == "cancelled":
        return
    async with write_transaction():
        slot = await _slot_row(row["slot"])
        if row["status"] == "confirmed":
            await emails.send_confirmation_email(row, event, slot)
        else:
            await emails.send_waitlisted_email(row, event, slot)


async def _already_registered(event: Row, email: str) -> Conflict:
    row = await _find(event["id"], email)
    if row is not None:
        await _resend(event, row)
    return Conflict(
        "This email address is already registered for this event. "
        "We have sent the confirmation again.",
        code="already_registered",
    )


def _result(row: Row) -> RegistrationResult:
    return RegistrationResult(
        reference=row["reference"],
        status=row["status"],
        ticket_code=row["ticket_code"] if row["status"] == "confirmed" else None,
        manage_token=row["manage_token"],
    )


def check_registration_open(event: Row) -> None:
    """Published, not over, and inside the registration window."""
    if not registration_open(event):
        raise Conflict("Registration for this event is closed", code="registration_closed")


async def register_attendee(
    slug: str, data: RegistrationInput, equality: dict[str, str] | None = None
) -> RegistrationResult:
    """Register one attendee: confirmed while the event (and slot) has room,
    otherwise waitlisted in arrival order. One registration per email per event:
    a second attempt raises Conflict("already_registered") and re-sends the
    confirmation; someone who cancelled may register again. Closed or
    unpublished events raise Conflict("registration_closed")."""
    event = await get_event(slug)
    check_registration_open(event)
    answers = _check_equality(equality)
    slot = await _slot_row(data.slot_id)
    for _ in range(3):  # a clash of random references is retried
        try:
            return _result(await _register(event, data, slot, answers))
        except UNIQUE_ERRORS:
            # The unique (event, email) index is the duplicate check: no read first,
            # and two tabs submitting at once cannot both get in.
            existing = await _find(event["id"], data.email)
            if existing is not None and existing["status"] == "cancelled":
                return _result(await _reregister(existing, event, data, slot))
            if existing is not None:
                raise await _already_registered(event, data.email) from None
    raise Conflict("Please try again", code="try_again")


async def _reregister(existing: Row, event: Row, data: RegistrationInput, slot: Row | None) -> Row:
    """A cancelled registration comes back to life with the new answers."""
    async with write_transaction():
        fresh = await _take_place(event["id"], data.slot_id)
        values: dict[Any, Any] = {
            Registration.status: "confirmed" if fresh else "waitlisted",
            Registration.slot: data.slot_id,
            Registration.name: data.name,
            Registration.phone: data.phone,
            Registration.postcode: data.postcode,
            Registration.home_council: data.home_council,
            Registration.interests: list(data.interests),
            Registration.access_needs: data.access_needs,
            Registration.consent_councils: list(data.consent_councils),
            Registration.consent_job_alerts: data.consent_job_alerts,
            Registration.ics_sequence: Registration.ics_sequence + 1,
            Registration.cancelled_at: None,
        }
        rows = (
            await Registration.update(values)
            .where((Registration.id == existing["id"]) & (Registration.status == "cancelled"))
            .returning(*Registration.all_columns())
        )
        if not rows:  # someone else re-registered it first
            if fresh:
                await _release_place(event["id"], data.slot_id)
            raise Conflict("This email address is already registered", code="already_registered")
        row = rows[0]
        if data.access_needs:
            await _request_access(row, event)
        if fresh:
            row = await _issue_ticket(row)
            await emails.send_confirmation_email(row, fresh, slot)
        else:
            await emails.send_waitlisted_email(row, event, slot)
    return row


# ---------------------------------------------------------------- reading


def links_for(row: Row, event: Row, slot: Row | None) -> dict[str, str]:
    token = row["manage_token"]
    return {
        "manage": f"/r/{token}",
        "qr_svg": f"/r/{token}/ticket.svg",
        "qr_png": f"/r/{token}/ticket.png",
        "ics": f"/r/{token}/invite.ics",
        "google": invites.google_calendar_url(row, event, slot),
        "outlook": invites.outlook_calendar_url(row, event, slot),
    }


async def get_registration(manage_token: str) -> Row:
    """The registration row with `event` and `slot` replaced by their rows (slot
    None when there is none) and `links` (manage, qr_svg, qr_png, ics, google,
    outlook). NotFound for an unknown token."""
    if not manage_token or len(manage_token) > 64:
        raise NotFound("There is no registration at this address", code="registration_not_found")
    row = (
        await Registration.select()
        .where(Registration.manage_token == manage_token)
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise NotFound("There is no registration at this address", code="registration_not_found")
    event = await Event.select().where(Event.id == row["event"]).first()
    slot = await _slot_row(row["slot"])
    assert event is not None  # the foreign key guarantees it
    return {**row, "event": event, "slot": slot, "links": links_for(row, event, slot)}


# ---------------------------------------------------------------- cancelling


async def _mark_cancelled(row: Row) -> Row | None:
    """Conditional on the status we saw, so two cancels free one place, not two."""
    rows = (
        await Registration.update(
            {
                Registration.status: "cancelled",
                Registration.cancelled_at: datetime.now(UTC),
                Registration.ics_sequence: Registration.ics_sequence + 1,
            }
        )
        .where((Registration.id == row["id"]) & (Registration.status == row["status"]))
        .returning(*Registration.all_columns())
    )
    return rows[0] if rows else None


async def cancel_registration(manage_token: str) -> Row:
    """Cancel a place or leave the waiting list; idempotent once cancelled.
    A freed place goes straight to the first waiting person who fits, and
    the attendee gets METHOD:CANCEL. A checked-in ticket cannot be cancelled."""
    async with write_transaction():
        for _ in range(3):  # the status may change under us (a promotion)
            current = await get_registration(manage_token)
            if current["status"] == "cancelled":
                return current
            if current["checked_in_at"] is not None:
                raise Conflict("This ticket has already been used", code="already_checked_in")
            cancelled = await _mark_cancelled(current)
            if cancelled is not None:
                break
        else:
            raise Conflict("Please try again", code="try_again")
        event, slot = current["event"], current["slot"]
        was_confirmed = current["status"] == "confirmed"
        await emails.send_cancellation_email(cancelled, event, slot, was_confirmed)
        if was_confirmed:
            slot_id = slot["id"] if slot else None
            await _release_place(event["id"], slot_id)
            if event["status"] in ("published", "closed") and event["ends_at"] > datetime.now(UTC):
                await promote_waitlisted(event, slot_id)
    return await get_registration(manage_token)


async def _waitlist(event_id: int, slot_id: int | None) -> list[Row]:
    """Who to try: the first waiting for the freed slot, then the earliest others."""
    waiting = (Registration.event == event_id) & (Registration.status == "waitlisted")
    rows: list[Row] = []
    if slot_id is not None:
        rows += (
            await Registration.select()
            .where(waiting & (Registration.slot == slot_id))
            .order_by(Registration.id)
            .limit(1)
        )
    rows += await Registration.select().where(waiting).order_by(Registration.id).limit(25)
    return list({r["id"]: r for r in rows}.values())


async def promote_waitlisted(event: Row, freed_slot_id: int | None = None) -> Row | None:
    """Give a free place to the first waiting person who fits (their slot must
    have room too), by the same conditional updates as a new registration."""
    async with write_transaction():
        for candidate in await _waitlist(event["id"], freed_slot_id):
            if not await _take_place(event["id"], candidate["slot"]):
                continue
            rows = (
                await Registration.update(
                    {
                        Registration.status: "confirmed",
                        Registration.ics_sequence: Registration.ics_sequence + 1,
                    }
                )
                .where((Registration.id == candidate["id"]) & (Registration.status == "waitlisted"))
                .returning(*Registration.all_columns())
            )
            if not rows:
                await _release_place(event["id"], candidate["slot"])
                continue
            promoted = await _issue_ticket(rows[0])
            await emails.send_promoted_email(promoted, event, await _slot_row(promoted["slot"]))
            return promoted
    return None


# ---------------------------------------------------------------- events hooks


async def counts(event_id: int) -> Counts:
    """Registrations of an event by status, and how many have checked in."""
    rows = (
        await Registration.select(Registration.status, Count(Registration.id, alias="n"))
        .where(Registration.event == event_id)
        .group_by(Registration.status)
    )
    by_status = {r["status"]: int(r["n"]) for r in rows}
    checked_in = await Registration.count().where(
        (Registration.event == event_id) & Registration.checked_in_at.is_not_null()
    )
    return Counts(
        confirmed=by_status.get("confirmed", 0),
        waitlisted=by_status.get("waitlisted", 0),
        cancelled=by_status.get("cancelled", 0),
        checked_in=int(checked_in),
    )


async def _slots_of(event_id: int) -> dict[int, Row]:
    return {s["id"]: s for s in await events.get_slots(event_id)}


async def _send_updates(event: Row) -> None:
    """Rescheduled: every confirmed attendee gets the invite with a higher SEQUENCE."""
    rows = (
        await Registration.update({Registration.ics_sequence: Registration.ics_sequence + 1})
        .where((Registration.event == event["id"]) & (Registration.status == "confirmed"))
        .returning(*Registration.all_columns())
    )
    slots = await _slots_of(event["id"])
    for row in rows:
        await emails.send_event_update_email(row, event, slots.get(row["slot"]))


async def _cancel_everyone(event: Row) -> None:
    """Cancelled event: every registration is cancelled; confirmed ones get METHOD:CANCEL."""
    slots = await _slots_of(event["id"])
    for status in ("confirmed", "waitlisted"):
        rows = (
            await Registration.update(
                {
                    Registration.status: "cancelled",
                    Registration.cancelled_at: datetime.now(UTC),
                    Registration.ics_sequence: Registration.ics_sequence + 1,
                }
            )
            .where((Registration.event == event["id"]) & (Registration.status == status))
            .returning(*Registration.all_columns())
        )
        for row in rows:
            slot = slots.get(row["slot"])
            await emails.send_event_cancelled_email(row, event, slot, status == "confirmed")
    await Event.update({Event.confirmed_count: 0}).where(Event.id == event["id"])
    await Slot.update({Slot.confirmed_count: 0}).where(Slot.event == event["id"])


async def on_event_change(event_id: int, kind: str) -> None:
    """Called inside the event change's transaction (events.services.CHANGE_HOOKS)."""
    event = await Event.select().where(Event.id == event_id).first()
    if event is None:
        return
    if kind == "rescheduled":
        await _send_updates(event)
    elif kind == "cancelled":
        await _cancel_everyone(event)


def _install(hooks: list[Any], hook: Any) -> None:
    """Once per process, even if this module is imported again (a reload in tests)."""
    hooks[:] = [
        h
        for h in hooks
        if (getattr(h, "__module__", ""), getattr(h, "__name__", ""))
        != (hook.__module__, hook.__name__)
    ]
    hooks.append(hook)


_install(events.CHANGE_HOOKS, on_event_change)
_install(events.COUNT_PROVIDER, counts)
