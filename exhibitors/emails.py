"""One `send_*_email` function per message an exhibitor (or its organisers) gets.

Each queues the message in the outbox inside the caller's transaction; the
worker sends it. Templates: templates/email/exhibitor_<name>/.
"""

from __future__ import annotations

from typing import Any

from events.tables import Event
from exhibitors.queries import get_exhibitor, organiser_emails
from exhibitors.validation import REASONS
from fairground.mail import queue_email
from fairground.organisations import organisation_contact, reply_to
from fairground.settings import get_settings

Row = dict[str, Any]


def _urls(exhibitor: Row) -> dict[str, str]:
    base = get_settings().base_url
    return {
        "event_url": f"{base}/events/{exhibitor['event_slug']}",
        "portal_url": f"{base}/exhibitor/{exhibitor['id']}",
        "review_url": (
            f"{base}/organiser/events/{exhibitor['event_slug']}/exhibitors/{exhibitor['id']}"
        ),
        "login_url": f"{base}/login",
        "reset_url": f"{base}/password-reset",
    }


async def _fair(exhibitor: Row) -> Row:
    """The fair in the email (date, venue, exhibitor times) and its organiser's Reply-To."""
    event = await Event.select().where(Event.id == exhibitor["event"]).first()
    contact = await organisation_contact(exhibitor["event_organisation"])
    return {"event": event, "organiser": contact, "reply_to": reply_to(contact)}


async def send_application_emails(event: Row, exhibitor_id: int) -> None:
    """To the contact: received (verified, needs review or waiting list); to the organisers."""
    exhibitor = await get_exhibitor(exhibitor_id)
    context = {
        "exhibitor": exhibitor,
        "event": event,
        "reason": REASONS.get(exhibitor["review_reason"], ""),
        **_urls(exhibitor),
    }
    contact = await organisation_contact(event["organisation"])
    await queue_email(
        "exhibitor_application",
        exhibitor["contact_email"],
        {**context, "reply_to": reply_to(contact)},
    )
    for email in await organiser_emails(event["organisation"]):
        await queue_email("exhibitor_application_notice", email, context)


async def send_decision_email(exhibitor_id: int, invite_link: str | None) -> None:
    """Approved (with the portal invite), waitlisted or rejected, with the organiser's message."""
    exhibitor = await get_exhibitor(exhibitor_id)
    context = {
        "exhibitor": exhibitor,
        "invite_link": invite_link,
        **await _fair(exhibitor),
        **_urls(exhibitor),
    }
    await queue_email("exhibitor_decision", exhibitor["contact_email"], context)


async def send_stand_email(exhibitor_id: int) -> None:
    """Where the stand is, once one is allocated or moved."""
    exhibitor = await get_exhibitor(exhibitor_id)
    context = {"exhibitor": exhibitor, **await _fair(exhibitor), **_urls(exhibitor)}
    await queue_email("exhibitor_stand", exhibitor["contact_email"], context)


async def send_staff_invite_email(
    exhibitor_id: int, person: Row, invite_link: str | None, invited_by: str
) -> None:
    """A colleague added as stand staff: a link to set a password, or to sign in."""
    exhibitor = await get_exhibitor(exhibitor_id)
    context = {
        "exhibitor": exhibitor,
        "person": person,
        "invite_link": invite_link,
        "invited_by": invited_by,
        **await _fair(exhibitor),
        **_urls(exhibitor),
    }
    await queue_email("exhibitor_staff_invite", person["email"], context)
