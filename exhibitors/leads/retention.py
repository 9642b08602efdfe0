"""Data protection: erasing personal data after the retention period, and the
attendee's own export (JSON) and erasure from their manage link.

Erasure keeps every row (so counts, check-in times, interests, home councils and
outcomes still add up) and blanks what identifies a person: names become "Erased";
emails, phones, postcodes, access needs, notes and the messages sent to them are
cleared; the manage token is replaced and the ticket code removed, so old links
and tickets lead nowhere.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from events.tables import Event
from exhibitors.leads.survey import ERASED, claim_event_job
from exhibitors.leads.tables import EventJob, Lead, LeadDelivery, WebhookSend
from fairground.db import write_transaction
from fairground.tables import OutboxMessage
from registrations.services import cancel_registration, get_registration
from registrations.tables import AccessRequest, CheckIn, Registration

Row = dict[str, Any]
CHUNK = 500
_exhibitor: Any = Lead.exhibitor
ERASE_SQL = (
    "UPDATE registration SET name = {}, phone = '', postcode = '', access_needs = '', "
    "ticket_code = NULL, email = 'erased-' || CAST(id AS TEXT), "
    "manage_token = CAST({} AS TEXT) || CAST(id AS TEXT)"
)


def _chunks(ids: list[Any]) -> list[list[Any]]:
    return [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]


async def _blank_outbox(emails: list[str]) -> None:
    """Messages to these people: the bytes go; unsent ones are not sent."""
    for chunk in _chunks(emails):
        recipients = OutboxMessage.recipient.is_in(chunk)
        await OutboxMessage.update({OutboxMessage.status: "skipped"}).where(
            recipients & OutboxMessage.status.is_in(["pending", "sending"])
        )
        await OutboxMessage.update(
            {
                OutboxMessage.payload: b"",
                OutboxMessage.subject: "",
                OutboxMessage.params: {},
                OutboxMessage.recipient: "erased",
                OutboxMessage.last_error: "",
            }
        ).where(recipients)


async def _blank_registrations(ids: list[int]) -> None:
    # One random prefix per run: the new tokens are unique (the id) and unguessable.
    prefix = "erased-" + secrets.token_hex(16) + "-"
    for chunk in _chunks(ids):
        marks = ", ".join("{}" for _ in chunk)
        where = f" WHERE id IN ({marks})"  # placeholders only
        await Registration.raw(ERASE_SQL + where, ERASED, prefix, *chunk)
        await AccessRequest.update({AccessRequest.need: "", AccessRequest.note: ""}).where(
            AccessRequest.registration.is_in(chunk)
        )
        await CheckIn.update({CheckIn.response: {}}).where(CheckIn.registration.is_in(chunk))
        await Lead.update({Lead.notes: "", Lead.route_due: False}).where(
            Lead.registration.is_in(chunk)
        )


async def _cancel_webhooks(ids: list[int]) -> None:
    for chunk in _chunks(ids):
        deliveries = LeadDelivery.select(LeadDelivery.id).where(
            LeadDelivery.lead.registration.is_in(chunk)
        )
        await WebhookSend.update({WebhookSend.status: "cancelled"}).where(
            WebhookSend.delivery.is_in(deliveries) & WebhookSend.status.is_in(["pending", "failed"])
        )


async def erase_registrations(ids: list[int]) -> int:
    """Erase these attendees' personal data (call inside a transaction)."""
    if not ids:
        return 0
    emails = [
        r["email"]
        for chunk in _chunks(ids)
        for r in await Registration.select(Registration.email).where(Registration.id.is_in(chunk))
        if r["email"]  # a walk-up without an email was never written to
    ]
    await _cancel_webhooks(ids)
    await _blank_outbox(emails)
    await _blank_registrations(ids)
    return len(ids)


def erase_after(event: Row) -> datetime:
    return event["ends_at"] + timedelta(days=event["retention_days"])


async def erase_event(event_id: int) -> int:
    """Erase every attendee of the event; the (event, "retention") marker makes it once."""
    async with write_transaction():
        ids = [
            r["id"]
            for r in await Registration.select(Registration.id).where(
                Registration.event == event_id
            )
        ]
        if not await claim_event_job(event_id, "retention", {"registrations": len(ids)}):
            return 0
        await erase_registrations(ids)
        await CheckIn.update({CheckIn.response: {}}).where(CheckIn.event == event_id)
    return len(ids) or 1


async def erase_due_events(now: datetime | None = None) -> int:
    """The worker's job: events past their retention period lose their personal data."""
    now = now or datetime.now(UTC)
    done = {
        r["event"] for r in await EventJob.select(EventJob.event).where(EventJob.job == "retention")
    }
    events = await Event.select(Event.id, Event.ends_at, Event.retention_days).where(
        Event.ends_at < now
    )
    erased = 0
    for event in events:
        if event["id"] not in done and erase_after(event) <= now:
            erased += await erase_event(event["id"])
    return erased


async def export_my_data(manage_token: str) -> Row:
    """Everything we hold about one attendee, as JSON-ready data (right of access)."""
    registration = await get_registration(manage_token)
    event = registration["event"]
    leads = await Lead.select(
        Lead.id, Lead.source, Lead.captured_at, Lead.rating, Lead.notes, Lead.interests,
        Lead.consent_given, Lead.consent_withdrawn_at,
        _exhibitor.organisation.name.as_alias("exhibitor"),
    ).where(Lead.registration == registration["id"]).output(load_json=True)  # fmt: skip
    deliveries = await LeadDelivery.select(
        LeadDelivery.lead, LeadDelivery.council.name.as_alias("council"), LeadDelivery.rule,
        LeadDelivery.consent_basis, LeadDelivery.status, LeadDelivery.outcome,
        LeadDelivery.created_at, LeadDelivery.withdrawn_at,
    ).where(LeadDelivery.lead.registration == registration["id"])  # fmt: skip
    access = await AccessRequest.select(AccessRequest.need, AccessRequest.status).where(
        AccessRequest.registration == registration["id"]
    )
    keep = ("reference", "name", "email", "phone", "postcode", "home_council", "interests",
            "access_needs", "consent_councils", "consent_job_alerts", "status", "created_at",
            "checked_in_at", "checked_in_door", "cancelled_at")  # fmt: skip
    return {
        "registration": {key: registration[key] for key in keep},
        "event": {"title": event["title"], "slug": event["slug"], "starts_at": event["starts_at"]},
        "access_requests": access,
        "leads": leads,
        "deliveries": deliveries,
        "exported_at": datetime.now(UTC),
    }


async def erase_my_data(manage_token: str) -> None:
    """The attendee erases their own data: a place still held is cancelled first (so the
    waiting list moves up), then everything that identifies them is blanked."""
    registration = await get_registration(manage_token)
    if registration["status"] != "cancelled" and registration["event"]["ends_at"] > datetime.now(
        UTC
    ):
        await cancel_registration(manage_token)
    async with write_transaction():
        await erase_registrations([registration["id"]])
