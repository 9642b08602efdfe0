"""The event API: creation, validation of every field, 4xx bodies, changes."""

from __future__ import annotations

from typing import Any

import pytest

from events.tables import Event
from tests.factories import make_event, make_org, make_user, token_for


def valid_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "West Midlands Public Sector Careers Fair",
        "starts_at": "2031-01-23T10:00:00+00:00",
        "ends_at": "2031-01-23T15:00:00+00:00",
        "timezone": "Europe/London",
        "venue": {
            "name": "Library of Birmingham",
            "address": "Centenary Square, Broad Street",
            "postcode": "b12nd",
            "access_notes": "Step-free entrance on Broad Street",
        },
        "capacity": 2000,
        "slots": [
            {
                "starts_at": "2031-01-23T10:00:00+00:00",
                "ends_at": "2031-01-23T12:30:00+00:00",
                "capacity": 1000,
            }
        ],
        "status": "published",
    }
    body.update(overrides)
    return body


@pytest.fixture
async def organiser() -> dict[str, str]:
    user = await make_user("organiser", org=await make_org())
    return {"authorization": f"Bearer {await token_for(user)}"}


async def test_create_event_returns_201_with_the_event(
    client: Any, organiser: dict[str, str]
) -> None:
    response = await client.post("/api/v1/events", json=valid_body(), headers=organiser)
    assert response.status_code == 201, response.text
    event = response.json()
    assert event["slug"] == "west-midlands-public-sector-careers-fair"
    assert event["venue"]["postcode"] == "B1 2ND"
    assert event["counts"] == {
        "confirmed": 0,
        "waitlisted": 0,
        "cancelled": 0,
        "checked_in": 0,
        "remaining": 2000,
    }
    assert event["slots"][0]["remaining"] == 1000
    assert event["links"]["ics"] == f"/events/{event['slug']}.ics"
    assert event["starts_at"].startswith("2031-01-23T10:00:00")
    public = await client.get(f"/api/v1/events/{event['slug']}")
    assert public.status_code == 200


async def test_same_title_gets_a_distinct_slug(client: Any, organiser: dict[str, str]) -> None:
    first = await client.post("/api/v1/events", json=valid_body(), headers=organiser)
    second = await client.post("/api/v1/events", json=valid_body(), headers=organiser)
    assert first.json()["slug"] != second.json()["slug"]


