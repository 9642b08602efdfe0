"""Capturing leads at a stand: one lead per exhibitor and attendee, updated on a rescan.

`capture_lead` is the rule: the ticket must be genuine and for the exhibitor's event;
the same exhibitor scanning the same attendee again updates the lead; the same
`client_id` twice has one effect and the same answer. Without stand consent the
exhibitor sees only the name, and the lead goes to no council (see routing).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from exhibitors.leads.schemas import AttendeeOut, LeadIn, LeadOut
from exhibitors.leads.tables import Lead
from exhibitors.tables import Exhibitor, ExhibitorStaff
from fairground.accounts import Principal
from fairground.db import write_transaction
from fairground.errors import Conflict, Forbidden, Invalid, NotFound
from fairground.tables import JobFamily
from fairground.text import check_block, check_key
from registrations.tables import Registration
from registrations.tickets import TicketClaims, verify_ticket

Row = dict[str, Any]
UNIQUE_ERRORS = (sqlite3.IntegrityError, asyncpg.UniqueViolationError)
MAX_NOTES = 4000


@dataclass(frozen=True, slots=True)
class Captured:
    lead: LeadOut
    created: bool


async def check_interests(codes: list[str], field: str = "interests") -> list[str]:
    """Known job family codes, in order, without repeats; Invalid names the field."""
    known = {r["code"] for r in await JobFamily.select(JobFamily.code)}
    unknown = [c for c in codes if c not in known]
    if unknown:
        message = f"Unknown job family: {', '.join(c[:40] for c in unknown[:5])}"
        raise Invalid(message, fields={field: message})
    return list(dict.fromkeys(codes))


def check_notes(notes: str) -> str:
    """What the exhibitor typed about the person: a block of text (fairground.text)."""
    errors: dict[str, str] = {}
    notes = check_block(notes, "notes", "Notes", MAX_NOTES, errors)
    if errors:
        raise Invalid(errors["notes"], fields=errors)
    return notes


async def _exhibitor(exhibitor_id: int) -> Row:
    row = (
        await Exhibitor.select(Exhibitor.id, Exhibitor.event, Exhibitor.status)
        .where(Exhibitor.id == exhibitor_id)
        .first()
    )
    if row is None:
        raise NotFound("There is no exhibitor at this address", code="exhibitor_not_found")
    return row


def _claims(code: str) -> TicketClaims:
    claims = verify_ticket(code)
    if claims is None:
        message = "This is not a Fairground ticket. Scan the QR code again."
        raise Invalid(message, code="invalid_ticket", fields={"code": message})
    return claims


async def exhibitor_for_scan(principal: Principal, code: str, exhibitor_id: int | None) -> int:
    """The exhibitor a staff member scans for: theirs at the ticket's event."""
    event_id = _claims(code).event_id
    rows = await ExhibitorStaff.select(ExhibitorStaff.exhibitor).where(
        (ExhibitorStaff.user == principal.id) & (ExhibitorStaff.exhibitor.event == event_id)
    )
    mine = sorted({r["exhibitor"] for r in rows})
    if exhibitor_id is not None and exhibitor_id not in mine:
        raise Forbidden("You are not on the staff of this exhibitor", code="not_exhibitor_staff")
    if not mine:
        raise Forbidden(
            "You are not on the staff of an exhibitor at this ticket's event",
            code="not_exhibitor_staff",
        )
    if exhibitor_id is None and len(mine) > 1:
        message = "You staff several stands at this event: say which"
        raise Invalid(message, fields={"exhibitor_id": message})
    return exhibitor_id if exhibitor_id is not None else mine[0]


async def _attendee(code: str, event_id: int) -> Row:
    """The registration a genuine ticket of this event names."""
    claims = _claims(code)
    if claims.event_id != event_id:
        message = "This ticket is for a different event"
        raise Invalid(message, code="wrong_event", fields={"code": message})
    row = await Registration.select().where(Registration.id == claims.registration_id).first()
    if row is None or row["status"] == "cancelled":
        message = "This ticket has been cancelled"
        raise Invalid(message, code="ticket_cancelled", fields={"code": message})
    return row


def lead_out(lead: Row, registration: Row) -> LeadOut:
    """What an exhibitor may see: contact details only with stand consent."""
    given = bool(lead["consent_given"])
    attendee = AttendeeOut(
        name=registration["name"],
        email=registration["email"] if given else None,
        phone=(registration["phone"] or None) if given else None,
        interests=list(lead["interests"] or []),
        home_council=(registration["home_council"] or None) if given else None,
    )
    return LeadOut(
        id=lead["id"],
        consent="given" if given else "none",
        attendee=attendee,
        rating=lead["rating"],
        notes=lead["notes"],
        source=lead["source"],
        captured_at=lead["captured_at"].isoformat(),
        updated_at=lead["updated_at"].isoformat(),
    )


