"""Importing the job board's subscriber list (CSV) onto organisations.

Columns: organisation, subscriber reference, email domains, active until
(headers in any case, in any order; extra columns are ignored). The file
may come from Excel: a byte-order mark, Windows-1252 text, semicolons,
quoted cells with commas in them and ="…" text cells are all understood.
`preview_import` says what each row would change and why a row is refused
(missing or malformed values, bad domains, a reference or organisation twice
in the file, a reference that belongs to another organisation);
`apply_import` makes the same changes for the rows without errors, in one
transaction. Organisations not in the file are left as they are.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from exhibitors.applications import ORG_COLUMNS, UNIQUE_ERRORS, is_current_subscriber
from exhibitors.validation import REF_RE, clean_text, normalise_ref
from fairground.audit import record_audit
from fairground.db import write_transaction
from fairground.errors import Conflict, Invalid
from fairground.organisations import assign_short_code
from fairground.tables import Organisation

Row = dict[str, Any]
MAX_FILE_BYTES = 500_000
MAX_ROWS = 5000
HEADERS = {
    "organisation": ("organisation", "organization", "organisation name", "name"),
    "subscriber_ref": ("subscriber reference", "subscriber ref", "reference", "ref"),
    "email_domains": ("email domains", "email domain", "domains", "domain"),
    "active_until": ("active until", "subscriber until", "expires", "until", "end date"),
}
DOMAIN_RE = re.compile(r"^(?=.{4,253}\Z)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\Z")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y")


@dataclass(slots=True)
class ImportRow:
    line: int
    organisation: str = ""
    subscriber_ref: str = ""
    email_domains: list[str] = field(default_factory=list)
    active_until: date | None = None
    action: str = "error"  # create | update | unchanged | error
    changes: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    organisation_id: int | None = None

    @property
    def current(self) -> bool:
        return self.action != "error" and is_current_subscriber(
            {"subscriber_ref": self.subscriber_ref, "subscriber_until": self.active_until}
        )


@dataclass(slots=True)
class Preview:
    rows: list[ImportRow]

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def changing(self) -> int:
        return self.count("create") + self.count("update")


def decode(data: bytes) -> str:
    """UTF-8 (with or without a BOM), else Windows-1252 as older Excel saves it."""
    if len(data) > MAX_FILE_BYTES:
        message = "The file must be smaller than 500 KB"
        raise Invalid(message, fields={"file": message})
    if b"\x00" in data:
        message = "The file is not a CSV file: save it from Excel as CSV UTF-8"
        raise Invalid(message, fields={"file": message})
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _cell(value: str | None) -> str:
    """A cell's text: ="0042" (Excel's keep-as-text) becomes 0042."""
    text = (value or "").strip()
    match = re.fullmatch(r'="(.*)"', text)
    return clean_text(match.group(1) if match else text, 1000)


def _header_map(header: list[str]) -> dict[str, int]:
    names = [re.sub(r"[\s_\-]+", " ", _cell(h).lower()).strip() for h in header]
    found: dict[str, int] = {}
    for key, aliases in HEADERS.items():
        for index, name in enumerate(names):
            if name in aliases and key not in found:
                found[key] = index
    missing = [HEADERS[k][0] for k in HEADERS if k not in found]
    if missing:
        message = f"The first line must name the columns; missing: {', '.join(missing)}"
        raise Invalid(message, fields={"file": message})
    return found


def _reader(text: str) -> list[list[str]]:
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as exc:
        message = f"The file could not be read as CSV ({exc})"
        raise Invalid(message, fields={"file": message}) from None


def _domains(raw: str, row: ImportRow) -> None:
    seen: list[str] = []
    for part in re.split(r"[\s,;]+", raw.lower()):
        domain = part.strip().lstrip("@").rstrip(".")
        if not domain:
            continue
        with contextlib.suppress(UnicodeError):  # an IDN domain, in its ASCII form
            domain = domain.encode("idna").decode("ascii")
        if not DOMAIN_RE.match(domain):
            row.errors["email_domains"] = f"'{part}' is not an email domain, like coventry.gov.uk"
        elif domain not in seen:
            seen.append(domain)
    if not seen and "email_domains" not in row.errors:
        row.errors["email_domains"] = "Enter at least one email domain"
    row.email_domains = seen


def _date(raw: str, row: ImportRow) -> None:
    text = raw.split(" ")[0].split("T")[0]  # Excel may add " 00:00:00"
    if not text:
        return
    for fmt in DATE_FORMATS:
        try:
            row.active_until = datetime.strptime(text, fmt).replace(tzinfo=UTC).date()
            return
        except ValueError:
            continue
    row.errors["active_until"] = f"'{raw}' is not a date: write it as 31/03/2027 or 2027-03-31"


def _parse_row(line: int, cells: list[str], columns: dict[str, int]) -> ImportRow:
    def get(key: str) -> str:
        index = columns[key]
        return _cell(cells[index]) if index < len(cells) else ""

    row = ImportRow(line=line, organisation=get("organisation"))
    if not row.organisation or len(row.organisation) > 200:
        row.errors["organisation"] = "Enter the organisation's name (200 characters or fewer)"
    row.subscriber_ref = normalise_ref(get("subscriber_ref"))
    if not REF_RE.match(row.subscriber_ref):
        row.errors["subscriber_ref"] = "Enter a subscriber reference, like WMJ-0042"
    _domains(get("email_domains"), row)
    _date(get("active_until"), row)
    return row


def parse_csv(data: bytes) -> list[ImportRow]:
    """Rows with their own errors; blank lines are skipped, duplicates refused."""
    lines = _reader(decode(data))
    if not lines:
        raise Invalid("The file is empty", fields={"file": "The file is empty"})
    columns = _header_map(lines[0])
    if len(lines) > MAX_ROWS + 1:
        message = f"The file has more than {MAX_ROWS} rows"
        raise Invalid(message, fields={"file": message})
    rows: list[ImportRow] = []
    refs: dict[str, int] = {}
    names: dict[str, int] = {}
    for number, cells in enumerate(lines[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        row = _parse_row(number, cells, columns)
        _check_duplicate(row, refs, row.subscriber_ref, "subscriber_ref")
        _check_duplicate(row, names, row.organisation.casefold(), "organisation")
        rows.append(row)
    return rows


def _check_duplicate(row: ImportRow, seen: dict[str, int], key: str, field_name: str) -> None:
    if not key:
        return
    if key in seen:
        row.errors.setdefault(field_name, f"Also on line {seen[key]}: each may appear once")
    else:
        seen[key] = row.line


def _domains_text(domains: list[str]) -> str:
    return " ".join(domains)


def _changes(row: ImportRow, org: Row) -> list[str]:
    before = (org["subscriber_ref"] or "", org["email_domains"] or "", org["subscriber_until"])
    after = (row.subscriber_ref, _domains_text(row.email_domains), row.active_until)
    labels = ("Subscriber reference", "Email domains", "Active until")
    return [
        f"{label}: {old or '(none)'} → {new or '(none)'}"
        for label, old, new in zip(labels, before, after, strict=True)
        if old != new
    ]


def _compare(rows: list[ImportRow], orgs: list[Row]) -> None:
    """Decide each row's action against the organisations we have."""
    by_name = {o["name"].casefold(): o for o in orgs}
    in_file = {r.organisation.casefold() for r in rows if not r.errors}
    owner = {o["subscriber_ref"]: o for o in orgs if o["subscriber_ref"]}
    for row in rows:
        holder = owner.get(row.subscriber_ref)
        mine = holder is not None and holder["name"].casefold() == row.organisation.casefold()
        if holder is not None and not mine and holder["name"].casefold() not in in_file:
            row.errors.setdefault(
                "subscriber_ref", f"{row.subscriber_ref} belongs to {holder['name']}"
            )
        if row.errors:
            continue
        org = by_name.get(row.organisation.casefold())
        if org is None:
            row.action, row.changes = "create", ["New organisation"]
            continue
        row.organisation_id, row.changes = org["id"], _changes(row, org)
        row.action = "update" if row.changes else "unchanged"


