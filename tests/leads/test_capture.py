"""POST /api/v1/leads: capture, update on rescan, idempotency, consent, bad input."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from exhibitors.leads.tables import Lead
from registrations.tickets import sign_ticket
from tests.factories import make_event, make_user, token_for
from tests.leads.helpers import RUGBY, attendee, make_stand, scan


async def test_capture_then_rescan_updates(client: Any) -> None:
    stand = await make_stand()
    person = await attendee(stand.event, home_council=RUGBY, phone="07700 900123")
    first = await scan(client, stand, person.ticket_code, rating=3, notes="SW, 5 yrs",
                       interests=["social-care"], consent_given=True)  # fmt: skip
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["consent"] == "given"
    assert body["attendee"] == {
        "name": "Attendee 1", "email": "attendee1@example.org", "phone": "07700 900123",
        "interests": ["social-care"], "home_council": RUGBY,
    }  # fmt: skip
    again = await scan(client, stand, person.ticket_code, rating=5, notes="Hot")
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert again.json()["rating"] == 5
    assert again.json()["consent"] == "given"  # a rescan without the tick keeps consent
    assert await Lead.count() == 1


async def test_without_consent_staff_see_the_name_only(client: Any) -> None:
    stand = await make_stand()
    person = await attendee(stand.event, home_council=RUGBY)
    response = await scan(client, stand, person.ticket_code, notes="Chatted")
    assert response.status_code == 201
    attendee_out = response.json()["attendee"]
    assert response.json()["consent"] == "none"
    assert attendee_out["name"] == "Attendee 1"
    assert attendee_out["email"] is None and attendee_out["phone"] is None
    assert attendee_out["home_council"] is None
    listed = await client.get(
        f"/api/v1/exhibitors/{stand.exhibitor_id}/leads", headers=stand.headers
    )
    assert listed.status_code == 200
    assert listed.json()[0]["attendee"]["email"] is None


async def test_client_id_is_idempotent(client: Any) -> None:
    stand = await make_stand()
    person = await attendee(stand.event)
    client_id = str(uuid.uuid4())
    first = await scan(client, stand, person.ticket_code, client_id=client_id, notes="one")
    second = await scan(client, stand, person.ticket_code, client_id=client_id, notes="one")
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    assert await Lead.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rating": 9}, "rating"),
        ({"rating": "hot"}, "rating"),
        ({"interests": ["astronaut"]}, "interests"),
        ({"notes": "x" * 5000}, "notes"),
        ({"surprise": 1}, "surprise"),
        ({"code": "FG1.nope"}, "code"),
    ],
)
async def test_bad_input_names_the_field(client: Any, body: dict[str, Any], field: str) -> None:
    stand = await make_stand()
    person = await attendee(stand.event)
    response = await scan(client, stand, body.pop("code", person.ticket_code), **body)
    assert response.status_code in (400, 422), response.text
    assert field in response.json()["fields"]


async def test_only_staff_of_an_exhibitor_at_that_event(client: Any) -> None:
    stand = await make_stand()
    other_event = await make_event()
    person = await attendee(other_event)
    response = await scan(client, stand, person.ticket_code)
    assert response.status_code == 403
    outsider = await make_user("organiser")
    headers = {"authorization": f"Bearer {await token_for(outsider)}"}
    response = await client.post(
        "/api/v1/leads", json={"code": person.ticket_code}, headers=headers
    )
    assert response.status_code == 403
    listed = await client.get(f"/api/v1/exhibitors/{stand.exhibitor_id}/leads", headers=headers)
    assert listed.status_code == 403
    forged = sign_ticket(999999, stand.event["id"])
    assert (await scan(client, stand, forged)).status_code == 422


async def test_malformed_json_is_a_4xx(client: Any) -> None:
    stand = await make_stand()
    response = await client.post(
        "/api/v1/leads",
        content=b"{nope",
        headers={**stand.headers, "content-type": "application/json"},
    )
    assert response.status_code == 400
