"""Attendees change their own details and choices (by their manage token).

Phone, postcode, job-family interests, the councils that may contact them, job
alerts, entry slot and access needs. Everything happens in one transaction: the
new values, a moved place (conditional updates, as booking does), the consent
hook for the apps above, the access request and the confirmation email.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fairground.db import write_transaction
from fairground.errors import Conflict
from fairground.i18n import N_
from fairground.seed import councils, job_families
from fairground.tables import OutboxMessage
from registrations import emails, services
from registrations.tables import AccessRequest, Registration
from registrations.validation import validate_changes

Row = dict[str, Any]

# Changes the calendar invite carries (its time, or the details in its description).
INVITE_FIELDS = frozenset({"slot", "phone", "postcode", "access_needs", "language"})
CONSENT_FIELDS = frozenset({"interests", "consent_councils", "consent_job_alerts"})
# The order the confirmation email lists the changes in (the change page's order).
EMAIL_ORDER = (
    "phone",
    "postcode",
    "slot",
    "interests",
    "consent_councils",
    "consent_job_alerts",
    "access_needs",
    "language",
)
SLOT_FULL = N_("This entry time is full. Choose another time")
MAX_EMAILS_PER_HOUR = 10


@dataclass(frozen=True)
class Changed:
    """The registration as get_registration() reads it, the columns that changed, and
    whether the attendee was emailed about it."""

    registration: Row
    changed: tuple[str, ...]
    emailed: bool = False


def _differences(current: Row, values: dict[str, Any]) -> dict[str, Any]:
    """The values that differ from the registration's; lists of codes are sets (a
    form sends them in the page's order, an API client in any)."""

    def same(column: str, value: Any) -> bool:
        now = current[column]
        if column == "slot":
            return bool((now["id"] if now else None) == value)
        if column in ("interests", "consent_councils"):
            return set(now or []) == set(value)
        return bool(now == value)

    return {column: value for column, value in values.items() if not same(column, value)}


def check_changeable(registration: Row) -> None:
    """A cancelled registration (or one of a cancelled fair) cannot be changed."""
    if registration["status"] == "cancelled" or registration["event"]["status"] == "cancelled":
        raise Conflict(
            N_("This place has been cancelled, so it cannot be changed"),
            code="registration_cancelled",
        )


def _check_slot_change(current: Row, changes: dict[str, Any]) -> None:
    """An entry time can no longer move once the ticket was used or the fair is over."""
    if "slot" not in changes:
        return
    if current["checked_in_at"] is not None:
        detail = N_("You have already come in, so your entry time cannot change")
        raise Conflict(detail, code="already_checked_in", fields={"slot_id": detail})
    if current["event"]["ends_at"] <= datetime.now(UTC):
        detail = N_("The fair is over, so your entry time cannot change")
        raise Conflict(detail, code="event_over", fields={"slot_id": detail})


async def _move_place(event_id: int, old: int | None, new: int | None) -> None:
    """A confirmed place moves between slots by conditional updates, in slot id order
    (a fixed lock order: two people swapping slots cannot deadlock). A full slot
    raises Conflict("slot_full") naming slot_id; the transaction then undoes all."""
    steps = sorted(
        [(slot_id, kind) for slot_id, kind in ((old, "release"), (new, "take")) if slot_id],
        key=lambda step: step[0],
    )
    for slot_id, kind in steps:
        if kind == "release":
            await services.release_slot_place(slot_id)
        elif not await services.take_slot_place(event_id, slot_id):
            raise Conflict(SLOT_FULL, code="slot_full", fields={"slot_id": SLOT_FULL})


async def _save(current: Row, changes: dict[str, Any]) -> Row:
    """Conditional on the status and slot we read: a promotion or a cancel in
    between makes this a Conflict("try_again"), never a lost update."""
    values: dict[Any, Any] = {getattr(Registration, k): v for k, v in changes.items()}
    confirmed = current["status"] == "confirmed"
    if confirmed and INVITE_FIELDS & changes.keys():
        values[Registration.ics_sequence] = Registration.ics_sequence + 1
    slot = current["slot"]["id"] if current["slot"] else None
    same_slot = Registration.slot.is_null() if slot is None else Registration.slot == slot
    rows = (
        await Registration.update(values)
        .where(
            (Registration.id == current["id"])
            & (Registration.status == current["status"])
            & same_slot
        )
        .returning(*Registration.all_columns())
    )
    if not rows:
        raise Conflict(
            N_("Your place changed while you were editing. Please try again"), code="try_again"
        )
    return dict(rows[0])


