"""Event rules: creating, changing, publishing, closing and cancelling fairs.

Registrations plug into two hooks instead of being imported here (the
dependency points registrations → events): `CHANGE_HOOKS` are awaited inside
the transaction of a change of time, venue or status, and `COUNT_PROVIDER`
fills the registration counts of an event.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from events.tables import DoorAssignment, Event, Slot
from fairground import i18n, timefmt
from fairground.db import write_transaction
from fairground.errors import Conflict, Invalid, NotFound
from fairground.i18n import N_
from fairground.tables import Organisation
from fairground.templating import ngettext
from fairground.text import check_block, check_line

STATUSES = ("draft", "published", "closed", "cancelled")
TRANSITIONS = {
    "draft": {"published", "cancelled"},
    "published": {"closed", "cancelled", "draft"},
    "closed": {"published", "cancelled"},
    "cancelled": set(),
}
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z")
POSTCODE_RE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})\Z")
RESCHEDULING_FIELDS = (
    "starts_at",
    "ends_at",
    "timezone",
    "venue_name",
    "venue_address",
    "venue_postcode",
)

DOOR_OPENS_DEFAULT = 120  # minutes before the start (events.tables.Event)
DOOR_OPENS_MAX = 24 * 60

ChangeHook = Callable[[int, str], Awaitable[None]]
CHANGE_HOOKS: list[ChangeHook] = []


@dataclass(frozen=True, slots=True)
class Counts:
    confirmed: int
    waitlisted: int = 0
    cancelled: int = 0
    checked_in: int = 0


async def _default_counts(event_id: int) -> Counts:
    row = await Event.select(Event.confirmed_count).where(Event.id == event_id).first()
    return Counts(confirmed=row["confirmed_count"] if row else 0)


COUNT_PROVIDER: list[Callable[[int], Awaitable[Counts]]] = [_default_counts]
# More for the public event page from apps above this one (the exhibitor
# directory): each gets (event id, the job_family filter) and returns context.
PAGE_EXTRAS: list[Callable[[int, str | None], Awaitable[dict[str, Any]]]] = []


def normalise_postcode(raw: str, field: str) -> str:
    """Upper case with one space ("b1 2nd" → "B1 2ND"); empty stays empty."""
    compact = re.sub(r"\s+", "", raw or "").upper()
    if not compact:
        return ""
    match = POSTCODE_RE.match(compact)
    if not match:
        raise Invalid(
            "Enter a real postcode, like B1 2ND",
            fields={field: "Enter a real postcode, like B1 2ND"},
        )
    return f"{match.group(1)} {match.group(2)}"


def slugify(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:70].strip("-") or "event"


def _check_times(fields: dict[str, Any], errors: dict[str, str]) -> None:
    starts, ends = fields.get("starts_at"), fields.get("ends_at")
    if starts and ends and ends <= starts:
        errors["ends_at"] = "End time must be after the start time"
    opens, closes = fields.get("registration_opens_at"), fields.get("registration_closes_at")
    if opens and closes and closes <= opens:
        errors["registration_closes_at"] = "Registration must close after it opens"
    if closes and ends and closes > ends:
        errors["registration_closes_at"] = "Registration must close before the event ends"
    _check_exhibitor_times(fields, errors)
    for index, slot in enumerate(fields.get("slots") or []):
        if slot["ends_at"] <= slot["starts_at"]:
            errors[f"slots[{index}].ends_at"] = f"Slot {index + 1} must end after it starts"
        elif starts and ends and (slot["starts_at"] < starts or slot["ends_at"] > ends):
            errors[f"slots[{index}].starts_at"] = f"Slot {index + 1} must be within the event"


def _check_exhibitor_times(fields: dict[str, Any], errors: dict[str, str]) -> None:
    """Exhibitors set up, then are at their stand, before the fair ends."""
    setup, arrive, ends = (
        fields.get("exhibitor_setup_at"),
        fields.get("exhibitor_arrive_by"),
        fields.get("ends_at"),
    )
    if setup and arrive and arrive < setup:
        errors["exhibitor_arrive_by"] = "Exhibitors must be able to set up before they must arrive"
    for name, moment, label in (
        ("exhibitor_setup_at", setup, "Set-up"),
        ("exhibitor_arrive_by", arrive, "The exhibitors' arrival time"),
    ):
        if moment and ends and moment >= ends:
            errors.setdefault(name, f"{label} must be before the event ends")


# The event's texts: (column, field as the API names it, label, limit, one line or a block).
TEXTS = (
    ("title", "title", "The title", 200, False),
    ("venue_name", "venue.name", "The venue's name", 200, False),
    ("venue_address", "venue.address", "The venue's address", 5000, True),
    ("access_notes", "venue.access_notes", "The access notes", 5000, True),
    ("description", "description", "The description", 5000, True),
)


# The organiser's own words in other languages: (field, label, limit, block).
OWN_WORDS = (
    ("title", "The title", 200, False),
    ("description", "The description", 5000, True),
    ("access_notes", "The access notes", 5000, True),
)


def check_translations(value: Any, errors: dict[str, str]) -> dict[str, dict[str, str]]:
    """{language: {title, description, access_notes}} for the languages of
    fairground.i18n other than English; empty texts and languages are dropped."""
    if isinstance(value, str):
        value = i18n.own_words({"translations": value})
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors["translations"] = "Give translations as an object of languages"
        return {}
    words: dict[str, dict[str, str]] = {}
    for code, texts in value.items():
        if code not in i18n.LANGUAGES or code == i18n.DEFAULT:
            errors["translations"] = "Translations are for " + ", ".join(
                c for c in i18n.LANGUAGES if c != i18n.DEFAULT
            )
            continue
        if not isinstance(texts, dict) or not set(texts) <= {w[0] for w in OWN_WORDS}:
            errors[f"translations.{code}"] = "Give a title, description or access notes"
            continue
        own: dict[str, str] = {}
        for name, label, limit, block in OWN_WORDS:
            check = check_block if block else check_line
            field = f"translations.{code}.{name}"
            text = check(texts.get(name) or "", field, label, limit, errors)
            if text:
                own[name] = text
        if own:
            words[code] = own
    return words


def _check_texts(fields: dict[str, Any], errors: dict[str, str]) -> None:
    """Titles and names are lines, the rest blocks, as fairground.text defines them."""
    for column, field, label, limit, block in TEXTS:
        if column in fields:
            check = check_block if block else check_line
            fields[column] = check(fields[column], field, label, limit, errors)
    if not fields.get("title") and "title" not in errors:
        errors["title"] = "Enter a title"
    if not fields.get("venue_name") and "venue.name" not in errors:
        errors["venue.name"] = "Enter the name of the venue"


def check_event_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Every rule on an event's fields at once; raise Invalid naming each bad field."""
    errors: dict[str, str] = {}
    _check_texts(fields, errors)
    if "translations" in fields:
        fields["translations"] = check_translations(fields["translations"], errors)
    slug = fields.get("slug")
    if slug and (not isinstance(slug, str) or len(slug) > 80 or not SLUG_RE.match(slug)):
        errors["slug"] = "Slug can only use lower case letters, numbers and hyphens"
    try:
        ZoneInfo(fields.get("timezone") or "Europe/London")
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = "Enter a time zone name, like Europe/London"
    try:
        fields["venue_postcode"] = normalise_postcode(
            fields.get("venue_postcode", ""), "venue.postcode"
        )
    except Invalid as exc:
        errors.update(exc.fields)
    _check_times(fields, errors)
    _check_door_opens(fields, errors)
    if errors:
        raise Invalid("Some fields are not valid", fields=errors)
    return fields


