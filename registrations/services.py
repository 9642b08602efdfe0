"""Registration rules: validate, register, waiting list, cancel, event changes.

Capacity is guarded by `event.confirmed_count` and `slot.confirmed_count`,
moved only by conditional updates (`… WHERE confirmed_count < capacity`) in
the same transaction as the registration and its outbox email, so a place is
never sold twice and an email is never sent for a change that rolled back.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from asyncpg.exceptions import UniqueViolationError
from piccolo.query.functions.aggregate import Count

from events import services as events
from events.services import Counts, get_event, registration_open
from events.tables import Event, Slot
from fairground import i18n
from fairground.db import write_transaction
from fairground.errors import Conflict, NotFound
from fairground.i18n import N_
from fairground.store import Allowance, DatabaseStore
from registrations import emails, invites
from registrations.tables import AccessRequest, EqualityResponse, Registration
from registrations.tickets import sign_ticket
from registrations.validation import (
    MESSAGES,
    RegistrationInput,
    _check_equality,
    validate_registration,
)

Row = dict[str, Any]
# Validation lives in registrations.validation; callers know it as part of this service.
__all__ = ["MESSAGES", "RegistrationInput", "RegistrationResult", "validate_registration"]

# Awaited with the registration id, inside the transaction, whenever an attendee's
# consent_councils or interests change; apps above this one (leads) register here,
# since registrations must not import them.
ConsentHook = Callable[[int], Awaitable[None]]
CONSENT_HOOKS: list[ConsentHook] = []

# Registering an address again re-sends its confirmation, but no more often than this:
# anyone can type anyone's address (issue 11: 60 emails a minute were possible).
RESEND = Allowance(gap=timedelta(minutes=10), window=timedelta(days=1), limit=5)
_resends = DatabaseStore("throttle").with_namespace("resend")


def now() -> datetime:
    """The time the re-send allowance is judged at (tests move it)."""
    return datetime.now(UTC)


REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U/V pairs to misread
UNIQUE_ERRORS = (UniqueViolationError, sqlite3.IntegrityError)


@dataclass(frozen=True)
class RegistrationResult:
    reference: str
    status: str
    ticket_code: str | None
    manage_token: str


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
    if slot_id is not None and not await take_slot_place(event_id, slot_id):
        await _release_place(event_id, None)
        return None
    return taken[0]


async def take_slot_place(event_id: int, slot_id: int) -> bool:
    """One place in this event's slot, by conditional update: False when it is full."""
    taken = (
        await Slot.update({Slot.confirmed_count: Slot.confirmed_count + 1})
        .where(
            (Slot.id == slot_id) & (Slot.event == event_id) & (Slot.confirmed_count < Slot.capacity)
        )
        .returning(Slot.id)
    )
    return bool(taken)


async def release_slot_place(slot_id: int) -> None:
    await Slot.update({Slot.confirmed_count: Slot.confirmed_count - 1}).where(
        (Slot.id == slot_id) & (Slot.confirmed_count > 0)
    )


async def _release_place(event_id: int, slot_id: int | None) -> None:
    await Event.update({Event.confirmed_count: Event.confirmed_count - 1}).where(
        (Event.id == event_id) & (Event.confirmed_count > 0)
    )
    if slot_id is not None:
        await release_slot_place(slot_id)


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
        language=data.language,
        status=status,
        referred_by=data.referred_by,
        partner_consent=data.partner_consent and data.referred_by is not None,
        assisted_by=data.assisted_by,
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
    """The same email again: send what they were sent before (not a second place), at
    most once every 10 minutes and 5 times a day per registration (RESEND)."""
    if row["status"] == "cancelled":
        return
    async with write_transaction():
        if not await _resends.take(f"registration:{row['id']}", RESEND, now()):
            return
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
        "We have sent the confirmation to it again, unless we already did in the last 10 minutes.",
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
        raise Conflict(N_("Registration for this event is closed"), code="registration_closed")


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
            # (No email, as for some walk-ups: NULLs never clash, so it was the reference.)
            existing = await _find(event["id"], data.email) if data.email else None
            if existing is not None and existing["status"] == "cancelled":
                return _result(await _reregister(existing, event, data, slot))
            if existing is not None:
                raise await _already_registered(event, existing["email"]) from None
    raise Conflict(N_("Please try again"), code="try_again")


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
            Registration.referred_by: data.referred_by,
            Registration.partner_consent: data.partner_consent and data.referred_by is not None,
            Registration.assisted_by: data.assisted_by,
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
            raise Conflict(
                N_("This email address is already registered"), code="already_registered"
            )
        row = rows[0]
        await consent_changed(row["id"])
        if data.access_needs:
            await _request_access(row, event)
        if fresh:
            row = await _issue_ticket(row)
            await emails.send_confirmation_email(row, fresh, slot)
        else:
            await emails.send_waitlisted_email(row, event, slot)
    return row


async def consent_changed(registration_id: int) -> None:
    """Tell the apps above (CONSENT_HOOKS) that this attendee's consent or interests
    changed; call inside the transaction that changed them."""
    for hook in CONSENT_HOOKS:
        await hook(registration_id)


# ---------------------------------------------------------------- reading


def links_for(row: Row, event: Row, slot: Row | None) -> dict[str, str]:
    token = row["manage_token"]
    return {
        "manage": f"/r/{token}",
        "qr_svg": f"/r/{token}/ticket.svg",
        "qr_png": f"/r/{token}/ticket.png",
        "ics": f"/r/{token}/invite.ics",
        "ticket_pdf": f"/r/{token}/ticket.pdf",
        "google": invites.google_calendar_url(row, event, slot),
        "outlook": invites.outlook_calendar_url(row, event, slot),
    }


async def get_registration(manage_token: str) -> Row:
    """The registration row with `event` and `slot` replaced by their rows (slot
    None when there is none) and `links` (manage, qr_svg, qr_png, ics, google,
    outlook). NotFound for an unknown token."""
    if not manage_token or len(manage_token) > 64:
        raise NotFound(
            N_("There is no registration at this address"), code="registration_not_found"
        )
    row = (
        await Registration.select()
        .where(Registration.manage_token == manage_token)
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise NotFound(
            N_("There is no registration at this address"), code="registration_not_found"
        )
    event = await Event.select().where(Event.id == row["event"]).first()
    slot = await _slot_row(row["slot"])
    assert event is not None  # the foreign key guarantees it
    i18n.prefer(row["language"])  # the attendee's pages: their language on a new device
    event = i18n.localise(event)
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
            raise Conflict(N_("Please try again"), code="try_again")
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


# Attendees' own changes live in registrations.changes (this module was 500 lines);
# callers know update_registration as part of this service.
from registrations.changes import Changed, update_registration  # noqa: E402

__all__ += ["Changed", "update_registration"]
