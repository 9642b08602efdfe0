"""Checking an application's answers and an exhibitor's vacancies.

Input arrives API-shaped (a dict like the JSON body of API.md, "Exhibitors");
the web forms build the same dict. Errors name the field as the API spells
it: "contact.email", "needs.tables", "vacancies[0].url". Free text follows
fairground.text (lines and blocks: control and text-direction characters and
text over the limit are refused, naming the field); `clean_text` is for the
subscriber import, which cleans what a spreadsheet exported instead.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from fairground.accounts import normalise_email
from fairground.errors import Invalid
from fairground.text import check_block, check_line, has_forbidden

MAX_NAME = 200
MAX_NOTES = 2000
MAX_VACANCIES = 20
MAX_URL = 500
PHONE_RE = re.compile(r"^\+?[0-9 ()\-]{7,20}\Z")
REF_RE = re.compile(r"^[A-Z0-9][A-Z0-9/_.\-]{0,39}\Z")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")

# What the organiser reads beside an application that needs review.
REASONS = {
    "no_reference": "No subscriber reference was given.",
    "unknown_reference": "The subscriber reference is not on the job board's subscriber list.",
    "organisation_mismatch": "The subscriber reference belongs to a different organisation.",
    "expired": "The subscription for this reference has ended.",
    "domain_mismatch": "The contact's email address is not at one of the subscriber's domains.",
}


@dataclass(frozen=True, slots=True)
class VacancyInput:
    title: str
    job_family: str
    url: str
    closes_on: date | None = None


@dataclass(frozen=True, slots=True)
class Application:
    organisation: str
    subscriber_ref: str
    contact_name: str
    contact_email: str
    contact_phone: str
    power: bool
    tables: int
    staff: int
    notes: str
    vacancies: tuple[VacancyInput, ...]


def clean_text(value: Any, limit: int = MAX_NAME) -> str:
    """Trimmed text with runs of spaces collapsed and control characters removed
    (for imported cells; what people type goes through fairground.text)."""
    text = "" if value is None else str(value)
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C" or c in "\n\t")
    return re.sub(r"[ \t]+", " ", text).strip()[: limit + 1]


def _required(raw: dict[str, Any], key: str, label: str, errors: dict[str, str]) -> str:
    value = check_line(raw.get(key), key, f"{label[0].upper()}{label[1:]}", MAX_NAME, errors)
    if not value and key not in errors:
        errors[key] = f"Enter {label}"
    return value


def whole_number(value: Any, field: str, bounds: tuple[int, int], errors: dict[str, str]) -> int:
    low, high = bounds
    text = str(value).strip() if value is not None else ""
    if isinstance(value, bool) or not re.fullmatch(r"\d{1,4}", text):
        errors[field] = f"Enter a whole number from {low} to {high}"
        return low
    number = int(text)
    if not low <= number <= high:
        errors[field] = f"Enter a whole number from {low} to {high}"
    return number


def normalise_ref(value: Any) -> str:
    return clean_text(value, 40).upper()


def _contact(raw: Any, errors: dict[str, str]) -> tuple[str, str, str]:
    contact = raw if isinstance(raw, dict) else {}
    name = check_line(contact.get("name"), "contact.name", "The contact's name", MAX_NAME, errors)
    if not name and "contact.name" not in errors:
        errors["contact.name"] = "Enter the contact's full name"
    email = ""
    try:
        email = normalise_email(str(contact.get("email") or ""), "contact.email")
    except Invalid as exc:
        errors.update(exc.fields)
    phone = check_line(contact.get("phone"), "contact.phone", "The telephone number", 40, errors)
    if phone and not PHONE_RE.match(phone):
        errors["contact.phone"] = "Enter a telephone number, like 024 7683 3333"
    return name, email, phone


def _needs(raw: Any, errors: dict[str, str]) -> tuple[bool, int, int, str]:
    needs = raw if isinstance(raw, dict) else {}
    power = needs.get("power", False)
    if not isinstance(power, bool):
        errors["needs.power"] = "Say whether you need power (true or false)"
        power = False
    tables = whole_number(needs.get("tables", 1), "needs.tables", (0, 10), errors)
    staff = whole_number(needs.get("staff", 2), "needs.staff", (1, 20), errors)
    notes = check_block(needs.get("notes"), "needs.notes", "Notes", MAX_NOTES, errors)
    return power, tables, staff, notes


def _url(value: Any, field: str, errors: dict[str, str]) -> str:
    url = check_line(value, field, "The web address", MAX_URL, errors)
    if not url or field in errors:
        return ""
    try:
        parts = urlsplit(url)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in url
    except ValueError:  # a malformed address, such as an unclosed [ in the host
        ok = False
    if not ok:
        errors[field] = "Enter the advert's full web address, starting with https://"
    return url


def _closing_date(value: Any, field: str, errors: dict[str, str]) -> date | None:
    """An optional closing date, as YYYY-MM-DD (what a date field sends)."""
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    try:
        found = date.fromisoformat(text) if DATE_RE.match(text) else None
    except ValueError:
        found = None
    if found is None:
        errors[field] = "Enter the closing date as a real date, like 2027-03-31"
    return found


def check_vacancies(raw: Any, families: set[str], errors: dict[str, str]) -> list[VacancyInput]:
    """Each vacancy needs a title and a known job family; the link is optional."""
    items = raw if isinstance(raw, list) else []
    if raw is not None and not isinstance(raw, list):
        errors["vacancies"] = "Vacancies must be a list"
    if len(items) > MAX_VACANCIES:
        errors["vacancies"] = f"List {MAX_VACANCIES} vacancies or fewer"
        items = items[:MAX_VACANCIES]
    found: list[VacancyInput] = []
    for index, item in enumerate(items):
        item = item if isinstance(item, dict) else {}
        prefix = f"vacancies[{index}]"
        title = check_line(item.get("title"), f"{prefix}.title", "The job title", MAX_NAME, errors)
        if not title and f"{prefix}.title" not in errors:
            errors[f"{prefix}.title"] = f"Enter a job title of {MAX_NAME} characters or fewer"
        family = str(item.get("job_family") or "").strip()
        if family not in families:
            errors[f"{prefix}.job_family"] = "Select a job family from the list"
        url = _url(item.get("url"), f"{prefix}.url", errors)
        closes_on = _closing_date(item.get("closes_on"), f"{prefix}.closes_on", errors)
        found.append(VacancyInput(title, family, url, closes_on))
    return found


def check_application(raw: dict[str, Any], families: set[str]) -> Application:
    """Every answer checked at once; Invalid names each bad field."""
    errors: dict[str, str] = {}
    organisation = _required(raw, "organisation", "the name of your organisation", errors)
    ref = normalise_ref(raw.get("subscriber_ref"))
    if has_forbidden(str(raw.get("subscriber_ref") or "")) or (ref and not REF_RE.match(ref)):
        errors["subscriber_ref"] = "Enter the subscriber reference as it appears, like WMJ-0042"
    name, email, phone = _contact(raw.get("contact"), errors)
    power, tables, staff, notes = _needs(raw.get("needs"), errors)
    vacancies = check_vacancies(raw.get("vacancies"), families, errors)
    if errors:
        raise Invalid("Some answers need correcting", fields=errors)
    return Application(
        organisation=organisation,
        subscriber_ref=ref,
        contact_name=name,
        contact_email=email,
        contact_phone=phone,
        power=power,
        tables=tables,
        staff=staff,
        notes=notes,
        vacancies=tuple(vacancies),
    )
