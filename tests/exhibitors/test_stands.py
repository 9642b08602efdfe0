"""Stands: definition, allocation (one exhibitor per stand, even at once), the plan."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from exhibitors import stands
from exhibitors.services import Decision, decide_exhibitor
from exhibitors.stands import allocate_stand, parse_stand, release_stand
from exhibitors.tables import Exhibitor, StandAllocation
from fairground.errors import Conflict, Invalid
from tests.exhibitors.helpers import apply, approve, make_stand, make_subscriber, outbox
from tests.factories import login, make_event, make_org, make_user, post_form


async def _fair() -> tuple[dict[str, Any], dict[str, Any], list[int]]:
    """An event, its organiser and two approved exhibitors without stands."""
    org = await make_org()
    organiser = await make_user("organiser", org=org)
    event = await make_event(org)
    ids = []
    for name in ("Coventry City Council", "Rugby Borough Council"):
        exhibitor_id = await apply(event, organisation=name, subscriber_ref="")
        await approve(event, exhibitor_id, organiser["id"])
        ids.append(exhibitor_id)
    return event, organiser, ids


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"code": "", "size": "3x2", "x": "0", "y": "0"}, "code"),
        ({"code": "A 1!", "size": "3x2", "x": "0", "y": "0"}, "code"),
        ({"code": "A1", "size": "big", "x": "0", "y": "0"}, "size"),
        ({"code": "A1", "size": "0x2", "x": "0", "y": "0"}, "size"),
        ({"code": "A1", "size": "3x2", "x": "-1", "y": "0"}, "x"),
        ({"code": "A1", "size": "3x2", "x": "0", "y": "9999"}, "y"),
    ],
)
def test_bad_stand_fields_are_named(raw: dict[str, str], field: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_stand(raw)
    assert field in caught.value.fields


def test_stand_fields_are_normalised() -> None:
    assert parse_stand({"code": " a12 ", "size": "4 × 3", "x": "10", "y": "2", "power": "yes"}) == {
        "code": "A12",
        "width": 4,
        "depth": 3,
        "x": 10,
        "y": 2,
        "power": True,
    }


async def test_a_stand_code_is_unique_within_its_event() -> None:
    event, other = await make_event(), await make_event()
    await make_stand(event["id"], "A1")
    await make_stand(other["id"], "A1")  # another fair may use the same code
    with pytest.raises(Conflict) as caught:
        await make_stand(event["id"], "A1")
    assert caught.value.fields == {"code": "This fair already has a stand A1: choose another code"}


async def test_allocating_moves_an_exhibitor_and_emails_the_contact() -> None:
    event, organiser, (coventry, _) = await _fair()
    a1, a2 = await make_stand(event["id"], "A1"), await make_stand(event["id"], "A2", x=4)
    assert await allocate_stand(event["id"], coventry, a1, organiser["id"]) == "A1"
    assert await allocate_stand(event["id"], coventry, a2, organiser["id"]) == "A2"
    rows = await StandAllocation.select(StandAllocation.stand, StandAllocation.exhibitor)
    assert rows == [{"stand": a2, "exhibitor": coventry}]
    assert len(await outbox("exhibitor_stand")) == 2


async def test_a_taken_stand_cannot_be_given_to_another_exhibitor() -> None:
    event, organiser, (coventry, rugby) = await _fair()
    a1 = await make_stand(event["id"], "A1")
    await allocate_stand(event["id"], coventry, a1, organiser["id"])
    with pytest.raises(Conflict) as caught:
        await allocate_stand(event["id"], rugby, a1, organiser["id"])
    assert caught.value.code == "stand_taken" and "stand" in caught.value.fields
    await release_stand(event["id"], a1, organiser["id"])
    assert await allocate_stand(event["id"], rugby, a1, organiser["id"]) == "A1"


async def test_two_organisers_allocating_one_stand_at_once_one_wins() -> None:
    event, organiser, (coventry, rugby) = await _fair()
    a1 = await make_stand(event["id"], "A1")
    results = await asyncio.gather(
        allocate_stand(event["id"], coventry, a1, organiser["id"]),
        allocate_stand(event["id"], rugby, a1, organiser["id"]),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "str"]
    loser = next(r for r in results if isinstance(r, Conflict))
    assert loser.code == "stand_taken"
    assert await StandAllocation.count() == 1
    assert len(await outbox("exhibitor_stand")) == 1  # the loser's email rolled back


async def test_the_unique_constraint_alone_stops_a_second_allocation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without the friendly pre-check (as when both read before either writes)."""
    event, organiser, (coventry, rugby) = await _fair()
    a1 = await make_stand(event["id"], "A1")

    async def nobody(stand_id: int) -> None:
        return None

    monkeypatch.setattr(stands, "_occupant", nobody)
    await allocate_stand(event["id"], coventry, a1, organiser["id"])
    with pytest.raises(Conflict) as caught:
        await allocate_stand(event["id"], rugby, a1, organiser["id"])
    assert caught.value.code == "stand_taken"
    rows = await StandAllocation.select(StandAllocation.exhibitor)
    assert rows == [{"exhibitor": coventry}]


