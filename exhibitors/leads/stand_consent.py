"""Consent given at a stand, taken back by the attendee at /r/<token>/stand-consents.

Withdrawn, it is as if it had never been given: the exhibitor sees the lead's name and
what its staff typed, no contact details; the council deliveries of the lead that rested
on it are withdrawn, marked, and their webhooks told (withdrawal.py). A rescan at the
stand does not give it again (services.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from exhibitors.leads.routing import withdraw_unconsented
from exhibitors.leads.tables import Lead
from fairground.db import write_transaction
from fairground.errors import Invalid
from fairground.i18n import N_
from registrations.services import get_registration

Row = dict[str, Any]
_exhibitor: Any = Lead.exhibitor


async def stand_consents(manage_token: str) -> list[Row]:
    """The exhibitors this attendee agreed, at their stand, to share details with, and
    those they took it back from (`withdrawn_at`), by exhibitor name."""
    registration = await get_registration(manage_token)
    rows = (
        await Lead.select(
            Lead.exhibitor,
            Lead.consent_withdrawn_at.as_alias("withdrawn_at"),
            Lead.captured_at,
            _exhibitor.organisation.name.as_alias("name"),
        )
        .where(
            (Lead.registration == registration["id"])
            & Lead.exhibitor.is_not_null()
            & (Lead.consent_given.eq(True) | Lead.consent_withdrawn_at.is_not_null())
        )
        .order_by(Lead.id)
    )
    return [{**row, "exhibitor_id": row.pop("exhibitor")} for row in rows]


def _exhibitor_id(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 0 < number < 2**31:
        message = N_("Choose a stand from the list")
        raise Invalid(message, fields={"exhibitor": message})
    return number


async def withdraw_stand_consent(manage_token: str, exhibitor: str) -> Row:
    """The attendee takes back the consent given at this exhibitor's stand: the
    exhibitor sees the lead as without consent (name and its own notes, no contact
    details), and every council delivery of the lead that rested on it is withdrawn.
    Only an exhibitor of this attendee's list; returns it (with its name)."""
    exhibitor_id = _exhibitor_id(exhibitor)
    registration = await get_registration(manage_token)
    async with write_transaction():
        rows = (
            await Lead.update(
                {Lead.consent_given: False, Lead.consent_withdrawn_at: datetime.now(UTC),
                 Lead.route_due: True, Lead.updated_at: datetime.now(UTC)}
            )
            .where(
                (Lead.registration == registration["id"]) & (Lead.exhibitor == exhibitor_id)
                & Lead.consent_given.eq(True)
            )
            .returning(Lead.id)
        )  # fmt: skip
        if not rows:
            message = N_("You have not agreed to share your details at this stand")
            raise Invalid(message, fields={"exhibitor": message}, code="no_stand_consent")
        await withdraw_unconsented(rows[0]["id"])
    found = [c for c in await stand_consents(manage_token) if c["exhibitor_id"] == exhibitor_id]
    return found[0]