async def test_explicit_slug_taken_is_409(client: Any, organiser: dict[str, str]) -> None:
    await client.post("/api/v1/events", json=valid_body(slug="fair-2031"), headers=organiser)
    again = await client.post(
        "/api/v1/events", json=valid_body(slug="fair-2031"), headers=organiser
    )
    assert again.status_code == 409
    assert again.json()["fields"] == {"slug": "Another event already uses this slug"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": 42}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"starts_at": "next Thursday"}, "starts_at"),
        ({"starts_at": "2031-01-23T10:00:00"}, "starts_at"),
        ({"ends_at": "2031-01-23T09:00:00+00:00"}, "ends_at"),
        ({"timezone": "Mars/Base"}, "timezone"),
        ({"venue": {"name": ""}}, "venue.name"),
        ({"venue": {"name": "Hall", "postcode": "NOT A CODE"}}, "venue.postcode"),
        ({"venue": {"name": "Hall", "colour": "red"}}, "venue.colour"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": "lots"}, "capacity"),
        ({"capacity": 10**9}, "capacity"),
        (
            {
                "slots": [
                    {
                        "starts_at": "2031-01-23T12:00:00+00:00",
                        "ends_at": "2031-01-23T11:00:00+00:00",
                        "capacity": 5,
                    }
                ]
            },
            "slots[0].ends_at",
        ),
        (
            {
                "slots": [
                    {
                        "starts_at": "2031-01-24T10:00:00+00:00",
                        "ends_at": "2031-01-24T11:00:00+00:00",
                        "capacity": 5,
                    }
                ]
            },
            "slots[0].starts_at",
        ),
        (
            {
                "slots": [
                    {
                        "starts_at": "2031-01-23T10:00:00+00:00",
                        "ends_at": "2031-01-23T11:00:00+00:00",
                        "capacity": -1,
                    }
                ]
            },
            "slots[0].capacity",
        ),
        (
            {
                "registration_opens_at": "2031-01-10T00:00:00+00:00",
                "registration_closes_at": "2031-01-01T00:00:00+00:00",
            },
            "registration_closes_at",
        ),
        ({"registration_closes_at": "2031-02-01T00:00:00+00:00"}, "registration_closes_at"),
        ({"status": "closed"}, "status"),
        ({"surprise": True}, "surprise"),
    ],
)
async def test_each_bad_field_is_named(
    client: Any, organiser: dict[str, str], overrides: dict[str, Any], field: str
) -> None:
    response = await client.post("/api/v1/events", json=valid_body(**overrides), headers=organiser)
    assert response.status_code in (400, 422), response.text
    body = response.json()
    assert body["error"] == "invalid"
    assert body["detail"]
    assert field in body["fields"], body
    assert not await Event.exists()


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'"a string"', b"null"])
async def test_malformed_bodies_are_4xx_in_the_error_shape(
    client: Any, organiser: dict[str, str], body: bytes
) -> None:
    response = await client.post(
        "/api/v1/events", content=body, headers={**organiser, "content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500
    assert set(response.json()) >= {"error", "detail"}


async def test_body_over_the_limit_is_413(client: Any, organiser: dict[str, str]) -> None:
    huge = valid_body(description="x" * 2_000_000)
    response = await client.post("/api/v1/events", json=huge, headers=organiser)
    assert response.status_code == 413
    assert response.json()["error"] == "body_too_large"


async def test_anonymous_create_is_401(client: Any) -> None:
    response = await client.post("/api/v1/events", json=valid_body())
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


async def test_non_organiser_create_is_403(client: Any) -> None:
    door = await make_user("door")
    response = await client.post(
        "/api/v1/events",
        json=valid_body(),
        headers={"authorization": f"Bearer {await token_for(door)}"},
    )
    assert response.status_code == 403


async def test_patch_time_bumps_sequence_and_venue_change_too(
    client: Any, organiser: dict[str, str]
) -> None:
    slug = (
        await client.post("/api/v1/events", json=valid_body(slots=[]), headers=organiser)
    ).json()["slug"]
    before = await Event.select(Event.sequence).where(Event.slug == slug).first()
    response = await client.patch(
        f"/api/v1/events/{slug}", headers=organiser, json={"starts_at": "2031-01-23T11:00:00+00:00"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["starts_at"].startswith("2031-01-23T11:00:00")
    title_only = await client.patch(
        f"/api/v1/events/{slug}", headers=organiser, json={"title": "New title"}
    )
    assert title_only.status_code == 200
    after = await Event.select(Event.sequence).where(Event.slug == slug).first()
    assert before and after and after["sequence"] == before["sequence"] + 1


async def test_patch_rejects_bad_status_change(client: Any, organiser: dict[str, str]) -> None:
    slug = (await client.post("/api/v1/events", json=valid_body(), headers=organiser)).json()[
        "slug"
    ]
    assert (
        await client.patch(
            f"/api/v1/events/{slug}", headers=organiser, json={"status": "cancelled"}
        )
    ).status_code == 200
    again = await client.patch(
        f"/api/v1/events/{slug}", headers=organiser, json={"status": "published"}
    )
    assert again.status_code == 409
    assert again.json()["error"] == "invalid_status_change"


async def test_draft_is_404_to_the_public_and_unknown_is_404(client: Any) -> None:
    draft = await make_event(status="draft")
    assert (await client.get(f"/api/v1/events/{draft['slug']}")).status_code == 404
    missing = await client.get("/api/v1/events/no-such-fair")
    assert missing.status_code == 404
    assert missing.json()["error"] == "event_not_found"


async def test_list_shows_published_upcoming_only(client: Any) -> None:
    published = await make_event()
    await make_event(status="draft")
    slugs = [e["slug"] for e in (await client.get("/api/v1/events")).json()]
    assert slugs == [published["slug"]]


async def test_moving_a_booked_slot_updates_attendees_invites(
    client: Any, organiser: dict[str, str]
) -> None:
    from fairground.tables import OutboxMessage
    from registrations.tables import Registration
    from tests.registrations.helpers import register

    created = await client.post("/api/v1/events", json=valid_body(), headers=organiser)
    event = created.json()
    slot = event["slots"][0]
    from events.services import get_event

    await register(await get_event(event["slug"]), slot_id=slot["id"])
    moved = {**slot, "starts_at": "2031-01-23T10:30:00+00:00"}
    moved.pop("remaining")
    response = await client.patch(
        f"/api/v1/events/{event['slug']}", headers=organiser, json={"slots": [moved]}
    )
    assert response.status_code == 200, response.text
    row = await Registration.select(Registration.ics_sequence).first()
    assert row is not None and row["ics_sequence"] == 1
    assert await OutboxMessage.count().where(OutboxMessage.template == "registration_updated") == 1
    shrink = {**moved, "capacity": 0}
    too_small = await client.patch(
        f"/api/v1/events/{event['slug']}", headers=organiser, json={"slots": [shrink]}
    )
    assert too_small.status_code == 422


async def test_exhibitor_times_through_the_api(client: Any, organiser: dict[str, str]) -> None:
    body = valid_body(
        exhibitor_setup_at="2031-01-23T08:00:00+00:00",
        exhibitor_arrive_by="2031-01-23T09:30:00+00:00",
    )
    created = await client.post("/api/v1/events", json=body, headers=organiser)
    assert created.status_code == 201, created.text
    slug = created.json()["slug"]
    read = (await client.get(f"/api/v1/events/{slug}")).json()
    assert read["exhibitor_setup_at"].startswith("2031-01-23T08:00:00")
    assert read["exhibitor_arrive_by"].startswith("2031-01-23T09:30:00")
    late = await client.patch(
        f"/api/v1/events/{slug}",
        json={"exhibitor_arrive_by": "2031-01-23T07:00:00+00:00"},
        headers=organiser,
    )
    assert late.status_code == 422 and "exhibitor_arrive_by" in late.json()["fields"]
    after = await client.patch(
        f"/api/v1/events/{slug}",
        json={"exhibitor_setup_at": "2031-01-24T07:00:00+00:00", "exhibitor_arrive_by": None},
        headers=organiser,
    )
    assert after.status_code == 422 and "exhibitor_setup_at" in after.json()["fields"]
    cleared = await client.patch(
        f"/api/v1/events/{slug}", json={"exhibitor_setup_at": None}, headers=organiser
    )
    assert cleared.status_code == 200 and cleared.json()["exhibitor_setup_at"] is None
    row = await Event.select(Event.exhibitor_arrive_by).where(Event.slug == slug).first()
    assert row is not None and row["exhibitor_arrive_by"] is not None
