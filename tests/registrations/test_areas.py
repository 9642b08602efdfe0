"""Councils grouped by area for the council picker (registrations.areas)."""

from __future__ import annotations

from fairground.seed import councils
from registrations.areas import group_councils

STOKE, STAFFORDSHIRE, TAMWORTH = "E06000021", "E10000028", "E07000199"


async def test_every_seeded_council_is_in_one_area() -> None:
    areas = group_councils(await councils())
    codes = [c["code"] for area in areas for c in area.councils]
    assert len(codes) == len(set(codes)) == 33
    assert [a.name for a in areas] == [
        "Birmingham, Coventry, Solihull and the Black Country",
        "Herefordshire",
        "Shropshire",
        "Staffordshire",
        "Warwickshire",
        "Worcestershire",
    ]
    assert [a.open for a in areas] == [True, False, False, False, False, False]


async def test_home_first_then_its_county_and_chosen_areas_open() -> None:
    areas = group_councils(await councils(), home=TAMWORTH, chosen=["E06000019"])
    first = areas[0]
    assert first.name == "Staffordshire" and first.open
    assert [c["code"] for c in first.councils][:2] == [TAMWORTH, STAFFORDSHIRE]
    assert STOKE in [c["code"] for c in first.councils]
    assert {a.name for a in areas if a.open} == {"Staffordshire", "Herefordshire"}


def test_a_council_of_no_known_area_goes_last() -> None:
    rows = [
        {"code": "X1", "name": "Anywhere Council", "kind": "district", "parent.code": None},
        {"code": "E08000025", "name": "Birmingham City Council", "kind": "metropolitan"},
    ]
    areas = group_councils(rows, home="outside")
    assert [a.name for a in areas] == [
        "Birmingham, Coventry, Solihull and the Black Country",
        "Other councils",
    ]
