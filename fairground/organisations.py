"""An organisation's own settings, kept by its organisers: its public contact address.

The contact address is what attendees and exhibitors are told to write to about
the organisation's fairs (the event page, the Reply-To of every email about a
fair). It is not the system's sender (MAIL_FROM), which may be nobody's inbox.
"""

from __future__ import annotations

import re
import unicodedata
from email.utils import formataddr
from typing import Any

from fairground.accounts import normalise_email
from fairground.audit import record_audit
from fairground.db import write_transaction
from fairground.errors import Conflict, Invalid, NotFound
from fairground.tables import Organisation
from fairground.text import check_line

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


# ---------------------------------------------------------------- short codes

SHORT_CODE_LENGTH = 40
PARTNER_KINDS = {
    "jobcentre": "Jobcentre Plus office",
    "refugee": "Refugee and migrant service",
    "college": "College",
    "charity": "Charity",
    "other": "Other",
}
_SHORT_CODE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def derive_short_code(name: str) -> str:
    """ "Jobcentre Plus — Walsall" → "jobcentre-plus-walsall": lower-case letters, digits
    and single hyphens (letters with accents lose them; other scripts are dropped)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    code = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return code[: SHORT_CODE_LENGTH - 4].strip("-") or "org"


def unique_short_code(base: str, taken: set[str]) -> str:
    """base, or base-2, base-3… : the first not in `taken`."""
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def check_short_code(raw: str) -> str:
    code = raw.strip().lower()
    if not _SHORT_CODE.match(code) or len(code) > SHORT_CODE_LENGTH:
        raise Invalid(
            "A short code is lower-case letters, digits and hyphens, up to 40 characters",
            fields={"short_code": "Use lower-case letters, digits and hyphens"},
        )
    return code


async def _taken_like(base: str) -> set[str]:
    rows = await Organisation.select(Organisation.short_code).where(
        Organisation.short_code.like(f"{base}%")
    )
    return {str(r["short_code"]) for r in rows}


async def assign_short_code(organisation_id: int, given: str | None = None) -> str:
    """The organisation's short code: kept if it has one, else `given` (checked, and
    refused if taken) or derived from its name, unique with a numeric suffix."""
    row = (
        await Organisation.select(Organisation.name, Organisation.short_code)
        .where(Organisation.id == organisation_id)
        .first()
    )
    if row is None:
        raise NotFound("There is no such organisation", code="organisation_not_found")
    if row["short_code"] and not given:
        return str(row["short_code"])
    if given:
        code = check_short_code(given)
        if await Organisation.exists().where(
            (Organisation.short_code == code) & (Organisation.id != organisation_id)
        ):
            raise Conflict(f"The short code {code} is taken", code="short_code_taken")
    else:
        base = derive_short_code(str(row["name"]))
        code = unique_short_code(base, await _taken_like(base))
    await Organisation.update({Organisation.short_code: code}).where(
        Organisation.id == organisation_id
    )
    return code


async def organisation_by_name_or_code(value: str) -> Row:
    """An organisation named exactly `value`, or with that short code or ONS code."""
    value = value.strip()
    cols = (Organisation.id, Organisation.name, Organisation.kind, Organisation.short_code)
    for where in (
        Organisation.short_code == value.lower(),
        Organisation.code == value,
        Organisation.name == value,
    ):
        row = await Organisation.select(*cols).where(where).first()
        if row is not None:
            return row
    wanted = value.casefold()  # a name as people type it ("west midlands employers")
    for row in await Organisation.select(*cols):
        if str(row["name"]).casefold() == wanted:
            return row
    raise NotFound(f"No organisation is named or coded {value}", fields={"org": "Unknown"})


async def create_partner(name: str, partner_kind: str, short_code: str | None = None) -> Row:
    """A partner organisation (kind "partner") with its referral code."""
    errors: dict[str, str] = {}
    name = check_line(name, "name", "The name", 200, errors)
    if errors or not name:
        raise Invalid("Enter a name", fields=errors or {"name": "Enter a name"})
    if partner_kind not in PARTNER_KINDS:
        raise Invalid(
            f"The kind of partner must be one of {', '.join(PARTNER_KINDS)}",
            fields={"partner_kind": "Unknown kind of partner"},
        )
    if short_code is not None:
        check_short_code(short_code)
    async with write_transaction():
        if await Organisation.exists().where(Organisation.name == name):
            raise Conflict(f"An organisation named {name} exists", code="organisation_exists")
        rows = await Organisation.insert(
            Organisation(name=name, kind="partner", partner_kind=partner_kind)
        ).returning(Organisation.id)
        org_id = int(rows[0]["id"])
        code = await assign_short_code(org_id, short_code)
    return {"id": org_id, "name": name, "short_code": code, "partner_kind": partner_kind}


async def assign_missing_short_codes() -> int:
    """Give every organisation without a short code one from its name (reference
    data seeded after the migrations, organisations made by other apps); returns how
    many were given one."""
    rows = await Organisation.select(Organisation.id).where(Organisation.short_code.is_null())
    for row in rows:
        await assign_short_code(int(row["id"]))
    return len(rows)
