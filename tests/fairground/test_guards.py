"""Every guard denies every role outside its scope: roles × endpoints, as a table."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import (
    add_door,
    add_staff,
    council_id,
    make_event,
    make_exhibitor,
    make_org,
    make_user,
    token_for,
)

ROLES = [
    "anonymous",
    "organiser",
    "organiser_other",
    "door",
    "door_other",
    "exhibitor",
    "exhibitor_other",
    "council",
    "council_other",
    "superuser",
]

# endpoint → the roles allowed; everyone else gets 403 (anonymous gets 401).
MATRIX: dict[tuple[str, str], set[str]] = {
    ("GET", "/organiser/events/{slug}"): {"organiser", "superuser"},
    ("GET", "/organiser/events/{slug}/edit"): {"organiser", "superuser"},
    ("PATCH", "/api/v1/events/{slug}"): {"organiser", "superuser"},
    ("GET", "/door/events/{slug}"): {"door", "organiser", "superuser"},
    ("GET", "/exhibitor/{exhibitor}"): {"exhibitor", "organiser", "superuser"},
    ("GET", "/council/{council}"): {"council", "superuser"},
    ("GET", "/organiser/"): {"organiser", "organiser_other", "superuser"},
    ("GET", "/api/v1/events/{draft}"): {"organiser", "superuser"},
}


async def build_world() -> tuple[dict[str, str], dict[str, Any]]:
    org, other_org = await make_org(), await make_org()
    event = await make_event(org)
    draft = await make_event(org, status="draft")
    other_event = await make_event(other_org)
    exhibitor = await make_exhibitor(event["id"])
    other_exhibitor = await make_exhibitor(event["id"])
    rugby, coventry = await council_id("E07000220"), await council_id("E08000026")
    users = {
        "organiser": await make_user("organiser", org=org),
        "organiser_other": await make_user("organiser", org=other_org),
        "door": await make_user("door"),
        "door_other": await make_user("door"),
        "exhibitor": await make_user("exhibitor"),
        "exhibitor_other": await make_user("exhibitor"),
        "council": await make_user("council", org=rugby),
        "council_other": await make_user("council", org=coventry),
        "superuser": await make_user("superuser"),
    }
    await add_door(event["id"], users["door"]["id"])
    await add_door(other_event["id"], users["door_other"]["id"])
    await add_staff(exhibitor, users["exhibitor"]["id"])
    await add_staff(other_exhibitor, users["exhibitor_other"]["id"])
    tokens = {role: await token_for(user) for role, user in users.items()}
    params = {
        "slug": event["slug"],
        "draft": draft["slug"],
        "exhibitor": exhibitor,
        "council": "E07000220",
    }
    return tokens, params


@pytest.mark.parametrize(("method", "path"), list(MATRIX))
async def test_guard_allows_only_its_scope(client: Any, method: str, path: str) -> None:
    tokens, params = await build_world()
    url = path.format(**params)
    outcomes = {}
    for role in ROLES:
        headers = {"accept": "application/json"}
        if role != "anonymous":
            headers["authorization"] = f"Bearer {tokens[role]}"
        body = {"description": "Updated by the guard test"} if method == "PATCH" else None
        response = await client.request(method, url, headers=headers, json=body)
        outcomes[role] = response.status_code
    expected = {
        role: 200
        if role in MATRIX[(method, path)]
        else (
            401
            if role == "anonymous" and not path.startswith("/api/v1/events/{draft}")
            else (404 if path.startswith("/api/v1/events/{draft}") else 403)
        )
        for role in ROLES
    }
    assert outcomes == expected


async def test_denied_api_call_uses_the_error_shape(client: Any) -> None:
    tokens, params = await build_world()
    response = await client.patch(
        f"/api/v1/events/{params['slug']}",
        json={"title": "x"},
        headers={"authorization": f"Bearer {tokens['organiser_other']}"},
    )
    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "forbidden" and body["detail"]


async def test_another_organisations_organiser_gets_403_on_pages(client: Any) -> None:
    from tests.factories import login

    org, other = await make_org(), await make_org()
    event = await make_event(org)
    intruder = await make_user("organiser", org=other)
    await login(client, intruder)
    for url in (f"/organiser/events/{event['slug']}", f"/organiser/events/{event['slug']}/edit"):
        response = await client.get(url)
        assert response.status_code == 403
        assert "You do not have permission" in response.text
