"""The door's opening window (from door_opens_minutes before the start to the end):
outside it a scan or a manual check-in admits nobody and says when the fair is,
and a retried scan gets the first answer byte for byte."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from registrations.tables import CheckIn, Registration
from tests.factories import (
    add_door,
    future,
    happening_now,
    make_event,
    make_open_event,
    make_org,
    make_user,
    token_for,
)
from tests.registrations.helpers import register


async def _door(event: dict[str, Any]) -> dict[str, str]:
    staff = await make_user("door")
    await add_door(event["id"], staff["id"])
    return {"authorization": f"Bearer {await token_for(staff)}"}


async def _scan(client: Any, event: dict[str, Any], code: str, **extra: Any) -> Any:
    body = {"code": code, "event": event["slug"], "door": "Main entrance", **extra}
    response = await client.post("/api/v1/checkins", json=body, headers=await _door(event))
    assert response.status_code == 200, response.text
    return response


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_a_retried_scan_gets_the_same_bytes(client: Any) -> None:
    event = await make_open_event()
    headers = await _door(event)
    person = await register(event, email="retry@example.org", access_needs="Step-free")
    body = {"code": person.ticket_code, "event": event["slug"], "client_id": str(uuid.uuid4())}
    first = await client.post("/api/v1/checkins", json=body, headers=headers)
    again = await client.post("/api/v1/checkins", json=body, headers=headers)
    assert first.json()["result"] == "ok"
    assert again.content == first.content
    assert b"+00:00" not in again.content

    other = await register(event, email="manual@example.org")
    [row] = await Registration.select(Registration.id).where(
        Registration.reference == other.reference
    )
    url = f"/api/v1/events/{event['slug']}/attendees/{row['id']}/checkin"
    manual = {"door": "Desk", "client_id": str(uuid.uuid4())}
    first = await client.post(url, json=manual, headers=headers)
    again = await client.post(url, json=manual, headers=headers)
    assert first.json()["result"] == "ok"
    assert again.content == first.content


async def test_a_scan_before_the_doors_open_admits_nobody(client: Any) -> None:
    event = await make_event(starts_at=future(days=30))
    person = await register(event, email="early@example.org")
    verdict = (await _scan(client, event, person.ticket_code)).json()
    assert verdict == {
        "result": "not_open",
        "event": {
            "starts_at": _iso(event["starts_at"]),
            "ends_at": _iso(event["ends_at"]),
            "opens_at": _iso(event["starts_at"] - timedelta(hours=2)),
            "timezone": "Europe/London",
        },
    }
    row = await Registration.select(Registration.checked_in_at).where(
        Registration.reference == person.reference
    )
    assert row == [{"checked_in_at": None}]
    [logged] = await CheckIn.select(CheckIn.verdict, CheckIn.registration)
    assert logged["verdict"] == "not_open" and logged["registration"] is not None


async def test_a_scan_after_the_end_admits_nobody(client: Any) -> None:
    event = await make_open_event()
    person = await register(event, email="late@example.org")
    ended = happening_now() - timedelta(days=1)
    await _set_times(event, ended, ended + timedelta(hours=5))
    assert (await _scan(client, event, person.ticket_code)).json()["result"] == "not_open"
    assert await Registration.count().where(Registration.checked_in_at.is_not_null()) == 0


async def _set_times(event: dict[str, Any], starts: datetime, ends: datetime) -> None:
    from events.tables import Event

    await Event.update({Event.starts_at: starts, Event.ends_at: ends}).where(
        Event.id == event["id"]
    )


async def test_the_organiser_sets_the_margin_through_the_api(client: Any) -> None:
    org = await make_org()
    organiser = await make_user("organiser", org=org)
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=90)
    event = await make_event(org, starts_at=soon)
    person = await register(event, email="soon@example.org")
    assert event["door_opens_minutes"] == 120  # by default, 2 hours before

    headers = {"authorization": f"Bearer {await token_for(organiser)}"}
    changed = await client.patch(
        f"/api/v1/events/{event['slug']}", json={"door_opens_minutes": 60}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["door_opens_minutes"] == 60
    verdict = (await _scan(client, event, person.ticket_code)).json()
    assert verdict["result"] == "not_open"
    assert verdict["event"]["opens_at"] == _iso(soon - timedelta(minutes=60))

    await client.patch(
        f"/api/v1/events/{event['slug']}", json={"door_opens_minutes": 120}, headers=headers
    )
    assert (await _scan(client, event, person.ticket_code)).json()["result"] == "ok"

    for bad in (-1, 1441, "2 hours", True):
        refused = await client.patch(
            f"/api/v1/events/{event['slug']}", json={"door_opens_minutes": bad}, headers=headers
        )
        assert refused.status_code in (400, 422), refused.text
        assert "door_opens_minutes" in refused.text


async def test_a_manual_check_in_outside_the_window_admits_nobody(client: Any) -> None:
    event = await make_event()
    headers = await _door(event)
    await register(event, email="manual@example.org")
    [row] = await Registration.select(Registration.id)
    url = f"/api/v1/events/{event['slug']}/attendees/{row['id']}/checkin"
    verdict = (await client.post(url, json={"door": "Desk"}, headers=headers)).json()
    assert verdict["result"] == "not_open" and verdict["event"]["starts_at"]
    assert await Registration.count().where(Registration.checked_in_at.is_not_null()) == 0
    assert await CheckIn.count().where(CheckIn.verdict == "not_open") == 1

    other = await make_event()
    [elsewhere] = await Registration.select(Registration.id).where(
        Registration.id == (await _person_at(other))
    )
    wrong = await client.post(
        f"/api/v1/events/{event['slug']}/attendees/{elsewhere['id']}/checkin",
        json={"door": "Desk"},
        headers=headers,
    )
    assert wrong.status_code == 404  # not this event's attendee, open or not


async def _person_at(event: dict[str, Any]) -> int:
    result = await register(event, email=f"p{uuid.uuid4().hex[:6]}@example.org")
    [row] = await Registration.select(Registration.id).where(
        Registration.reference == result.reference
    )
    return int(row["id"])


async def test_a_synced_offline_scan_is_judged_by_when_it_was_scanned(client: Any) -> None:
    """Scanned during the fair, sent after it: admitted (the device's time counts)."""
    event = await make_open_event()
    person = await register(event, email="synced@example.org")
    scanned = datetime.now(UTC) - timedelta(minutes=5)
    await _set_times(event, event["starts_at"] - timedelta(hours=2), scanned + timedelta(minutes=1))
    ok = await _scan(client, event, person.ticket_code, scanned_at=scanned.isoformat())
    assert ok.json()["result"] == "ok"


async def test_the_offline_bundle_carries_the_window(client: Any) -> None:
    event = await make_event()
    bundle = await client.get(
        f"/api/v1/events/{event['slug']}/offline-bundle", headers=await _door(event)
    )
    assert bundle.json()["window"] == {
        "opens_at": _iso(event["starts_at"] - timedelta(hours=2)),
        "closes_at": _iso(event["ends_at"]),
        "starts_at": _iso(event["starts_at"]),
        "ends_at": _iso(event["ends_at"]),
        "timezone": "Europe/London",
    }


async def test_the_organiser_sets_the_margin_on_the_event_form(client: Any) -> None:
    from events.forms import form_values
    from events.services import get_event, get_slots
    from tests.factories import login, post_form

    org = await make_org()
    await login(client, await make_user("organiser", org=org))
    event = await make_event(org)
    url = f"/organiser/events/{event['slug']}/edit"
    values = form_values(event, await get_slots(event["id"]), event["timezone"])
    assert values["door_opens_minutes"] == "120"
    for bad in ("-5", "1441", "two hours"):
        refused = await post_form(client, url, {**values, "door_opens_minutes": bad})
        assert refused.status_code == 400 and 'href="#door_opens_minutes"' in refused.text
    saved = await post_form(client, url, {**values, "door_opens_minutes": "45"})
    assert saved.status_code in (302, 303), saved.text
    assert (await get_event(event["slug"]))["door_opens_minutes"] == 45
