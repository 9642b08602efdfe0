"""The interviews API end to end: publish, list, book, refuse with codes, cancel,
outcomes flowing to the lead's council deliveries, and the organiser's figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from exhibitors.interviews.tables import InterviewBooking
from exhibitors.leads.tables import Lead, LeadDelivery
from registrations.services import register_attendee
from registrations.tables import Registration
from tests.factories import council_id, make_user, token_for
from tests.interviews.helpers import fair
from tests.registrations.helpers import person


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


async def _publish(client: Any, world: dict[str, Any], **body: Any) -> Any:
    start = world["event"]["starts_at"]
    headers = {"authorization": f"Bearer {await token_for(world['staff'])}"}
    payload = {
        "starts_at": _iso(start),
        "ends_at": _iso(start + timedelta(hours=1)),
        "slot_minutes": 20,
        "gap_minutes": 5,
        "parallel": 1,
        "breaks": [],
        "mode": "open",
        **body,
    }
    return await client.post(
        f"/api/v1/exhibitors/{world['exhibitor_id']}/schedules", json=payload, headers=headers
    )


async def test_publish_list_book_refuse_cancel(client: Any) -> None:
    world = await fair()
    event = world["event"]
    made = await _publish(client, world)
    assert made.status_code == 201, made.text
    slots = made.json()["slots"]
    assert len(slots) == 2 and slots[0]["places_left"] == 1

    listed = await client.get(f"/api/v1/events/{event['slug']}/interview-slots")
    assert listed.status_code == 200
    item = listed.json()[0]
    assert set(item) == {"id", "exhibitor", "vacancy", "starts_at", "ends_at", "places_left"}
    assert item["exhibitor"]["name"] == "Warwick Hospital Trust"

    one = (await register_attendee(event["slug"], person(1))).manage_token
    two = (await register_attendee(event["slug"], person(2))).manage_token
    url = f"/api/v1/registrations/{one}/interviews"
    booked = await client.post(url, json={"slot_id": slots[0]["id"]})
    assert booked.status_code == 201, booked.text
    body = booked.json()
    assert set(body) >= {"id", "slot", "status", "links"} and body["links"]["ics"]
    full = await client.post(
        f"/api/v1/registrations/{two}/interviews", json={"slot_id": slots[0]["id"]}
    )
    assert full.status_code == 409 and full.json()["error"] == "slot_full"
    again = await client.post(url, json={"slot_id": slots[0]["id"]})
    assert again.status_code == 409 and again.json()["error"] == "overlaps"
    mine = await client.get(url)
    assert [b["id"] for b in mine.json()] == [body["id"]]
    moved = await client.patch(f"{url}/{body['id']}", json={"slot_id": slots[1]["id"]})
    assert moved.status_code == 200 and moved.json()["slot"]["id"] == slots[1]["id"]
    cancelled = await client.delete(f"{url}/{body['id']}")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    stranger = await client.delete(f"/api/v1/registrations/{two}/interviews/{body['id']}")
    assert stranger.status_code == 404


async def test_limit_reached_code(client: Any) -> None:
    world = await fair()
    event = world["event"]
    start = event["starts_at"]
    slots = (await _publish(client, world, ends_at=_iso(start + timedelta(hours=3)))).json()[
        "slots"
    ]
    token = (await register_attendee(event["slug"], person(1))).manage_token
    url = f"/api/v1/registrations/{token}/interviews"
    for slot in slots[:3]:
        assert (await client.post(url, json={"slot_id": slot["id"]})).status_code == 201
    refused = await client.post(url, json={"slot_id": slots[3]["id"]})
    assert refused.status_code == 409 and refused.json()["error"] == "limit_reached"


async def test_outcome_joins_the_leads_deliveries(client: Any) -> None:
    world = await fair()
    event = world["event"]
    slots = (await _publish(client, world)).json()["slots"]
    token = (await register_attendee(event["slug"], person(1))).manage_token
    booking = (
        await client.post(
            f"/api/v1/registrations/{token}/interviews", json={"slot_id": slots[0]["id"]}
        )
    ).json()
    reg = await Registration.select().where(Registration.manage_token == token).first()
    lead = await Lead.insert(
        Lead(event=event["id"], exhibitor=world["exhibitor_id"], registration=reg["id"])
    ).returning(Lead.id)
    council = await council_id("E07000220")
    await LeadDelivery.insert(
        LeadDelivery(
            lead=lead[0]["id"], council=council, rule="exhibitor", consent_basis="stand_consent"
        )
    )
    headers = {"authorization": f"Bearer {await token_for(world['staff'])}"}
    url = f"/api/v1/interviews/{booking['id']}/outcome"
    missing = await client.post(url, json={"outcome": "offer_accepted"}, headers=headers)
    assert missing.status_code == 422 and "start_date" in missing.json()["fields"]
    bad = await client.post(url, json={"outcome": "hired"}, headers=headers)
    assert bad.status_code == 422
    made = await client.post(url, json={"outcome": "offer_made"}, headers=headers)
    assert made.status_code == 200 and made.json()["status"] == "attended"
    assert (await LeadDelivery.select().first())["outcome"] == "offered"
    done = await client.post(
        url, json={"outcome": "offer_accepted", "start_date": "2027-03-01"}, headers=headers
    )
    assert done.json()["start_date"] == "2027-03-01"
    assert (await LeadDelivery.select().first())["outcome"] == "hired"
    # Another exhibitor's staff cannot; anonymous cannot.
    other = await make_user("exhibitor")
    denied = await client.post(
        url,
        json={"outcome": "no_show"},
        headers={"authorization": f"Bearer {await token_for(other)}"},
    )
    assert denied.status_code == 403
    assert (await client.post(url, json={"outcome": "no_show"})).status_code == 401


async def test_outcomes_days_against_hand_computed(client: Any) -> None:
    """Six offers 3, 5, 8, 10, 14 and 20 days after the fair; five started 30, 31,
    40, 45 and 60 days after. Quartiles by linear interpolation between ranks
    (positions (n-1)·q): offers p25 = 5 + .25·3 = 5.75 → 5.8, median (8+10)/2 = 9,
    p75 = 10 + .75·4 = 13; starts p25 31, median 40, p75 45."""
    world = await fair()
    event = world["event"]
    start = event["starts_at"]
    slots = (
        await _publish(client, world, ends_at=_iso(start + timedelta(hours=3)), parallel=2)
    ).json()["slots"]
    ids = []
    for n in range(7):
        token = (await register_attendee(event["slug"], person(n))).manage_token
        made = await client.post(
            f"/api/v1/registrations/{token}/interviews", json={"slot_id": slots[n // 2]["id"]}
        )
        ids.append(made.json()["id"])
    offers = [3, 5, 8, 10, 14, 20]
    starts = [30, 31, 40, 45, 60]
    for n, booking_id in enumerate(ids[:6]):
        values: dict[Any, Any] = {
            InterviewBooking.status: "attended",
            InterviewBooking.offer_at: start + timedelta(days=offers[n], hours=1),
        }
        if n < 5:
            values[InterviewBooking.accepted_at] = start + timedelta(days=offers[n] + 1)
            values[InterviewBooking.start_date] = (start + timedelta(days=starts[n])).date()
        await InterviewBooking.update(values).where(InterviewBooking.id == booking_id)
    await InterviewBooking.update({InterviewBooking.status: "no_show"}).where(
        InterviewBooking.id == ids[6]
    )
    organiser = await make_user("organiser", org=event["organisation"])
    headers = {"authorization": f"Bearer {await token_for(organiser)}"}
    response = await client.get(f"/api/v1/events/{event['slug']}/outcomes", headers=headers)
    assert response.status_code == 200, response.text
    figures = response.json()
    assert figures["interviews"] == {"booked": 7, "held": 6, "no_show": None}
    assert figures["offers"] == 6 and figures["accepted"] == 5
    assert figures["days_to_offer"] == {"median": 9, "p25": 5.8, "p75": 13}
    assert figures["days_to_start"] == {"median": 40, "p25": 31, "p75": 45}
    assert figures["advert_to_hire_days"] == 100
    [per] = figures["exhibitors"]
    assert per["days_to_offer"] == figures["days_to_offer"]
    # Exhibitor staff are not the organiser.
    staff = {"authorization": f"Bearer {await token_for(world['staff'])}"}
    assert (
        await client.get(f"/api/v1/events/{event['slug']}/outcomes", headers=staff)
    ).status_code == 403


async def test_small_counts_are_null(client: Any) -> None:
    world = await fair()
    event = world["event"]
    slots = (await _publish(client, world)).json()["slots"]
    token = (await register_attendee(event["slug"], person(1))).manage_token
    await client.post(f"/api/v1/registrations/{token}/interviews", json={"slot_id": slots[0]["id"]})
    organiser = await make_user("organiser", org=event["organisation"])
    headers = {"authorization": f"Bearer {await token_for(organiser)}"}
    figures = (await client.get(f"/api/v1/events/{event['slug']}/outcomes", headers=headers)).json()
    assert figures["interviews"]["booked"] is None
    assert figures["days_to_offer"] == {"median": None, "p25": None, "p75": None}


async def test_the_fair_page_shows_free_places(client: Any) -> None:
    world = await fair()
    slots = (await _publish(client, world)).json()["slots"]
    page = await client.get(f"/events/{world['event']['slug']}")
    assert "Interviews on the day" in page.text
    assert "2 places free" in page.text
    token = (await register_attendee(world["event"]["slug"], person(1))).manage_token
    await client.post(f"/api/v1/registrations/{token}/interviews", json={"slot_id": slots[0]["id"]})
    page = await client.get(f"/events/{world['event']['slug']}")
    assert "1 place free" in page.text  # as of the page load
