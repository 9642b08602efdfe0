"""The organiser's event form: parse it into the service's fields, map errors back."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar.datastructures import FormMultiDict

from fairground import i18n
from fairground.errors import Invalid

SLOT_ROWS = 4
# A whole number as a form sends it: ASCII digits, few enough to be an id or a capacity
# (str.isdigit() also takes "²", which int() refuses).
ID_TEXT = re.compile(r"[0-9]{1,9}")
OWN_WORDS = ("title", "description", "access_notes")  # per language (i18n)
TEXT_FIELDS = (
    "title",
    "slug",
    "description",
    "venue_name",
    "venue_address",
    "venue_postcode",
    "access_notes",
)
TIME_FIELDS = {
    "starts_at": "start",
    "ends_at": "end",
    "registration_opens_at": "registration opening",
    "registration_closes_at": "registration closing",
    "exhibitor_setup_at": "exhibitors' set-up",
    "exhibitor_arrive_by": "exhibitors' arrival",
}


def form_key(api_key: str) -> str:
    """ "venue.name" → "venue_name"; "slots[0].ends_at" → "slot_1_ends_at"."""
    match = re.match(r"slots\[(\d+)\]\.(\w+)", api_key)
    if match:
        return f"slot_{int(match.group(1)) + 1}_{match.group(2)}"
    if api_key == "venue.access_notes":  # the form's field has no "venue_" prefix
        return "access_notes"
    return api_key.replace(".", "_")


def form_errors(exc: Invalid) -> dict[str, str]:
    return {form_key(k): v for k, v in exc.fields.items()} or {"title": exc.detail}


def _time(
    form: FormMultiDict, name: str, label: str, tz: str, errors: dict[str, str]
) -> datetime | None:
    raw = str(form.get(name, "")).strip()
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=ZoneInfo(tz))
    except ValueError:
        errors[name] = f"Enter a real date and time for the {label}"
        return None


def _slots(form: FormMultiDict, tz: str, errors: dict[str, str]) -> list[dict[str, Any]]:
    slots = []
    for n in range(1, SLOT_ROWS + 1):
        start = _time(form, f"slot_{n}_starts_at", f"slot {n} start", tz, errors)
        end = _time(form, f"slot_{n}_ends_at", f"slot {n} end", tz, errors)
        raw_capacity = str(form.get(f"slot_{n}_capacity", "")).strip()
        if not (start or end or raw_capacity):
            continue
        capacity = _whole_number(raw_capacity, f"slot_{n}_capacity", f"slot {n} capacity", errors)
        if start is None or end is None:
            errors.setdefault(f"slot_{n}_starts_at", f"Enter a start and end time for slot {n}")
            continue
        raw_id = str(form.get(f"slot_{n}_id", "")).strip()
        slots.append(
            {
                "starts_at": start,
                "ends_at": end,
                "capacity": capacity or 0,
                "id": int(raw_id) if ID_TEXT.fullmatch(raw_id) else None,
            }
        )
    return slots


def _whole_number(raw: str, name: str, label: str, errors: dict[str, str]) -> int | None:
    if not ID_TEXT.fullmatch(raw) or not 1 <= int(raw) <= 100_000:
        errors[name] = f"Enter the {label} as a whole number from 1 to 100,000"
        return None
    return int(raw)


def _door_opens(raw: str, errors: dict[str, str]) -> int | None:
    """Minutes before the start; empty is the default (2 hours)."""
    raw = raw.strip()
    if not raw:
        return None
    if not ID_TEXT.fullmatch(raw) or int(raw) > 1440:
        errors["door_opens_minutes"] = (
            "Enter how many minutes before the start the doors open, from 0 to 1,440"
        )
        return None
    return int(raw)


def parse_event_form(form: FormMultiDict, tz: str) -> dict[str, Any]:
    """Fields for create_event/update_event; Invalid names every bad field."""
    errors: dict[str, str] = {}
    fields: dict[str, Any] = {name: str(form.get(name, "")).strip() for name in TEXT_FIELDS}
    fields["timezone"] = tz
    for name, label in TIME_FIELDS.items():
        fields[name] = _time(form, name, label, tz, errors)
    for name in ("starts_at", "ends_at"):
        if fields[name] is None and name not in errors:
            errors[name] = f"Enter the {TIME_FIELDS[name]} date and time"
    fields["capacity"] = _whole_number(
        str(form.get("capacity", "")).strip(), "capacity", "capacity", errors
    )
    fields["door_opens_minutes"] = _door_opens(str(form.get("door_opens_minutes", "")), errors)
    fields["slots"] = _slots(form, tz, errors)
    fields["status"] = str(form.get("status", "draft"))
    fields["translations"] = {
        code: {name: str(form.get(f"translations.{code}.{name}", "")) for name in OWN_WORDS}
        for code in i18n.LANGUAGES
        if code != i18n.DEFAULT
    }
    if not fields["title"]:
        errors["title"] = "Enter a title"
    if not fields["venue_name"]:
        errors["venue_name"] = "Enter the name of the venue"
    if errors:
        raise Invalid("Some fields are not valid", fields=errors)
    return fields


def form_values(
    event: dict[str, Any] | None, slots: list[dict[str, Any]], tz: str
) -> dict[str, Any]:
    """The form's initial values from a stored event."""
    if event is None:
        return {"status": "draft"}
    zone = ZoneInfo(tz)
    values = {name: event.get(name) or "" for name in TEXT_FIELDS}
    for code, words in i18n.own_words(event).items():
        for name in OWN_WORDS:
            values[f"translations.{code}.{name}"] = (words or {}).get(name, "")
    values["capacity"] = str(event["capacity"])
    values["door_opens_minutes"] = str(event["door_opens_minutes"])
    for name in TIME_FIELDS:
        moment = event.get(name)
        values[name] = moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if moment else ""
    for n, slot in enumerate(slots, start=1):
        values[f"slot_{n}_id"] = str(slot["id"])
        values[f"slot_{n}_starts_at"] = (
            slot["starts_at"].astimezone(zone).strftime("%Y-%m-%dT%H:%M")
        )
        values[f"slot_{n}_ends_at"] = slot["ends_at"].astimezone(zone).strftime("%Y-%m-%dT%H:%M")
        values[f"slot_{n}_capacity"] = str(slot["capacity"])
    return values


def values_from_form(form: FormMultiDict) -> dict[str, Any]:
    return {key: str(value) for key, value in form.items()}
