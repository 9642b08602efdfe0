"""Stands on the floor plan and their allocation to approved exhibitors.

A stand has a code unique within its event (a unique index) and a position
and size in whole metres. `stand_allocation` has a unique stand and a unique
exhibitor, so when two organisers give one stand to two exhibitors at once
exactly one insert succeeds; the other is told plainly that the stand has
just been taken.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Collection
from typing import Any

from asyncpg.exceptions import UniqueViolationError

from exhibitors import emails
from exhibitors.tables import Exhibitor, Stand, StandAllocation
from exhibitors.validation import whole_number
from fairground.audit import record_audit
from fairground.db import write_transaction
from fairground.errors import Conflict, Invalid, NotFound

Row = dict[str, Any]
UNIQUE_ERRORS = (UniqueViolationError, sqlite3.IntegrityError)
CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9\-]{0,11}\Z")
SIZE_RE = re.compile(r"^\s*(\d{1,2})\s*[x×X*]\s*(\d{1,2})\s*m?\s*\Z")
PLAN_MAX = 200  # metres: the plan's width and height
SCALE = 20  # SVG units per metre


def parse_stand(raw: dict[str, Any]) -> Row:
    """Code like A12, size like 3x2 (metres, width by depth), position x and y in metres."""
    errors: dict[str, str] = {}
    code = str(raw.get("code") or "").strip().upper()
    if not CODE_RE.match(code):
        errors["code"] = "Enter a stand code of up to 12 letters, numbers or dashes, like A12"
    size = SIZE_RE.match(str(raw.get("size") or ""))
    width, depth = (int(size.group(1)), int(size.group(2))) if size else (0, 0)
    if not size or not (1 <= width <= 20 and 1 <= depth <= 20):
        errors["size"] = "Enter the size in metres as width x depth, like 3x2"
    x = whole_number(raw.get("x", ""), "x", (0, PLAN_MAX), errors)
    y = whole_number(raw.get("y", ""), "y", (0, PLAN_MAX), errors)
    if errors:
        raise Invalid("Some stand details need correcting", fields=errors)
    power = raw.get("power") in (True, "yes", "on", "true", "1")
    return {"code": code, "width": width, "depth": depth, "x": x, "y": y, "power": power}


def check_stand(raw: Row) -> Row:
    """A stand as the API sends it: code like A12 (any case), width and depth 1-20
    whole metres, x and y 0-200 whole metres, power yes or no."""
    errors: dict[str, str] = {}
    code = str(raw.get("code") or "").strip().upper()
    if not CODE_RE.match(code):
        errors["code"] = "Enter a stand code of up to 12 letters, numbers or dashes, like A12"
    bounds = {"x": (0, PLAN_MAX), "y": (0, PLAN_MAX), "width": (1, 20), "depth": (1, 20)}
    for name, (low, high) in bounds.items():
        value = raw.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors[name] = f"Enter a whole number of metres from {low} to {high}"
    if errors:
        raise Invalid("Some stand details need correcting", fields=errors)
    fields = {name: raw[name] for name in bounds}
    return {"code": code, **fields, "power": raw.get("power") is True}


def _code_taken(code: str) -> Conflict:
    return Conflict(
        f"This fair already has a stand {code}",
        code="stand_code_taken",
        fields={"code": f"This fair already has a stand {code}: choose another code"},
    )


async def create_stand(event_id: int, fields: Row) -> int:
    try:
        rows = await Stand.insert(Stand(event=event_id, **fields)).returning(Stand.id)
    except UNIQUE_ERRORS:
        raise _code_taken(fields["code"]) from None
    return int(rows[0]["id"])


async def get_stand(event_id: int, stand_id: int) -> Row:
    row = await Stand.select().where((Stand.id == stand_id) & (Stand.event == event_id)).first()
    if row is None:
        raise NotFound("There is no such stand at this fair", fields={"stand": "Unknown stand"})
    return row


async def find_stand(event_id: int, code: str) -> Row:
    """The stand a path names by its code (any case): not found if this fair has none."""
    code = code.strip().upper()
    row = None
    if CODE_RE.match(code):
        row = await Stand.select().where((Stand.code == code) & (Stand.event == event_id)).first()
    if row is None:
        raise NotFound(
            "There is no such stand at this fair",
            code="stand_not_found",
            fields={"stand": "Unknown stand"},
        )
    return row


async def stand_by_code(event_id: int, code: str) -> Row:
    code = code.strip().upper()
    # Anything that is not a stand code names no stand: no query, and no echo of it.
    known = CODE_RE.match(code) is not None
    row = None
    if known:
        row = await Stand.select().where((Stand.code == code) & (Stand.event == event_id)).first()
    if row is None:
        message = f"There is no stand {code if known else 'with this code'} at this fair"
        raise Invalid(message, code="unknown_stand", fields={"stand": message})
    return row


async def update_stand(event_id: int, stand_id: int, fields: Row) -> None:
    await get_stand(event_id, stand_id)
    try:
        await Stand.update(dict[Any, Any](fields)).where(Stand.id == stand_id)
    except UNIQUE_ERRORS:
        raise _code_taken(fields["code"]) from None


async def delete_stand(event_id: int, stand_id: int) -> None:
    """Only an empty stand can go: release it first."""
    stand = await get_stand(event_id, stand_id)
    if await StandAllocation.exists().where(StandAllocation.stand == stand_id):
        raise Conflict(
            f"Stand {stand['code']} is allocated: release it before deleting it",
            code="stand_allocated",
        )
    await Stand.delete().where(Stand.id == stand_id)


async def change_stand(event_id: int, code: str, changes: Row) -> str:
    """Change some of a stand's details, keeping the rest (an allocated stand too:
    its exhibitor stays on it); returns the stand's code."""
    stand = await find_stand(event_id, code)
    current = {k: stand[k] for k in ("code", "x", "y", "width", "depth", "power")}
    fields = check_stand({**current, **changes})
    await update_stand(event_id, stand["id"], fields)
    return str(fields["code"])


