"""The exhibitor web forms: from posted fields to the API-shaped dict the services
check, and from the services' field names back to the form's.

Vacancies are numbered rows: vacancy_1_title, vacancy_1_job_family,
vacancy_1_url, …; empty rows are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from exhibitors.validation import MAX_VACANCIES

Row = dict[str, Any]
APPLICATION_VACANCY_ROWS = 3
# The service's field names (as in the API) → the form's.
FORM_NAMES = {
    "contact.name": "contact_name",
    "contact.email": "contact_email",
    "contact.phone": "contact_phone",
    "needs.power": "power",
    "needs.tables": "tables",
    "needs.staff": "staff",
    "needs.notes": "notes",
}
VACANCY_KEY = re.compile(r"^vacancies\[(\d+)\]\.(title|job_family|url|closes_on)\Z")


def _text(form: Mapping[str, Any], name: str) -> str:
    return str(form.get(name, "") or "")


def read_vacancies(form: Mapping[str, Any]) -> tuple[list[Row], list[int]]:
    """The filled-in rows, and the row number of each (to put errors back)."""
    found: list[Row] = []
    numbers: list[int] = []
    for n in range(1, MAX_VACANCIES + 1):
        keys = ("title", "job_family", "url", "closes_on")
        row = {key: _text(form, f"vacancy_{n}_{key}").strip() for key in keys}
        if any(row.values()):
            found.append(row)
            numbers.append(n)
    return found, numbers


def application_raw(form: Mapping[str, Any]) -> tuple[Row, list[int]]:
    vacancies, numbers = read_vacancies(form)
    raw = {
        "organisation": _text(form, "organisation"),
        "subscriber_ref": _text(form, "subscriber_ref"),
        "contact": {
            "name": _text(form, "contact_name"),
            "email": _text(form, "contact_email"),
            "phone": _text(form, "contact_phone"),
        },
        "needs": {
            "power": form.get("power") == "yes",
            "tables": _text(form, "tables") or "1",
            "staff": _text(form, "staff") or "2",
            "notes": _text(form, "notes"),
        },
        "vacancies": vacancies,
    }
    return raw, numbers


def form_errors(fields: dict[str, str], numbers: list[int]) -> dict[str, str]:
    """The service's errors under the form's field names (so the summary links work)."""
    errors: dict[str, str] = {}
    for key, message in fields.items():
        match = VACANCY_KEY.match(key)
        if match and int(match.group(1)) < len(numbers):
            errors[f"vacancy_{numbers[int(match.group(1))]}_{match.group(2)}"] = message
        else:
            errors[FORM_NAMES.get(key, key)] = message
    return errors


def values(form: Mapping[str, Any]) -> dict[str, str]:
    """What was typed, to show the form again."""
    return {str(key): _text(form, str(key)) for key in form}


def vacancy_values(vacancies: list[Row]) -> dict[str, str]:
    """Stored vacancies as form values."""
    found: dict[str, str] = {}
    for n, vacancy in enumerate(vacancies, start=1):
        for key in ("title", "job_family", "url", "closes_on"):
            value = vacancy.get(key)
            found[f"vacancy_{n}_{key}"] = "" if value is None else str(value)
    return found


def vacancy_rows(form: Mapping[str, Any], minimum: int = APPLICATION_VACANCY_ROWS) -> list[int]:
    """Row numbers to show: up to the last filled one plus two, at least `minimum`."""
    last = max(read_vacancies(form)[1] or [0])
    return list(range(1, min(max(last + 2, minimum), MAX_VACANCIES) + 1))
