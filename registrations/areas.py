"""Councils grouped by area, for the council picker (the interests step and the
change page): 33 councils in one list do not fit a phone.

An area is a county with its districts (and the unitary city inside it), the
metropolitan boroughs together, or a unitary council on its own. The attendee's
own area comes first, their home council and then its county at its top.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

METROPOLITAN = "metropolitan"
# The area's name, by the code of the council that names it (a county or a unitary).
AREA_NAMES = {
    METROPOLITAN: "Birmingham, Coventry, Solihull and the Black Country",
    "E10000028": "Staffordshire",
    "E10000031": "Warwickshire",
    "E10000034": "Worcestershire",
    "E06000051": "Shropshire",
    "E06000019": "Herefordshire",
}
# Unitary councils inside a county's area (Stoke-on-Trent, Telford and Wrekin).
UNITARY_AREA = {"E06000021": "E10000028", "E06000020": "E06000051"}
OTHER = "other"


@dataclass
class Area:
    key: str
    name: str
    councils: list[Mapping[str, Any]] = field(default_factory=list)
    open: bool = False


def area_of(council: Mapping[str, Any]) -> str:
    code = str(council.get("code") or "")
    if council.get("kind") == METROPOLITAN:
        return METROPOLITAN
    parent = council.get("parent.code") or UNITARY_AREA.get(code)
    if parent:
        return str(parent)
    return code if code in AREA_NAMES else OTHER


def _order(area: Area, home: str) -> None:
    """The home council first, then the area's county, then by name."""
    area.councils.sort(key=lambda c: (c["code"] != home, c["code"] != area.key, str(c["name"])))


def group_councils(
    councils: Iterable[Mapping[str, Any]], home: str = "", chosen: Iterable[str] = ()
) -> list[Area]:
    """The areas in the order shown: the home council's first, then by name, councils
    of no known area last. The first area is open, and every one holding a chosen
    council, so that what was chosen (and the first box, which an error links to)
    is in sight without JavaScript."""
    areas: dict[str, Area] = {}
    for council in councils:
        key = area_of(council)
        name = AREA_NAMES.get(key, "Other councils")
        areas.setdefault(key, Area(key, name)).councils.append(council)
    homes = (a.key for a in areas.values() if any(c["code"] == home for c in a.councils))
    home_area = next(homes, "")
    ordered = sorted(areas.values(), key=lambda a: (a.key != home_area, a.key == OTHER, a.name))
    picked = set(chosen)
    for index, area in enumerate(ordered):
        _order(area, home)
        area.open = index == 0 or any(c["code"] in picked for c in area.councils)
    return ordered
