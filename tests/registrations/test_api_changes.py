"""PATCH /api/v1/registrations/{manage_token}: an attendee's changes by API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from events.services import get_slots
from registrations.services import cancel_registration
from tests.factories import future, make_event
from tests.registrations.helpers import outbox, parse_ics, parts, register

RUGBY = "E07000220"
COVENTRY = "E08000026"


def url(token: str) -> str:
    return f"/api/v1/registrations/{token}"


async def slotted_event(capacity: int = 5) -> dict[str, Any]:
    start = future()
    slots = [
        {"starts_at": start, "ends_at": start + timedelta(hours=1), "capacity": capacity},
        {
            "starts_at": start + timedelta(hours=1),
            "ends_at": start + timedelta(hours=2),
            "capacity": capacity,
        },
    ]
    return await make_event(slots=slots)


async def test_get_includes_interests_and_consent(client: Any) -> None:
    event = await make_event()
    person = await register(
        event, interests=["digital"], consent={"councils": [RUGBY], "job_alerts": True}
    )
    body = (await client.get(url(person.manage_token))).json()
    assert body["interests"] == ["digital"]
    assert body["consent"] == {"councils": [RUGBY], "job_alerts": True}


async def test_patch_changes_what_is_sent_and_answers_as_get(client: Any) -> None:
    event = await make_event()
    person = await register(event, phone="01632 960001", consent={"councils": [RUGBY]})
    response = await client.patch(
        url(person.manage_token),
        json={"postcode": "b12nd", "consent": {"councils": [COVENTRY]}, "interests": ["digital"]},
    )
    assert response.status_code == 200, response.text
    assert "no-store" in response.headers["cache-control"]
    body = response.json()
    assert body == (await client.get(url(person.manage_token))).json()
    assert body["postcode"] == "B1 2ND" and body["phone"] == "01632 960001"
    assert body["consent"] == {"councils": [COVENTRY], "job_alerts": False}
    assert body["interests"] == ["digital"]
    cleared = await client.patch(url(person.manage_token), json={"phone": None})
    assert cleared.json()["phone"] == ""


async def test_patch_moves_the_slot_and_resends_the_invite(client: Any) -> None:
    event = await slotted_event()
    first, second = await get_slots(event["id"])
    person = await register(event, slot_id=first["id"])
    response = await client.patch(url(person.manage_token), json={"slot_id": second["id"]})
    assert response.status_code == 200, response.text
    assert response.json()["slot"]["id"] == second["id"]
    [message] = await outbox("registration_changed")
    _, vevent = parse_ics(parts(message)["ics"])
    assert int(vevent["SEQUENCE"]) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "call me"}, "phone"),
        ({"postcode": "nowhere"}, "postcode"),
        ({"interests": ["astronaut"]}, "interests"),
        ({"interests": "digital"}, "interests"),
        ({"consent": {"councils": ["E99"]}}, "consent.councils"),
        ({"consent": {"job_alerts": "maybe"}}, "consent.job_alerts"),
        ({"slot_id": 999999}, "slot_id"),
        ({"access_needs": "x" * 2001}, "access_needs"),
        ({"name": "Someone Else"}, "name"),
    ],
)
async def test_bad_values_are_422_naming_the_field(client: Any, body: Any, field: str) -> None:
    event = await make_event()
    person = await register(event, phone="01632 960001")
    before = (await client.get(url(person.manage_token))).json()
    response = await client.patch(url(person.manage_token), json={"phone": "", **body})
    assert response.status_code == 422, response.text
    assert field in response.json()["fields"], response.json()
    assert (await client.get(url(person.manage_token))).json() == before
    assert await outbox("registration_changed") == []


async def test_a_full_slot_is_409_naming_slot_id(client: Any) -> None:
    event = await slotted_event(capacity=1)
    first, second = await get_slots(event["id"])
    person = await register(event, slot_id=first["id"])
    await register(event, email="other@example.org", slot_id=second["id"])
    response = await client.patch(url(person.manage_token), json={"slot_id": second["id"]})
    assert response.status_code == 409
    assert response.json()["error"] == "slot_full" and "slot_id" in response.json()["fields"]


async def test_a_cancelled_registration_is_409(client: Any) -> None:
    event = await make_event()
    person = await register(event)
    await cancel_registration(person.manage_token)
    response = await client.patch(url(person.manage_token), json={"phone": "01632 960001"})
    assert response.status_code == 409
    assert response.json()["error"] == "registration_cancelled"


async def test_an_unknown_token_is_404(client: Any) -> None:
    response = await client.patch(url("no-such-token"), json={"phone": ""})
    assert response.status_code == 404
    assert response.json()["error"] == "registration_not_found"
