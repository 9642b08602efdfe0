"""Door pages through the test client: guards, scanner page, manual check-in and
undo, walk-up registration, the live dashboard and its Server-Sent Events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from fairground.tables import AuditLog
from registrations.door_pages import chart_bars
from registrations.tables import CheckIn, Registration
from tests.factories import (
    add_door,
    csrf_from,
    login,
    make_open_event,
    make_org,
    make_user,
    token_for,
)
from tests.registrations.helpers import register
from tests.servers import app_in_loop


async def door_user(event: dict[str, Any]) -> dict[str, Any]:
    user = await make_user("door")
    await add_door(event["id"], user["id"])
    return user


async def registration(reference: str) -> dict[str, Any]:
    row = await Registration.select().where(Registration.reference == reference).first()
    assert row is not None
    return row


async def test_door_staff_of_another_event_get_403(client: Any) -> None:
    event, other = await make_open_event(), await make_open_event()
    await login(client, await door_user(other))
    for path in ("scan", "find", "walk-up"):
        response = await client.get(f"/door/events/{event['slug']}/{path}")
        assert response.status_code == 403, path
    response = await client.get(f"/organiser/events/{event['slug']}/door")
    assert response.status_code == 403


async def test_signed_out_is_sent_to_sign_in(client: Any) -> None:
    event = await make_open_event()
    response = await client.get(f"/door/events/{event['slug']}/scan")
    assert response.status_code in (302, 303)
    assert response.headers["location"].startswith("/login")


async def test_scanner_page_allows_wasm_only_there(client: Any) -> None:
    event = await make_open_event()
    await login(client, await door_user(event))
    scan = await client.get(f"/door/events/{event['slug']}/scan")
    assert scan.status_code == 200
    assert "'wasm-unsafe-eval'" in scan.headers["content-security-policy"]
    assert "unsafe-inline" not in scan.headers["content-security-policy"]
    assert 'id="scanner-texts"' in scan.text and "Not a valid ticket" in scan.text
    home = await client.get(f"/door/events/{event['slug']}")
    assert "wasm-unsafe-eval" not in home.headers["content-security-policy"]
    assert f"/door/events/{event['slug']}/scan" in home.text


async def test_service_worker_is_served_for_the_door_scope(client: Any) -> None:
    response = await client.get("/door/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["service-worker-allowed"] == "/door/"


async def test_find_check_in_and_undo_through_the_forms(client: Any) -> None:
    event = await make_open_event()
    ticket = await register(event, name="Amira Khan", access_needs="BSL interpreter")
    user = await door_user(event)
    await login(client, user)
    find = f"/door/events/{event['slug']}/find"
    form = await client.get(find)
    assert 'method="post"' in form.text and ticket.reference not in form.text
    # A typo still finds her; the name goes in the body, never the URL.
    page = await client.post(find, data={"_csrf_token": csrf_from(form.text), "q": "amria"})
    assert page.status_code == 200
    assert ticket.reference in page.text and "BSL interpreter" in page.text
    row = await registration(ticket.reference)

    done = await client.post(
        f"/door/events/{event['slug']}/attendees/{row['id']}/checkin",
        data={"_csrf_token": csrf_from(page.text), "door": "Side door"},
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"{find}?done=ok&ref={ticket.reference}"
    assert (await registration(ticket.reference))["checked_in_door"] == "Side door"

    page = await client.get(done.headers["location"])
    assert 'data-done="ok"' in page.text and "Undo" in page.text
    assert "Amira Khan is checked in" in page.text
    undone = await client.post(
        f"/door/events/{event['slug']}/attendees/{row['id']}/undo",
        data={"_csrf_token": csrf_from(page.text), "door": "Side door"},
    )
    assert undone.headers["location"] == f"{find}?done=undone&ref={ticket.reference}"
    assert (await registration(ticket.reference))["checked_in_at"] is None
    verdicts = await CheckIn.select(CheckIn.verdict).order_by(CheckIn.id)
    assert [v["verdict"] for v in verdicts] == ["ok", "undone"]
    audit = await AuditLog.select().where(AuditLog.action == "check_in_undone")
    assert len(audit) == 1


async def test_check_in_form_needs_csrf(client: Any) -> None:
    event = await make_open_event()
    ticket = await register(event)
    await login(client, await door_user(event))
    row = await registration(ticket.reference)
    response = await client.post(
        f"/door/events/{event['slug']}/attendees/{row['id']}/checkin", data={"door": "x"}
    )
    assert response.status_code == 403
    assert (await registration(ticket.reference))["checked_in_at"] is None


async def test_walk_up_registers_and_checks_in(client: Any) -> None:
    event = await make_open_event()
    await login(client, await door_user(event))
    url = f"/door/events/{event['slug']}/walk-up"
    form = await client.get(url)
    response = await client.post(
        url,
        data={
            "_csrf_token": csrf_from(form.text),
            "name": "Sam Walker",
            "email": "sam@example.org",
            "door": "Main entrance",
        },
    )
    assert response.status_code == 303, response.text
    row = await Registration.select().where(Registration.email == "sam@example.org").first()
    location = f"/door/events/{event['slug']}/find?done=walk_up&ref={row['reference']}"
    assert response.headers["location"] == location  # the reference, not the name
    shown = await client.get(location)
    assert "Sam Walker is registered and checked in" in shown.text
    assert row["status"] == "confirmed"
    assert row["checked_in_at"] is not None and row["checked_in_door"] == "Main entrance"


async def test_walk_up_errors_name_the_fields(client: Any) -> None:
    event = await make_open_event()
    await login(client, await door_user(event))
    url = f"/door/events/{event['slug']}/walk-up"
    form = await client.get(url)
    response = await client.post(
        url, data={"_csrf_token": csrf_from(form.text), "name": "", "email": "nope"}
    )
    assert response.status_code == 400
    assert 'href="#name"' in response.text and 'href="#email"' in response.text


async def test_walk_up_when_full_says_so_and_registers_nobody(client: Any) -> None:
    event = await make_open_event(capacity=1)
    await register(event, email="first@example.org")
    await login(client, await door_user(event))
    url = f"/door/events/{event['slug']}/walk-up"
    form = await client.get(url)
    assert 'id="event-full"' in form.text
    response = await client.post(
        url,
        data={"_csrf_token": csrf_from(form.text), "name": "Late", "email": "late@example.org"},
    )
    assert response.status_code == 409
    assert 'id="event-full"' in response.text
    assert await Registration.count().where(Registration.email == "late@example.org") == 0


async def test_dashboard_shows_the_numbers(client: Any) -> None:
    org = await make_org()
    event = await make_open_event(org)
    tickets = [await register(event, email=f"p{n}@example.org") for n in range(3)]
    door = await door_user(event)
    token = await token_for(door)
    for ticket, gate in zip(tickets[:2], ("North", "South"), strict=True):
        response = await client.post(
            "/api/v1/checkins",
            json={"code": ticket.ticket_code, "event": event["slug"], "door": gate},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.json()["result"] == "ok"
    await login(client, await make_user("organiser", org=org))
    page = await client.get(f"/organiser/events/{event['slug']}/door")
    assert page.status_code == 200
    assert 'data-checked-in="2" data-confirmed="3"' in page.text
    assert "North" in page.text and "South" in page.text
    assert '<svg class="app-chart"' in page.text and 'id="door-per-quarter"' in page.text
    panel = await client.get(f"/organiser/events/{event['slug']}/door/panel")
    assert 'data-checked-in="2"' in panel.text and "<html" not in panel.text


def test_chart_bars_scale_to_the_busiest_quarter() -> None:
    series = [
        {"start": "2030-01-01T10:00:00+00:00", "count": 4},
        {"start": "2030-01-01T10:15:00+00:00", "count": 0},
        {"start": "2030-01-01T10:30:00+00:00", "count": 2},
    ]
    bars = chart_bars(series, "Europe/London")
    assert [b["count"] for b in bars] == [4, 0, 2]
    assert bars[0]["height"] == 2 * bars[2]["height"] and bars[1]["height"] == 0
    assert [b["label"] for b in bars] == ["10am", "10:15am", "10:30am"]


# --- Server-Sent Events: a real server, since the test client buffers whole bodies.


@pytest.fixture
async def server() -> AsyncIterator[str]:
    """The app under uvicorn in this test's event loop, on a free loopback port."""
    from app import create_app

    async with app_in_loop(create_app()) as url:
        yield url