async def _request_access(current: Row, need: str) -> None:
    """The organiser's queue shows the need as it is now: an open request is updated,
    or a new one is opened (an arranged or declined one stays as it was decided)."""
    opened = (
        await AccessRequest.update({AccessRequest.need: need})
        .where((AccessRequest.registration == current["id"]) & (AccessRequest.status == "open"))
        .returning(AccessRequest.id)
    )
    if not opened and need:
        await services._request_access({**current, "access_needs": need}, current["event"])


async def _names(kind: str, codes: list[str]) -> list[str]:
    rows = await (councils() if kind == "councils" else job_families())
    names = {r["code"]: r["name"] for r in rows}
    return [names.get(code, code) for code in codes]


async def _recently_emailed(address: str) -> bool:
    """Per address: whoever holds a manage link cannot make it a mail cannon."""
    since = datetime.now(UTC) - timedelta(hours=1)
    sent = await OutboxMessage.count().where(
        (OutboxMessage.template == "registration_changed")
        & (OutboxMessage.recipient == address)
        & (OutboxMessage.created_at > since)
    )
    return int(sent) >= MAX_EMAILS_PER_HOUR


async def _email(current: Row, saved: Row, changes: dict[str, Any]) -> bool:
    """What changed, by email; past MAX_EMAILS_PER_HOUR to the address the change is
    kept all the same (a withdrawal must never wait), without an email."""
    if await _recently_emailed(saved["email"]):
        return False
    before = set(current["consent_councils"] or [])
    after = set(changes.get("consent_councils", before))
    invite = saved["status"] == "confirmed" and bool(INVITE_FIELDS & changes.keys())
    slot = await services._slot_row(saved["slot"])
    await emails.send_changed_email(
        saved,
        current["event"],
        slot,
        invite,
        changed=[column for column in EMAIL_ORDER if column in changes],
        councils_added=await _names("councils", sorted(after - before)),
        councils_withdrawn=await _names("councils", sorted(before - after)),
        interests=await _names("job_families", list(changes.get("interests", []))),
    )
    return True


async def update_registration(manage_token: str, raw: dict[str, Any]) -> Changed:
    """Change what the attendee may (validation.CHANGEABLE, keys left out stay as
    they are), all or nothing. Cancelled: Conflict("registration_cancelled"). A
    confirmed place moved to a full slot: Conflict("slot_full", slot_id); the slot
    of a used ticket or a fair that is over does not move. Calls
    consent_changed() when interests or consent change; the confirmation email says
    what changed, and carries the invite (SEQUENCE + 1) when the slot or details did."""
    async with write_transaction():
        current = await services.get_registration(manage_token)
        check_changeable(current)
        changes = _differences(current, await validate_changes(current["event"], raw))
        if not changes:
            return Changed(current, ())
        _check_slot_change(current, changes)
        old_slot = current["slot"]["id"] if current["slot"] else None
        moved = "slot" in changes and current["status"] == "confirmed"
        if moved:
            await _move_place(current["event"]["id"], old_slot, changes["slot"])
        saved = await _save(current, changes)
        if CONSENT_FIELDS & changes.keys():
            await services.consent_changed(current["id"])
        if "access_needs" in changes:
            await _request_access(current, changes["access_needs"])
        emailed = await _email(current, saved, changes)
        if moved:  # the old slot has room now: someone waiting for it may fit
            await services.promote_waitlisted(current["event"], old_slot)
        elif "slot" in changes and current["status"] == "waitlisted":
            # A time with room: the first waiting for it (perhaps this person) gets in.
            await services.promote_waitlisted(current["event"], changes["slot"])
    fresh = await services.get_registration(manage_token)
    return Changed(fresh, tuple(sorted(changes)), emailed)