async def delete_stand_by_code(event_id: int, code: str) -> None:
    await delete_stand(event_id, (await find_stand(event_id, code))["id"])


async def _occupant(stand_id: int) -> int | None:
    row = (
        await StandAllocation.select(StandAllocation.exhibitor)
        .where(StandAllocation.stand == stand_id)
        .first()
    )
    return int(row["exhibitor"]) if row else None


def _taken(code: str) -> Conflict:
    message = f"Stand {code} has just been given to another exhibitor. Choose another stand."
    return Conflict(message, code="stand_taken", fields={"stand": message})


async def _approved_exhibitor(event_id: int, exhibitor_id: int) -> None:
    row = (
        await Exhibitor.select(Exhibitor.status)
        .where((Exhibitor.id == exhibitor_id) & (Exhibitor.event == event_id))
        .first()
    )
    if row is None:
        raise NotFound("There is no such exhibitor at this fair", code="exhibitor_not_found")
    if row["status"] != "approved":
        message = "Approve the exhibitor before giving it a stand"
        raise Conflict(message, code="not_approved", fields={"exhibitor": message})


async def allocate_stand(
    event_id: int, exhibitor_id: int, stand_id: int, actor_id: int, notify: bool = True
) -> str:
    """Give an approved exhibitor this stand (moving it from any other); returns the code."""
    stand = await get_stand(event_id, stand_id)
    await _approved_exhibitor(event_id, exhibitor_id)
    occupant = await _occupant(stand_id)
    if occupant == exhibitor_id:
        return str(stand["code"])
    if occupant is not None:
        raise _taken(stand["code"])
    try:
        async with write_transaction():
            await StandAllocation.delete().where(StandAllocation.exhibitor == exhibitor_id)
            await StandAllocation.insert(
                StandAllocation(stand=stand_id, exhibitor=exhibitor_id, allocated_by=actor_id)
            )
            await record_audit(
                actor_id, "stand_allocated", ("exhibitor", exhibitor_id), stand=stand["code"]
            )
            if notify:
                await emails.send_stand_email(exhibitor_id)
    except UNIQUE_ERRORS:
        raise _taken(stand["code"]) from None
    return str(stand["code"])


async def release_stand(event_id: int, stand_id: int, actor_id: int) -> None:
    stand = await get_stand(event_id, stand_id)
    async with write_transaction():
        await StandAllocation.delete().where(StandAllocation.stand == stand_id)
        await record_audit(actor_id, "stand_released", ("stand", stand_id), stand=stand["code"])


async def release_exhibitor(exhibitor_id: int) -> None:
    await StandAllocation.delete().where(StandAllocation.exhibitor == exhibitor_id)


async def stands_of_event(event_id: int) -> list[Row]:
    """Every stand with the exhibitor on it (if any), in code order."""
    stands = await Stand.select().where(Stand.event == event_id).order_by(Stand.code)
    allocations = await StandAllocation.select(
        StandAllocation.stand,
        StandAllocation.exhibitor,
        StandAllocation.exhibitor._.organisation._.name.as_alias("organisation_name"),
    ).where(StandAllocation.stand.is_in([s["id"] for s in stands] or [0]))
    by_stand = {a["stand"]: a for a in allocations}
    for stand in stands:
        taken = by_stand.get(stand["id"])
        stand["exhibitor"] = taken["exhibitor"] if taken else None
        stand["exhibitor_name"] = taken["organisation_name"] if taken else ""
    return stands


def floor_plan(
    stands: list[Row],
    mine: int | None = None,
    selected: int | None = None,
    highlight: Collection[int] = (),
) -> Row:
    """What the SVG partial draws: its size and one box per stand, in SVG units, with a
    metre of floor around the stands. `highlight`: stand ids drawn as "plan" (a
    jobseeker's stands to visit, exhibitors.plan)."""
    right = max([s["x"] + s["width"] for s in stands] or [10]) + 2
    bottom = max([s["y"] + s["depth"] for s in stands] or [6]) + 2
    boxes = []
    for s in stands:
        state = "free" if s["exhibitor"] is None else "taken"
        if mine is not None and s["exhibitor"] == mine:
            state = "mine"
        elif s["id"] in highlight:
            state = "plan"
        boxes.append(
            {
                **s,
                "px": (s["x"] + 1) * SCALE,
                "py": (s["y"] + 1) * SCALE,
                "pw": s["width"] * SCALE,
                "ph": s["depth"] * SCALE,
                "state": state,
                "selected": s["id"] == selected,
            }
        )
    width, height = right * SCALE, bottom * SCALE
    return {"view_box": f"0 0 {width} {height}", "width": width, "height": height, "boxes": boxes}
