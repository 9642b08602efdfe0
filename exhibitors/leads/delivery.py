"""Delivery to councils: the portal's queries, outcomes, and CSV/XLSX exports.

A council sees a lead only through a delivery to it; every query here starts from
`LeadDelivery.council`, so council A never reads council B's leads. A delivery whose
consent was withdrawn (withdrawal.py) stays listed, marked withdrawn, without the
attendee's contact details; one withdrawn for another reason is not listed.
Exports stream in batches (keyset on the delivery id): memory stays constant
whatever the number of leads.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import anyio
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from exhibitors.leads.names import load_names, with_names
from exhibitors.leads.tables import LeadDelivery
from fairground.audit import record_audit
from fairground.db import write_transaction
from fairground.errors import Conflict, Invalid, NotFound

Row = dict[str, Any]
OUTCOMES = ("contacted", "interviewed", "offered", "hired")
BATCH = 500
CHUNK = 64 * 1024
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_LEAD_IN = re.compile(r"^[\s\x00-\x1f\x7f]+")  # whitespace and control characters
COLUMNS = (
    "delivery_id", "lead_id", "event", "captured_at", "source", "exhibitor", "rule",
    "consent_basis", "name", "email", "phone", "postcode", "home_council", "interests",
    "rating", "notes", "outcome", "outcome_at", "delivered_at", "status", "withdrawn_at",
    # The same in words, for the people who read the file (exhibitors.leads.names).
    "home_council_name", "interest_names", "reason",
)  # fmt: skip
# What a council no longer sees once consent is withdrawn: the ways to reach the
# attendee, and the stand's free-text notes (which may carry them).
HIDDEN_WHEN_WITHDRAWN = ("email", "phone", "postcode", "notes")
D = LeadDelivery
DL: Any = LeadDelivery.lead  # typed loosely: piccolo's joins are not typed two levels deep
_SELECT = (
    D.id, D.rule, D.consent_basis, D.outcome, D.outcome_at, D.created_at,
    D.status, D.withdrawn_at,
    DL.id.as_alias("lead_id"), DL.source.as_alias("source"),
    DL.rating.as_alias("rating"), DL.notes.as_alias("notes"),
    DL.interests.as_alias("lead_interests"), DL.captured_at.as_alias("captured_at"),
    DL.event.slug.as_alias("event"), DL.event.title.as_alias("event_title"),
    DL.exhibitor.organisation.name.as_alias("exhibitor"),
    DL.registration.name.as_alias("name"), DL.registration.email.as_alias("email"),
    DL.registration.phone.as_alias("phone"),
    DL.registration.postcode.as_alias("postcode"),
    DL.registration.home_council.as_alias("home_council"),
    DL.registration.interests.as_alias("registration_interests"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class LeadFilter:
    event: str | None = None
    outcome: str | None = None
    rule: str | None = None


def _check_filter(filters: LeadFilter) -> None:
    if filters.outcome not in (None, "", "none", *OUTCOMES):
        raise Invalid("Unknown outcome", fields={"outcome": f"Choose one of {', '.join(OUTCOMES)}"})


def _where(code: str, filters: LeadFilter, after_id: int = 0) -> Any:
    listed = (D.status == "active") | D.withdrawn_at.is_not_null()
    where = (D.council.code == code) & listed & (D.id > after_id)
    if filters.event:
        where &= DL.event.slug == filters.event
    if filters.outcome == "none":
        where &= D.outcome == ""
    elif filters.outcome:
        where &= D.outcome == filters.outcome
    if filters.rule:
        where &= D.rule.like(f"{filters.rule}%")
    return where


def _as_lead(row: Row) -> Row:
    families = dict.fromkeys(
        [*(row["lead_interests"] or []), *(row["registration_interests"] or [])]
    )
    lead = {
        "delivery_id": row["id"],
        "lead_id": row["lead_id"],
        "event": row["event"],
        "event_title": row["event_title"],
        "captured_at": row["captured_at"],
        "source": row["source"],
        "exhibitor": row["exhibitor"] or "",
        "rule": row["rule"],
        "consent_basis": row["consent_basis"],
        "name": row["name"],
        "email": row["email"],
        "phone": row["phone"],
        "postcode": row["postcode"],
        "home_council": row["home_council"],
        "interests": list(families),
        "rating": row["rating"],
        "notes": row["notes"],
        "outcome": row["outcome"] or None,
        "outcome_at": row["outcome_at"],
        "delivered_at": row["created_at"],
        "status": "withdrawn" if row["withdrawn_at"] is not None else "active",
        "withdrawn": row["withdrawn_at"] is not None,
        "withdrawn_at": row["withdrawn_at"],
    }
    if lead["withdrawn"]:
        lead.update(dict.fromkeys(HIDDEN_WHEN_WITHDRAWN))
    return lead


async def council_leads(
    code: str, filters: LeadFilter, after_id: int = 0, limit: int = BATCH
) -> list[Row]:
    """One page of the council's active deliveries, oldest first, after `after_id`."""
    _check_filter(filters)
    rows = (
        await D.select(*_SELECT)
        .where(_where(code, filters, after_id))
        .order_by(D.id)
        .limit(limit)
        .output(load_json=True)
    )
    return [_as_lead(row) for row in rows]


