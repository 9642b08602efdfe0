"""Stands through the API (docs/API-extensions.md, "Stands"): an integrator sets up a
fair's floor plan without the organiser's pages."""

from __future__ import annotations

from typing import Any

import pytest

from exhibitors.stands import allocate_stand
from exhibitors.tables import Stand
from tests.factories import (
    council_id,
    csrf_from,
    login,
    make_event,
    make_exhibitor,
    make_org,
    make_user,
    token_for,
)

STAND = {"code": "a12", "x": 4, "y": 2, "width": 3, "depth": 2, "needs": {"power": True}}


async def organiser_of_new_event() -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    org = await make_org()
    user = await make_user("organiser", org=org)
    event = await make_event(org)
    return event, user, {"authorization": f"Bearer {await token_for(user)}"}


async def stand_rows(event_id: int) -> list[dict[str, Any]]:
    return await Stand.select(Stand.code, Stand.x, Stand.y, Stand.width, Stand.depth).where(
        Stand.event == event_id
    )


async def test_a_stand_is_created_listed_changed_and_deleted(client: Any) -> None:
    event, _, headers = await organiser_of_new_event()
    url = f"/api/v1/events/{event['slug']}/stands"
    created = await client.post(url, json=STAND, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json() == {**STAND, "code": "A12", "exhibitor": None}
    await client.post(url, json={**STAND, "code": "B1", "x": 10}, headers=headers)
    changed = await client.patch(f"{url}/a12", json={"x": 20, "code": "A2"}, headers=headers)
    assert changed.status_code == 200, changed.text
    assert changed.json() == {**STAND, "code": "A2", "x": 20, "exhibitor": None}
    listed = await client.get(url, headers=headers)
    assert [s["code"] for s in listed.json()] == ["A2", "B1"]
    gone = await client.delete(f"{url}/B1", headers=headers)
    assert gone.status_code == 204, gone.text
    assert await stand_rows(event["id"]) == [
        {"code": "A2", "x": 20, "y": 2, "width": 3, "depth": 2}
    ]
    assert (await client.delete(f"{url}/B1", headers=headers)).status_code == 404


async def test_the_list_names_the_exhibitor_on_each_stand(client: Any) -> None:
    event, user, headers = await organiser_of_new_event()
    url = f"/api/v1/events/{event['slug']}/stands"
    await client.post(url, json=STAND, headers=headers)
    await client.post(url, json={**STAND, "code": "A13"}, headers=headers)
    exhibitor = await make_exhibitor(event["id"], await council_id("E07000220"))
    stand = await Stand.select(Stand.id).where(Stand.code == "A12").first()
    assert stand is not None
    await allocate_stand(event["id"], exhibitor, stand["id"], user["id"], notify=False)
    listed = (await client.get(url, headers=headers)).json()
    assert listed[0]["exhibitor"] == {"id": exhibitor, "name": "Rugby Borough Council"}
    assert listed[1]["exhibitor"] is None
    moved = await client.patch(f"{url}/A12", json={"y": 9}, headers=headers)
    assert moved.status_code == 200 and moved.json()["exhibitor"]["id"] == exhibitor
    refused = await client.delete(f"{url}/A12", headers=headers)
    assert refused.status_code == 409 and refused.json()["error"] == "stand_allocated"
    assert len(await stand_rows(event["id"])) == 2


async def test_a_duplicate_code_is_a_conflict_and_changes_nothing(client: Any) -> None:
    event, _, headers = await organiser_of_new_event()
    url = f"/api/v1/events/{event['slug']}/stands"
    await client.post(url, json=STAND, headers=headers)
    await client.post(url, json={**STAND, "code": "A13"}, headers=headers)
    again = await client.post(url, json={**STAND, "x": 50}, headers=headers)
    assert again.status_code == 409 and again.json()["error"] == "stand_code_taken"
    assert "code" in again.json()["fields"]
    recoded = await client.patch(f"{url}/A13", json={"code": "A12"}, headers=headers)
    assert recoded.status_code == 409 and recoded.json()["error"] == "stand_code_taken"
    assert sorted(r["code"] for r in await stand_rows(event["id"])) == ["A12", "A13"]
    assert {r["x"] for r in await stand_rows(event["id"])} == {4}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": "A 12"}, "code"),
        ({"code": ""}, "code"),
        ({"code": "ABCDEFGHIJKLM"}, "code"),
        ({"x": -1}, "x"),
        ({"y": 201}, "y"),
        ({"width": 0}, "width"),
        ({"depth": 21}, "depth"),
        ({"x": "four"}, "x"),
        ({"x": 1.5}, "x"),
        ({"width": True}, "width"),
        ({"needs": {"power": "yes"}}, "needs.power"),
        ({"needs": {"tables": 2}}, "needs.tables"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_bad_values_are_refused_naming_the_field(
    client: Any, change: dict[str, Any], field: str
) -> None:
    event, _, headers = await organiser_of_new_event()
    url = f"/api/v1/events/{event['slug']}/stands"
    refused = await client.post(url, json={**STAND, **change}, headers=headers)
    assert refused.status_code == 422, refused.text
    assert field in refused.json()["fields"]
    await client.post(url, json=STAND, headers=headers)
    patched = await client.patch(f"{url}/A12", json=change, headers=headers)
    assert patched.status_code == 422, patched.text
    assert field in patched.json()["fields"]
    assert await stand_rows(event["id"]) == [
        {"code": "A12", "x": 4, "y": 2, "width": 3, "depth": 2}
    ]


async def test_a_missing_field_is_named(client: Any) -> None:
    event, _, headers = await organiser_of_new_event()
    body = {k: v for k, v in STAND.items() if k != "depth"}
    url = f"/api/v1/events/{event['slug']}/stands"
    refused = await client.post(url, json=body, headers=headers)
    assert refused.status_code == 422 and "depth" in refused.json()["fields"]


async def test_only_this_events_organisers_may_manage_its_stands(client: Any) -> None:
    event, _, headers = await organiser_of_new_event()
    url = f"/api/v1/events/{event['slug']}/stands"
    await client.post(url, json=STAND, headers=headers)
    _, _, other = await organiser_of_new_event()
    for method, path, body in (
        ("GET", url, None),
        ("POST", url, {**STAND, "code": "Z1"}),
        ("PATCH", f"{url}/A12", {"x": 0}),
        ("DELETE", f"{url}/A12", None),
    ):
        denied = await client.request(method, path, json=body, headers=other)
        assert denied.status_code == 403, (method, denied.text)
        anonymous = await client.request(method, path, json=body)
        assert anonymous.status_code == 401, (method, anonymous.text)
    assert await stand_rows(event["id"]) == [
        {"code": "A12", "x": 4, "y": 2, "width": 3, "depth": 2}
    ]


async def test_a_signed_in_organiser_uses_the_session_with_the_csrf_header(client: Any) -> None:
    org = await make_org()
    user = await make_user("organiser", org=org)
    event = await make_event(org)
    await login(client, user)
    url = f"/api/v1/events/{event['slug']}/stands"
    without = await client.post(url, json=STAND)
    assert without.status_code == 403
    token = client.cookies.get("csrftoken") or csrf_from((await client.get("/login")).text)
    created = await client.post(url, json=STAND, headers={"x-csrftoken": token})
    assert created.status_code == 201, created.text


async def test_the_openapi_document_describes_the_stand_operations(client: Any) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/events/{slug}/stands"])
    assert {"patch", "delete"} <= set(paths["/api/v1/events/{slug}/stands/{stand_code}"])
    stand_in = schema["components"]["schemas"]["StandIn"]
    assert set(stand_in["required"]) == {"code", "x", "y", "width", "depth"}
    assert stand_in["properties"]["width"]["maximum"] == 20