def _check_door_opens(fields: dict[str, Any], errors: dict[str, str]) -> None:
    """Doors open 0 to 24 hours (in whole minutes) before the start."""
    value = fields.get("door_opens_minutes", DOOR_OPENS_DEFAULT)
    if value is None:
        fields["door_opens_minutes"] = DOOR_OPENS_DEFAULT
    elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= DOOR_OPENS_MAX:
        errors["door_opens_minutes"] = (
            f"Enter how many minutes before the start the doors open, from 0 to {DOOR_OPENS_MAX:,}"
        )


def door_opening(event: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """For the door pages: whether the door is open now, and the fair's day and
    doors-open time in its own time zone ("Thursday 22 January 2027", "8am")."""
    now = now or datetime.now(UTC)
    opens_at, closes_at = door_window(event)
    tz = event["timezone"]
    return {
        "open": opens_at <= now <= closes_at,
        "ended": now > closes_at,
        "day": timefmt.day(timefmt.local(event["starts_at"], tz)),
        "time": timefmt.clock(timefmt.local(opens_at, tz)),
    }


def door_window(event: dict[str, Any]) -> tuple[datetime, datetime]:
    """When the door admits people: from door_opens_minutes before the start (2 hours
    unless the organiser changed it) to the end."""
    minutes = event.get("door_opens_minutes")
    margin = timedelta(minutes=DOOR_OPENS_DEFAULT if minutes is None else int(minutes))
    return event["starts_at"] - margin, event["ends_at"]


async def _unique_slug(base: str) -> str:
    slug, n = base, 1
    while await Event.exists().where(Event.slug == slug):
        n += 1
        slug = f"{base}-{n}"
    return slug


_EVENT_COLUMNS = (
    "title",
    "translations",
    "description",
    "venue_name",
    "venue_address",
    "venue_postcode",
    "access_notes",
    "starts_at",
    "ends_at",
    "timezone",
    "capacity",
    "registration_opens_at",
    "registration_closes_at",
    "door_opens_minutes",
    "exhibitor_setup_at",
    "exhibitor_arrive_by",
)


async def create_event(organisation_id: int, fields: dict[str, Any]) -> str:
    """Create an event (draft or published) with its slots; return its slug."""
    fields = check_event_fields(fields)
    status = fields.get("status") or "draft"
    if status not in ("draft", "published"):
        raise Invalid(
            "A new event is a draft or published", fields={"status": "Choose draft or published"}
        )
    async with write_transaction():
        if fields.get("slug"):
            if await Event.exists().where(Event.slug == fields["slug"]):
                raise Conflict(
                    "Another event already uses this slug",
                    code="slug_taken",
                    fields={"slug": "Another event already uses this slug"},
                )
            slug = fields["slug"]
        else:
            slug = await _unique_slug(slugify(fields["title"]))
        values = {name: fields[name] for name in _EVENT_COLUMNS if name in fields}
        rows = await Event.insert(
            Event(slug=slug, organisation=organisation_id, status=status, **values)
        ).returning(Event.id)
        await _save_slots(rows[0]["id"], fields.get("slots") or [])
    return slug


def _slot_moved(before: dict[str, Any], slot: dict[str, Any]) -> bool:
    """Whether people booked into a slot now have a different time to come."""
    if slot["capacity"] < before["confirmed_count"]:
        message = ngettext(
            "%(num)d place in this slot is already taken",
            "%(num)d places in this slot are already taken",
            before["confirmed_count"],
        )
        raise Invalid(message, fields={"slots.capacity": message})
    changed = (slot["starts_at"], slot["ends_at"]) != (before["starts_at"], before["ends_at"])
    return changed and before["confirmed_count"] > 0


async def _save_slots(event_id: int, slots: list[dict[str, Any]]) -> bool:
    """Update slots by id, add new ones, remove dropped ones that nobody holds.
    Returns whether a slot people hold places in has moved."""
    existing = {s["id"]: s for s in await Slot.select().where(Slot.event == event_id)}
    keep: set[int] = set()
    moved = False
    for slot in slots:
        values: dict[Any, Any] = {
            Slot.starts_at: slot["starts_at"],
            Slot.ends_at: slot["ends_at"],
            Slot.capacity: slot["capacity"],
        }
        if slot.get("id") in existing:
            keep.add(slot["id"])
            moved = _slot_moved(existing[slot["id"]], slot) or moved
            await Slot.update(values).where(Slot.id == slot["id"])
        else:
            await Slot.insert(
                Slot(
                    event=event_id,
                    starts_at=slot["starts_at"],
                    ends_at=slot["ends_at"],
                    capacity=slot["capacity"],
                )
            )
    for slot_id, row in existing.items():
        if slot_id not in keep:
            if row["confirmed_count"] > 0:
                raise Conflict(
                    "A slot that people are booked into cannot be removed", code="slot_in_use"
                )
            await Slot.delete().where(Slot.id == slot_id)
    return moved


async def get_event(slug: str, localise: bool = True) -> dict[str, Any]:
    """The event; on a jobseeker's page with the organiser's words in their language
    (fairground.i18n.localise; staff pages and the API are in English)."""
    row = await Event.select().where(Event.slug == slug).output(load_json=True).first()
    if row is None:
        raise NotFound(N_("There is no event at this address"), code="event_not_found")
    return i18n.localise(row) if localise else row


async def organiser_name(organisation_id: int) -> str:
    """The organisation that runs an event: named on its page as the data controller."""
    row = await Organisation.select(Organisation.name).where(Organisation.id == organisation_id)
    return str(row[0]["name"]) if row else ""


async def get_slots(event_id: int) -> list[dict[str, Any]]:
    return await Slot.select().where(Slot.event == event_id).order_by(Slot.starts_at)


def _is_rescheduled(before: dict[str, Any], after: dict[str, Any]) -> bool:
    return any(after.get(name, before[name]) != before[name] for name in RESCHEDULING_FIELDS)


async def update_event(slug: str, changes: dict[str, Any]) -> bool:
    """Apply changes; a change of time or venue bumps the calendar sequence and
    runs the change hooks (calendar updates to confirmed attendees). Returns
    whether the event was rescheduled."""
    async with write_transaction():
        before = await get_event(slug, localise=False)
        merged = {**before, **changes}
        if "slots" not in changes:
            merged["slots"] = []
        check_event_fields(merged)
        if "status" in changes and changes["status"] != before["status"]:
            _check_transition(before["status"], changes["status"])
        if "capacity" in changes and changes["capacity"] < before["confirmed_count"]:
            raise Invalid(
                "Capacity cannot be less than the places already taken",
                fields={
                    "capacity": ngettext(
                        "%(num)d place is already taken",
                        "%(num)d places are already taken",
                        before["confirmed_count"],
                    )
                },
            )
        rescheduled = _is_rescheduled(before, merged)
        values: dict[Any, Any] = {getattr(Event, k): merged[k] for k in _EVENT_COLUMNS}
        values[Event.updated_at] = datetime.now(UTC)
        if "status" in changes:
            values[Event.status] = changes["status"]
        if rescheduled:
            values[Event.sequence] = before["sequence"] + 1
        await Event.update(values).where(Event.id == before["id"])
        if "slots" in changes and await _save_slots(before["id"], changes["slots"]):
            if not rescheduled:  # only slot times moved: still a change to every invite
                await Event.update({Event.sequence: before["sequence"] + 1}).where(
                    Event.id == before["id"]
                )
            rescheduled = True
        if rescheduled:
            await _run_hooks(before["id"], "rescheduled")
        if changes.get("status") == "cancelled" and before["status"] != "cancelled":
            await _run_hooks(before["id"], "cancelled")
    return rescheduled


def _check_transition(current: str, new: str) -> None:
    if new not in TRANSITIONS.get(current, set()):
        raise Conflict(
            f"A {current} event cannot become {new}",
            code="invalid_status_change",
            fields={"status": f"A {current} event cannot become {new}"},
        )


async def set_status(slug: str, status: str) -> None:
    """Publish, close, reopen or cancel; cancelling tells every attendee."""
    if status not in STATUSES:
        raise Invalid("Unknown status", fields={"status": "Choose a status"})
    await update_event(slug, {"status": status})


async def _run_hooks(event_id: int, kind: str) -> None:
    for hook in CHANGE_HOOKS:
        await hook(event_id, kind)


async def counts(event_id: int) -> Counts:
    return await COUNT_PROVIDER[-1](event_id)


async def upcoming_events() -> list[dict[str, Any]]:
    rows = (
        await Event.select()
        .where((Event.status == "published") & (Event.ends_at > datetime.now(UTC)))
        .order_by(Event.starts_at)
    )
    return [i18n.localise(row) for row in rows]


async def events_for_organisation(organisation_id: int | None) -> list[dict[str, Any]]:
    query = Event.select().order_by(Event.starts_at, ascending=False)
    if organisation_id is not None:
        query = query.where(Event.organisation == organisation_id)
    return await query


async def events_for_door(user_id: int) -> list[dict[str, Any]]:
    ids = [
        r["event"]
        for r in await DoorAssignment.select(DoorAssignment.event).where(
            DoorAssignment.user == user_id
        )
    ]
    if not ids:
        return []
    return await Event.select().where(Event.id.is_in(ids)).order_by(Event.starts_at)


async def assign_door_staff(event_id: int, user_id: int) -> None:
    if not await DoorAssignment.exists().where(
        (DoorAssignment.event == event_id) & (DoorAssignment.user == user_id)
    ):
        await DoorAssignment.insert(DoorAssignment(event=event_id, user=user_id))


def registration_open(event: dict[str, Any], now: datetime | None = None) -> bool:
    now = now or datetime.now(UTC)
    if event["status"] != "published" or event["ends_at"] <= now:
        return False
    opens, closes = event["registration_opens_at"], event["registration_closes_at"]
    return (opens is None or opens <= now) and (closes is None or now < closes)