async def _replay(client_id: str | None, exhibitor_id: int) -> Captured | None:
    if client_id is None:
        return None
    lead = await Lead.select().where(Lead.client_id == client_id).output(load_json=True).first()
    if lead is None:
        return None
    if lead["exhibitor"] != exhibitor_id:
        raise Conflict("This client_id was used for another exhibitor", code="client_id_reused")
    registration = await Registration.select().where(Registration.id == lead["registration"])
    return Captured(lead_out(lead, registration[0]), created=True)


async def _save(exhibitor: Row, registration: Row, data: LeadIn, user_id: int | None) -> bool:
    """Insert, or update the lead this exhibitor already has; True when inserted."""
    now = datetime.now(UTC)
    where = (Lead.exhibitor == exhibitor["id"]) & (Lead.registration == registration["id"])
    columns = (Lead.id, Lead.consent_given, Lead.consent_withdrawn_at)
    existing = await Lead.select(*columns).where(where).first()
    if existing is None:
        try:
            async with write_transaction():
                await Lead.insert(
                    Lead(
                        event=exhibitor["event"],
                        exhibitor=exhibitor["id"],
                        registration=registration["id"],
                        source="stand",
                        captured_by=user_id,
                        rating=data.rating,
                        notes=data.notes,
                        interests=data.interests,
                        consent_given=data.consent_given,
                        client_id=data.client_id,
                        captured_at=now,
                        updated_at=now,
                    )
                )
            return True
        except UNIQUE_ERRORS:  # a second device scanned them at the same moment
            existing = await Lead.select(*columns).where(where).first()
            if existing is None:
                raise
    values: dict[Any, Any] = {
        Lead.notes: data.notes,
        Lead.interests: data.interests,
        # Consent given at the stand is not taken back by a rescan without the tick, nor
        # given again by one with it once the attendee withdrew it (stand_consent.py).
        Lead.consent_given: bool(existing["consent_given"])
        or (data.consent_given and existing["consent_withdrawn_at"] is None),
        Lead.updated_at: now,
        Lead.route_due: True,
    }
    if data.rating is not None:
        values[Lead.rating] = data.rating
    await Lead.update(values).where(Lead.id == existing["id"])
    return False


async def capture_lead(exhibitor_id: int, data: LeadIn, user_id: int | None) -> Captured:
    """Record a stand scan for this exhibitor (see the module docstring for the rules)."""
    check_key(data.client_id)
    replayed = await _replay(data.client_id, exhibitor_id)
    if replayed is not None:
        return replayed
    exhibitor = await _exhibitor(exhibitor_id)
    if exhibitor["status"] != "approved":
        raise Conflict("Only approved exhibitors can capture leads", code="exhibitor_not_approved")
    data.notes = check_notes(data.notes)
    data.interests = await check_interests(data.interests)
    registration = await _attendee(data.code, exhibitor["event"])
    created = await _save(exhibitor, registration, data, user_id)
    lead = (
        await Lead.select()
        .where((Lead.exhibitor == exhibitor_id) & (Lead.registration == registration["id"]))
        .output(load_json=True)
        .first()
    )
    assert lead is not None
    return Captured(lead_out(lead, registration), created)


async def _exhibitor_leads(exhibitor_id: int) -> list[tuple[Row, Row]]:
    """(lead, registration) pairs of this exhibitor, newest first; each lead has
    `captured_by_name`, the staff member who scanned it (None once they are gone)."""
    leads = (
        await Lead.select(*Lead.all_columns(), Lead.captured_by.name.as_alias("captured_by_name"))
        .where(Lead.exhibitor == exhibitor_id)
        .order_by(Lead.updated_at, ascending=False)
        .order_by(Lead.id, ascending=False)
        .output(load_json=True)
    )
    ids = [lead["registration"] for lead in leads]
    registrations = (
        {r["id"]: r for r in await Registration.select().where(Registration.id.is_in(ids))}
        if ids
        else {}
    )
    return [(lead, registrations[lead["registration"]]) for lead in leads]


async def leads_for_exhibitor(exhibitor_id: int) -> list[LeadOut]:
    """This exhibitor's leads, newest first."""
    return [lead_out(lead, reg) for lead, reg in await _exhibitor_leads(exhibitor_id)]


async def exhibitor_lead_rows(exhibitor_id: int) -> list[Row]:
    """This exhibitor's leads for its own page: what `lead_out` lets it see (contact
    details only with stand consent), with who captured each and when."""
    return [
        {
            "lead": lead_out(lead, reg),
            "captured_at": lead["captured_at"],
            "updated_at": lead["updated_at"],
            "captured_by": lead["captured_by_name"],
        }
        for lead, reg in await _exhibitor_leads(exhibitor_id)
    ]