async def iter_council_leads(code: str, filters: LeadFilter) -> AsyncIterator[list[Row]]:
    after = 0
    while True:
        batch = await council_leads(code, filters, after)
        if not batch:
            return
        yield batch
        after = batch[-1]["delivery_id"]


async def council_lead(code: str, delivery_id: int) -> Row:
    """One lead delivered to this council (withdrawn ones too, marked); NotFound for
    anyone else's."""
    rows = (
        await D.select(*_SELECT)
        .where(_where(code, LeadFilter()) & (D.id == delivery_id))
        .output(load_json=True)
    )
    if not rows:
        raise NotFound("There is no lead of your council at this address", code="lead_not_found")
    return _as_lead(rows[0])


async def set_outcome(code: str, delivery_id: int, outcome: str, actor_id: int) -> None:
    """A council reports what came of a lead; audited. Not once the attendee has
    withdrawn their consent (the outcome recorded before stays)."""
    if outcome not in OUTCOMES:
        message = f"Choose one of {', '.join(OUTCOMES)}"
        raise Invalid(message, fields={"outcome": message})
    if (await council_lead(code, delivery_id))["withdrawn"]:
        raise Conflict("The attendee has withdrawn their consent", code="consent_withdrawn")
    async with write_transaction():
        await D.update(
            {D.outcome: outcome, D.outcome_at: datetime.now(UTC), D.outcome_by: actor_id}
        ).where(D.id == delivery_id)
        await record_audit(
            actor_id, "lead_outcome_set", ("lead_delivery", delivery_id), outcome=outcome
        )


def safe_cell(value: Any) -> Any:
    """Spreadsheet formula injection: text that a spreadsheet would run gets a quote -
    text starting with = + - @ tab or CR, also behind spaces or control characters
    (which a spreadsheet may drop when it reads the file)."""
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_STARTS) or _LEAD_IN.sub("", value).startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export_row(lead: Row) -> list[Any]:
    values = []
    for column in COLUMNS:
        value = lead[column]
        if isinstance(value, datetime):
            value = value.astimezone(UTC).isoformat()
        elif isinstance(value, list):
            value = "; ".join(value) if column == "interest_names" else " ".join(value)
        values.append(safe_cell("" if value is None else value))
    return values


async def audit_export(actor_id: int, code: str, fmt: str, filters: LeadFilter) -> None:
    _check_filter(filters)
    await record_audit(
        actor_id, "leads_exported", ("council", code), format=fmt,
        event=filters.event, outcome=filters.outcome, rule=filters.rule,
    )  # fmt: skip


async def csv_chunks(code: str, filters: LeadFilter) -> AsyncIterator[bytes]:
    """The CSV, a batch at a time (UTF-8 with a BOM, so Excel reads the names right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    yield ("\ufeff" + buffer.getvalue()).encode()
    names = await load_names()
    async for batch in iter_council_leads(code, filters):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(export_row(with_names(lead, names)) for lead in batch)
        yield buffer.getvalue().encode()


def _xlsx_text(value: Any) -> Any:
    # Control characters are not allowed in the XML of a workbook. Neutralised again
    # after removing them: "\x01=CMD()" would otherwise become a formula.
    return safe_cell(ILLEGAL_CHARACTERS_RE.sub("", value)) if isinstance(value, str) else value


async def xlsx_chunks(code: str, filters: LeadFilter) -> AsyncIterator[bytes]:
    """The workbook: openpyxl's write-only mode keeps rows on disk, not in memory; the
    file is then read back in chunks."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Leads")
    sheet.append(list(COLUMNS))
    names = await load_names()
    async for batch in iter_council_leads(code, filters):
        for lead in batch:
            sheet.append([_xlsx_text(v) for v in export_row(with_names(lead, names))])
    with tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024) as handle:
        await anyio.to_thread.run_sync(workbook.save, handle)
        handle.seek(0)
        while chunk := handle.read(CHUNK):
            yield chunk