async def test_only_approved_exhibitors_of_this_event_get_stands() -> None:
    event, organiser, _ = await _fair()
    a1 = await make_stand(event["id"], "A1")
    pending = await apply(event, organisation="Warwick District Council", subscriber_ref="")
    with pytest.raises(Conflict) as caught:
        await allocate_stand(event["id"], pending, a1, organiser["id"])
    assert caught.value.code == "not_approved"
    other_event = await make_event()
    with pytest.raises(Exception) as wrong:
        await allocate_stand(other_event["id"], pending, a1, organiser["id"])
    assert getattr(wrong.value, "status_code", None) == 404


async def test_approving_past_the_number_of_stands_is_refused() -> None:
    event, organiser, _ = await _fair()
    await make_stand(event["id"], "A1")
    await make_stand(event["id"], "A2")
    third = await apply(event, organisation="Warwick District Council", subscriber_ref="")
    with pytest.raises(Conflict) as caught:
        await decide_exhibitor(event["id"], third, Decision("approve"), organiser["id"])
    assert caught.value.code == "stands_full"
    await decide_exhibitor(event["id"], third, Decision("waitlist"), organiser["id"])
    row = await Exhibitor.select(Exhibitor.status).where(Exhibitor.id == third).first()
    assert row == {"status": "waitlisted"}


async def test_rejecting_frees_the_stand() -> None:
    event, organiser, (coventry, _) = await _fair()
    a1 = await make_stand(event["id"], "A1")
    await allocate_stand(event["id"], coventry, a1, organiser["id"])
    await decide_exhibitor(event["id"], coventry, Decision("reject", "", "Sorry"), organiser["id"])
    assert await StandAllocation.count() == 0


async def test_stands_page_draws_the_plan_and_allocates(client: Any) -> None:
    event, organiser, (coventry, rugby) = await _fair()
    a1 = await make_stand(event["id"], "A1")
    await login(client, organiser)
    base = f"/organiser/events/{event['slug']}/stands"
    page = await client.get(f"{base}?stand={a1}")
    assert page.status_code == 200
    assert "<svg" in page.text and 'data-stand-code="A1"' in page.text
    assert "style=" not in page.text
    response = await post_form(
        client, f"{base}/{a1}/allocate", {"exhibitor": str(coventry)}, f"{base}?stand={a1}"
    )
    assert response.status_code == 303
    again = await post_form(client, f"{base}/{a1}/allocate", {"exhibitor": str(rugby)}, base)
    assert again.status_code == 409
    assert "has just been given to another exhibitor" in again.text
    assert "app-floorplan__stand--taken" in (await client.get(base)).text


async def test_stands_page_creates_edits_and_deletes(client: Any) -> None:
    event, organiser, _ = await _fair()
    await login(client, organiser)
    base = f"/organiser/events/{event['slug']}/stands"
    created = await post_form(client, base, {"code": "b7", "size": "3x3", "x": "5", "y": "1"})
    assert created.status_code == 303
    stand = (await stands.stands_of_event(event["id"]))[0]
    assert (stand["code"], stand["width"], stand["x"]) == ("B7", 3, 5)
    duplicate = await post_form(client, base, {"code": "B7", "size": "3x3", "x": "0", "y": "0"})
    assert duplicate.status_code == 409 and "already has a stand B7" in duplicate.text
    bad = await post_form(client, base, {"code": "B8", "size": "huge", "x": "0", "y": "0"})
    assert bad.status_code == 400 and 'href="#size"' in bad.text
    edit = await post_form(
        client, f"{base}/{stand['id']}", {"code": "B7", "size": "2x2", "x": "9", "y": "9"}, base
    )
    assert edit.status_code == 303
    assert (await stands.stands_of_event(event["id"]))[0]["x"] == 9
    gone = await post_form(client, f"{base}/{stand['id']}/delete", {}, base)
    assert gone.status_code == 303
    assert await stands.stands_of_event(event["id"]) == []


async def test_another_organisations_organiser_cannot_see_or_change_stands(client: Any) -> None:
    event, _, _ = await _fair()
    await make_subscriber()
    intruder = await make_user("organiser", org=await make_org())
    await login(client, intruder)
    base = f"/organiser/events/{event['slug']}"
    for url in (f"{base}/stands", f"{base}/exhibitors"):
        assert (await client.get(url)).status_code == 403
