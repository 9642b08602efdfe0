"""Employability partners at a fair: invitations, referrals, assisted registration.

A partner is an organisation of kind "partner" (fairground.organisations); its
short code is its referral code. The organiser invites partners to a fair; a
registration made from a partner's link (`?via=<code>`) or by its staff records
the partner (`Registration.referred_by`). The attendee sees it on the manage
page and may remove it, and may give or withdraw their consent for the partner
to see their attendance and outcomes by name (`Registration.partner_consent`).

A code that names no partner invited to the fair is ignored, not refused: a
stale poster must never stop anyone registering.
"""

from __future__ import annotations

from typing import Any

from fairground.accounts import Principal
from fairground.audit import record_audit
from fairground.db import write_transaction
from fairground.errors import Conflict, Invalid, NotFound
from fairground.organisations import PARTNER_KINDS, organisation_by_name_or_code
from fairground.tables import Organisation
from fairground.text import check_line
from registrations.tables import EventPartner, Registration

Row = dict[str, Any]
MAX_CODE = 40


def clean_code(raw: Any) -> str | None:
    """A ?via= value as a short code, or None when it cannot be one."""
    if not isinstance(raw, str):
        return None
    code = raw.strip().lower()
    if (
        not code
        or len(code) > MAX_CODE
        or not all(c.isascii() and (c.isalnum() or c == "-") for c in code)
    ):
        return None
    return code


async def partner_for_code(event_id: int, raw: Any) -> Row | None:
    """The partner invited to this fair whose short code this is, or None."""
    code = clean_code(raw)
    if code is None:
        return None
    row = (
        await EventPartner.select(
            EventPartner.organisation.id.as_alias("id"),
            EventPartner.organisation.name.as_alias("name"),
            EventPartner.organisation.short_code.as_alias("short_code"),
        )
        .where(
            (EventPartner.event == event_id)
            & (EventPartner.organisation.short_code == code)
            & (EventPartner.organisation.kind == "partner")
        )
        .first()
    )
    return row


async def is_invited(event_id: int, organisation_id: int | None) -> bool:
    if organisation_id is None:
        return False
    return await EventPartner.exists().where(
        (EventPartner.event == event_id) & (EventPartner.organisation == organisation_id)
    )


async def assisting_partner(principal: Principal | None, event_id: int) -> int | None:
    """The partner organisation of this signed-in partner staff member, when it is
    invited to the fair: they may register clients on their behalf."""
    if principal is None or principal.role != "partner":
        return None
    return (
        principal.organisation_id if await is_invited(event_id, principal.organisation_id) else None
    )


async def invite_partner(event_id: int, name_or_code: str, actor_id: int | None) -> Row:
    """Invite a partner organisation (by name or short code) to the fair; idempotent."""
    errors: dict[str, str] = {}
    name_or_code = check_line(name_or_code, "partner", "The partner", 200, errors)
    if errors:
        raise Invalid("Some answers need correcting", fields=errors)
    if not name_or_code:
        message = "Enter the partner's name or short code"
        raise Invalid(message, fields={"partner": message})
    try:
        org = await organisation_by_name_or_code(name_or_code)
    except NotFound:
        raise Invalid(
            "No partner has this name or short code",
            fields={"partner": "No partner has this name or short code"},
        ) from None
    if org["kind"] != "partner":
        raise Invalid(
            f"{org['name']} is not an employability partner",
            fields={"partner": f"{org['name']} is not an employability partner"},
        )
    async with write_transaction():
        if not await is_invited(event_id, org["id"]):
            await EventPartner.insert(
                EventPartner(event=event_id, organisation=org["id"], invited_by=actor_id)
            )
            await record_audit(actor_id, "partner_invited", ("event", event_id), partner=org["id"])
    return org


async def event_partners(event_id: int) -> list[Row]:
    """The partners invited to the fair, with how many people each referred."""
    rows = (
        await EventPartner.select(
            EventPartner.organisation.id.as_alias("id"),
            EventPartner.organisation.name.as_alias("name"),
            EventPartner.organisation.short_code.as_alias("short_code"),
            EventPartner.organisation.partner_kind.as_alias("partner_kind"),
        )
        .where(EventPartner.event == event_id)
        .order_by(EventPartner.organisation.name)
    )
    for row in rows:
        row["kind_label"] = PARTNER_KINDS.get(row["partner_kind"], "Other")
        row["referred"] = await Registration.count().where(
            (Registration.event == event_id) & (Registration.referred_by == row["id"])
        )
    return rows


async def partner_events(organisation_id: int) -> list[int]:
    rows = await EventPartner.select(EventPartner.event).where(
        EventPartner.organisation == organisation_id
    )
    return [int(r["event"]) for r in rows]


async def referrer_name(organisation_id: int | None) -> str | None:
    if organisation_id is None:
        return None
    row = (
        await Organisation.select(Organisation.name)
        .where(Organisation.id == organisation_id)
        .first()
    )
    return str(row["name"]) if row else None


async def _update(manage_token: str, values: dict[Any, Any]) -> None:
    async with write_transaction():
        rows = (
            await Registration.update(values)
            .where(Registration.manage_token == manage_token)
            .returning(Registration.id)
        )
        if not rows:
            raise NotFound(
                "There is no registration at this address", code="registration_not_found"
            )


async def remove_referral(manage_token: str) -> None:
    """The attendee takes the partner off their registration (and with it any consent)."""
    await _update(
        manage_token, {Registration.referred_by: None, Registration.partner_consent: False}
    )


async def set_partner_consent(manage_token: str, given: bool) -> None:
    """Give or withdraw consent for the referring partner to see attendance and outcomes."""
    row = (
        await Registration.select(Registration.referred_by)
        .where(Registration.manage_token == manage_token)
        .first()
    )
    if row is None:
        raise NotFound("There is no registration at this address", code="registration_not_found")
    if given and row["referred_by"] is None:
        raise Conflict("No partner referred this registration", code="no_referral")
    await _update(manage_token, {Registration.partner_consent: given})