async def _next_event(lines: AsyncIterator[str]) -> tuple[str, str]:
    event = data = ""
    async for line in lines:
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            data = line.split(":", 1)[1].strip()
        elif not line and event:
            return event, data
    raise AssertionError("the stream ended")


async def test_sse_emits_an_event_after_a_check_in(server: str) -> None:
    org = await make_org()
    event = await make_open_event(org)
    ticket = await register(event)
    organiser = await token_for(await make_user("organiser", org=org))
    door = await token_for(await door_user(event))
    async with httpx.AsyncClient(base_url=server, timeout=5) as http:
        url = f"/organiser/events/{event['slug']}/door/events"
        headers = {"Authorization": f"Bearer {organiser}"}
        async with http.stream("GET", url, headers=headers) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.aiter_lines()
            assert await asyncio.wait_for(lines.__anext__(), 5) == ": connected"
            scan = await http.post(
                "/api/v1/checkins",
                json={"code": ticket.ticket_code, "event": event["slug"], "door": "Main"},
                headers={"Authorization": f"Bearer {door}"},
            )
            assert scan.json()["result"] == "ok"
            kind, data = await asyncio.wait_for(_next_event(lines), 5)
    assert kind == "checkin" and '"ok"' in data


async def test_api_search_by_post_keeps_the_name_out_of_the_url(client: Any) -> None:
    event = await make_open_event()
    ticket = await register(event, name="Amira Khan", access_needs="BSL interpreter")
    headers = {"Authorization": f"Bearer {await token_for(await door_user(event))}"}
    base = f"/api/v1/events/{event['slug']}/attendees"
    found = await client.post(f"{base}/search", json={"q": "amria"}, headers=headers)
    assert found.status_code == 200
    [hit] = found.json()
    assert (hit["name"], hit["reference"], hit["checked_in"]) == (
        "Amira Khan",
        ticket.reference,
        False,
    )
    old = await client.get(base, params={"q": "amria"}, headers=headers)  # still works
    assert old.json() == found.json()
    too_long = await client.post(f"{base}/search", json={"q": "x" * 101}, headers=headers)
    assert too_long.status_code == 422 and "q" in too_long.json()["fields"]
    operations = (await client.get("/schema/openapi.json")).json()["paths"]
    assert operations["/api/v1/events/{slug}/attendees"]["get"]["deprecated"] is True
    assert "post" in operations["/api/v1/events/{slug}/attendees/search"]
