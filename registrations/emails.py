"""One `send_*_email` function per message an attendee gets.

Each queues the message in the outbox inside the caller's transaction (see
fairground.mail); nothing is sent from a request. Templates live in
templates/email/registration_<name>/{subject.txt,body.txt,body.html}.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from events.tables import Event, Slot
from fairground import i18n
from fairground.mail import Attachment, build_email, queue_deferred_email, register_builder
from fairground.organisations import organisation_contact, reply_to
from registrations import extras, invites, ticket_pdf, tickets
from registrations.tables import Registration

QR_CID = "ticket-qr@fairground"
# The emails that carry the plan for the day (registrations.extras), read when built.
PLAN_EMAILS = ("confirmation", "promoted", "reminder")

Row = dict[str, Any]


def _context(registration: Row, event: Row, slot: Row | None) -> dict[str, Any]:
    starts_at, ends_at = invites.times_of(event, slot)
    return {
        "registration": registration,
        "event": event,
        "slot": slot,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "tz": event["timezone"],
        "manage_url": invites.manage_url(registration["manage_token"]),
        "cancel_url": invites.manage_url(registration["manage_token"]) + "/cancel",
        "event_url": invites.event_url(event),
        "qr_cid": QR_CID,
    }


def _qr(registration: Row) -> Attachment:
    png = tickets.qr_png(str(registration["ticket_code"]))
    return Attachment("ticket.png", "image/png", png, content_id=QR_CID)


def _invite(registration: Row, event: Row, slot: Row | None) -> Attachment:
    data = invites.invite_ics(registration, event, slot)
    method = "CANCEL" if invites.is_cancelled(registration, event) else "REQUEST"
    return Attachment("invite.ics", f"text/calendar; method={method}; charset=utf-8", data)


async def _send(
    name: str,
    registration: Row,
    event: Row,
    slot: Row | None,
    files: tuple[str, ...] = (),
    **extra: Any,
) -> int:
    """Queue by intent; the worker builds the message (`_build`) before sending it.
    The invite's METHOD and SEQUENCE are pinned now, as they are at this change.
    Someone registered at the door without an email gets nothing (0): their ticket
    was shown and printed there."""
    if not registration["email"]:
        return 0
    params = {
        "registration_id": registration["id"],
        "name": name,
        "files": list(files),
        "pinned": {"status": registration["status"], "ics_sequence": registration["ics_sequence"]},
        "extra": extra,
    }
    return await queue_deferred_email(f"registration_{name}", registration["email"], params)


async def _build(params: dict[str, Any]) -> EmailMessage | None:
    row = await Registration.select().where(Registration.id == params["registration_id"]).first()
    if row is None or not row["email"]:  # erased since, or no address: nothing to send
        return None
    registration = {**row, **params["pinned"]}
    event = await Event.select().where(Event.id == row["event"]).first()
    slot = await Slot.select().where(Slot.id == row["slot"]).first() if row["slot"] else None
    assert event is not None
    contact = await organisation_contact(event["organisation"])
    # In the language the registration was made in (or changed to), invite included.
    with i18n.use(row.get("language")):
        event = i18n.localise(event)
        makers = {
            "qr": lambda: _qr(registration),
            "invite": lambda: _invite(registration, event, slot),
            "pdf": lambda: Attachment(
                "ticket.pdf", "application/pdf", ticket_pdf.ticket_pdf(registration, event, slot)
            ),
        }
        files = tuple(makers[kind]() for kind in params["files"])
        more = {}
        if params["name"] in PLAN_EMAILS:
            more = await extras.attendee_extras(registration, event)
        context = {
            **_context(registration, event, slot),
            **more,
            "organiser": contact,
            "reply_to": reply_to(contact),
            **params["extra"],
        }
        return build_email(f"registration_{params['name']}", registration["email"], context, files)


for _name in (
    "confirmation",
    "waitlisted",
    "promoted",
    "cancelled",
    "updated",
    "event_cancelled",
    "reminder",
    "changed",
):
    register_builder(f"registration_{_name}", _build)


async def send_confirmation_email(registration: Row, event: Row, slot: Row | None) -> int:
    """The ticket: QR inline, invite (METHOD:REQUEST) and printable PDF attached,
    manage link."""
    files = ("qr", "invite", "pdf")
    return await _send("confirmation", registration, event, slot, files)


async def send_waitlisted_email(registration: Row, event: Row, slot: Row | None) -> int:
    return await _send("waitlisted", registration, event, slot)


async def send_promoted_email(registration: Row, event: Row, slot: Row | None) -> int:
    """A place came up: the ticket and the invite, as in the confirmation."""
    files = ("qr", "invite", "pdf")
    return await _send("promoted", registration, event, slot, files)


async def send_cancellation_email(
    registration: Row, event: Row, slot: Row | None, was_confirmed: bool
) -> int:
    """Cancelled by the attendee: METHOD:CANCEL removes the invite from their calendar."""
    files = ("invite",) if was_confirmed else ()
    return await _send("cancelled", registration, event, slot, files, was_confirmed=was_confirmed)


async def send_event_update_email(registration: Row, event: Row, slot: Row | None) -> int:
    """The organiser changed the time or venue: the new invite replaces the old one."""
    files = ("invite",)
    return await _send("updated", registration, event, slot, files)


async def send_event_cancelled_email(
    registration: Row, event: Row, slot: Row | None, was_confirmed: bool
) -> int:
    files = ("invite",) if was_confirmed else ()
    return await _send("event_cancelled", registration, event, slot, files)


async def send_reminder_email(registration: Row, event: Row, slot: Row | None) -> int:
    """The day before: when, where, and the QR again so it is easy to find."""
    return await _send("reminder", registration, event, slot, ("qr",))


async def send_changed_email(
    registration: Row, event: Row, slot: Row | None, invite: bool, **changes: Any
) -> int:
    """The attendee changed their details or choices: what changed, and the invite
    again (same UID, higher SEQUENCE) when the time or the details in it did.
    `changes`: changed (column names), councils_added, councils_withdrawn (names)."""
    files = ("invite",) if invite else ()
    return await _send("changed", registration, event, slot, files, invite=invite, **changes)