async def preview_import(data: bytes) -> Preview:
    rows = parse_csv(data)
    _compare(rows, await Organisation.select(*ORG_COLUMNS))
    return Preview(rows)


async def apply_import(data: bytes, actor: int) -> Preview:
    """Apply the rows without errors, all together. References are cleared first so
    that two organisations can swap references within one file."""
    try:
        return await _apply(data, actor)
    except UNIQUE_ERRORS:  # the organisations changed between the preview and now
        message = "The subscriber list changed while it was being applied: preview it again"
        raise Conflict(message, code="import_conflict", fields={"file": message}) from None


async def _apply(data: bytes, actor: int) -> Preview:
    async with write_transaction():
        preview = await preview_import(data)
        updates = [r for r in preview.rows if r.action == "update"]
        ids = [r.organisation_id for r in updates if r.organisation_id is not None]
        if ids:
            await Organisation.update({Organisation.subscriber_ref: None}).where(
                Organisation.id.is_in(ids)
            )
        for row in preview.rows:
            await _write(row)
        await record_audit(
            actor,
            "subscribers_imported",
            ("organisation", "*"),
            created=preview.count("create"),
            updated=len(updates),
            refused=preview.count("error"),
        )
    return preview


async def _write(row: ImportRow) -> None:
    values: dict[Any, Any] = {
        Organisation.subscriber_ref: row.subscriber_ref,
        Organisation.email_domains: _domains_text(row.email_domains),
        Organisation.subscriber_until: row.active_until,
    }
    if row.action == "create":
        created = await Organisation.insert(
            Organisation(
                name=row.organisation,
                kind="other",
                subscriber_ref=row.subscriber_ref,
                email_domains=_domains_text(row.email_domains),
                subscriber_until=row.active_until,
            )
        ).returning(Organisation.id)
        await assign_short_code(int(created[0]["id"]))
    elif row.action in ("update", "unchanged") and row.organisation_id is not None:
        await Organisation.update(values).where(Organisation.id == row.organisation_id)


async def subscribers() -> list[Row]:
    """Organisations with a subscriber reference, with whether each is current."""
    rows = (
        await Organisation.select(*ORG_COLUMNS)
        .where(Organisation.subscriber_ref.is_not_null())
        .order_by(Organisation.name)
    )
    return [{**r, "current": is_current_subscriber(r)} for r in rows]
