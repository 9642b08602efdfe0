"""A plan for the day: each jobseeker's employers, stands, vacancies and interviews.

The plan follows the registration's interests (its job families): the approved
exhibitors with an open vacancy in one of them, their stands highlighted on the
fair's floor plan and listed in order, those open vacancies with their links,
and the attendee's interview bookings. With no interests chosen it shows every
exhibitor, and the page offers a link to choose some. Interests are read when
the plan is built, so changing them (the change page or the API) changes the
plan, and an email shows the plan as it is when the email is built.

registrations sits below exhibitors, so it cannot import this module: the plan
reaches the ticket page and the emails through registrations.extras.
ATTENDEE_EXTRAS, which this module fills when it is imported.

Interview bookings come from exhibitors.interviews.services, when that app is
installed (`_bookings`): without it the plan has none.
"""

from __future__ import annotations

import importlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from exhibitors import services as exhibitor_services
from exhibitors.stands import floor_plan, stands_of_event
from fairground.seed import job_families
from registrations import extras

Row = dict[str, Any]
INTERVIEWS = "exhibitors.interviews.services"
NOT_SHOWN = {"cancelled"}  # bookings the plan leaves out


@dataclass(frozen=True, slots=True)
class Plan:
    """What templates/registrations/_plan.html and the emails' plan part show.

    exhibitors: in stand order (those without a stand last), each the directory's
      row (name, stand code or None, profile, logo_url) with `vacancies`, only
      the open ones in the attendee's job families (all open ones when `everyone`).
    stands: the highlighted stands in order, {"code", "exhibitor_name"}.
    vacancies: every vacancy shown, flat: title, url, job_family_name,
      closes_on, exhibitor_name, stand.
    bookings: interview bookings, by start (id, starts_at, ends_at, status,
      exhibitor_name, stand, vacancy_title, where).
    floor: exhibitors.stands.floor_plan() with the plan's stands highlighted,
      or None when the fair has no stands yet.
    interests: the job families' names; everyone: no interests were chosen.
    """

    exhibitors: list[Row]
    stands: list[Row]
    vacancies: list[Row]
    bookings: list[Row] = field(default_factory=list)
    floor: Row | None = None
    interests: list[str] = field(default_factory=list)
    everyone: bool = False


def stand_order(code: str | None) -> tuple[Any, ...]:
    """A2 before A10; no stand last."""
    if not code:
        return (1,)
    return (0, *[(0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", code) if p])


def interests_of(registration: Row) -> list[str]:
    """The registration's job-family codes (the column is JSON: a raw row has text)."""
    value = registration.get("interests") or []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = []
    return [str(v) for v in value] if isinstance(value, list) else []


def _today(event: Row) -> date:
    try:
        zone = ZoneInfo(str(event.get("timezone") or "Europe/London"))
    except (KeyError, ValueError):
        zone = ZoneInfo("Europe/London")
    return datetime.now(zone).date()


def _is_open(vacancy: Row, today: date) -> bool:
    closes_on = vacancy.get("closes_on")
    return closes_on is None or closes_on >= today


async def _bookings(registration_id: int) -> list[Row]:
    """The attendee's interview bookings, from the interviews app when it is there."""
    try:
        interviews = importlib.import_module(INTERVIEWS)
    except ModuleNotFoundError as exc:
        if exc.name and INTERVIEWS.startswith(exc.name):
            return []
        raise  # the interviews app is there but something it imports is not
    return list(await interviews.bookings_for_registration(registration_id))


def assemble(
    everyone_there: list[Row],
    stands: list[Row],
    interests: list[str],
    bookings: list[Row],
    today: date,
    family_names: dict[str, str] | None = None,
) -> Plan:
    """The plan from what was read: the directory (approved exhibitors with their
    vacancies), the fair's stands, the interests and the bookings."""
    names = family_names or {}
    chosen = set(interests)
    exhibitors: list[Row] = []
    for exhibitor in everyone_there:
        open_ones = [v for v in exhibitor["vacancies"] if _is_open(v, today)]
        mine = [v for v in open_ones if v["job_family"] in chosen] if chosen else open_ones
        if chosen and not mine:
            continue
        exhibitors.append({**exhibitor, "vacancies": mine})
    exhibitors.sort(key=lambda e: (stand_order(e["stand"]), e["name"]))
    shown_bookings = sorted(
        (b for b in bookings if b.get("status") not in NOT_SHOWN), key=lambda b: b["starts_at"]
    )
    highlighted = {e["stand"] for e in exhibitors if e["stand"]}
    highlighted |= {b["stand"] for b in shown_bookings if b.get("stand")}
    by_code = {s["code"]: s for s in stands}
    plan_stands = [
        {"code": code, "exhibitor_name": by_code[code]["exhibitor_name"] if code in by_code else ""}
        for code in sorted(highlighted, key=stand_order)
    ]
    vacancies = [
        {**v, "exhibitor_name": e["name"], "stand": e["stand"]}
        for e in exhibitors
        for v in e["vacancies"]
    ]
    floor = None
    if stands:
        floor = floor_plan(stands, highlight={s["id"] for s in stands if s["code"] in highlighted})
    return Plan(
        exhibitors=exhibitors,
        stands=plan_stands,
        vacancies=vacancies,
        bookings=shown_bookings,
        floor=floor,
        interests=[names.get(code, code) for code in interests if code in names],
        everyone=not chosen,
    )


async def build_plan(registration: Row, event: Row, bookings: list[Row] | None = None) -> Plan:
    """The plan for one registration at its event; `bookings` None reads them."""
    found = await _bookings(int(registration["id"])) if bookings is None else bookings
    families = {f["code"]: f["name"] for f in await job_families()}
    known = [code for code in interests_of(registration) if code in families]
    return assemble(
        await exhibitor_services.directory(int(event["id"])),
        await stands_of_event(int(event["id"])),
        known,
        found,
        _today(event),
        families,
    )


async def plan_context(registration: Row, event: Row) -> Row:
    """registrations.extras.ATTENDEE_EXTRAS: the plan for pages and emails."""
    return {"plan": await build_plan(registration, event)}


if plan_context not in extras.ATTENDEE_EXTRAS:
    extras.ATTENDEE_EXTRAS.append(plan_context)
