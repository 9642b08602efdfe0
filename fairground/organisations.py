"""An organisation's own settings, kept by its organisers: its public contact address.

The contact address is what attendees and exhibitors are told to write to about
the organisation's fairs (the event page, the Reply-To of every email about a
fair). It is not the system's sender (MAIL_FROM), which may be nobody's inbox.
"""

from __future__ import annotations

from email.utils import formataddr
from typing import Any

from fairground.accounts import normalise_email
from fairground.audit import record_audit
from fairground.db import write_transaction
from fairground.errors import NotFound
from fairground.tables import Organisation

Row = dict[str, Any]


async def organisation_contact(organisation_id: int) -> Row:
    """{"name", "contact_email"}; contact_email is "" when the organisers gave none."""
    row = (
        await Organisation.select(Organisation.name, Organisation.contact_email)
        .where(Organisation.id == organisation_id)
        .first()
    )
    if row is None:
        raise NotFound("There is no such organisation", code="organisation_not_found")
    return {"name": row["name"], "contact_email": row["contact_email"] or ""}


async def set_contact_email(organisation_id: int, raw: str, actor_id: int) -> str:
    """Set (or, with an empty value, clear) the public contact address; audited."""
    email = normalise_email(raw, "contact_email") if raw.strip() else ""
    async with write_transaction():
        await Organisation.update({Organisation.contact_email: email}).where(
            Organisation.id == organisation_id
        )
        await record_audit(actor_id, "contact_email_set", ("organisation", organisation_id))
    return email


def reply_to(contact: Row | None) -> str | None:
    """The Reply-To header for an email about one of the organisation's fairs."""
    if not contact or not contact.get("contact_email"):
        return None
    return formataddr((str(contact["name"]), str(contact["contact_email"])))
