"""The registrations API (API.md) and the attendee's files, through the HTTP client."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from events.tables import Slot
from registrations.tickets import verify_ticket
from tests.factories import future, make_event
from tests.registrations.helpers import (
    NAMES,
    assert_invite,
    decode_png,
    decode_svg,
    outbox,
    parts,
    raw,
)


def url(event: dict[str, Any]) -> str:
    return f"/api/v1/events/{event['slug']}/registrations"


async def test_register_returns_the_ticket_and_links(client: Any) -> None:
    event = await make_event(capacity=1)
    response = await client.post(url(event), json=raw(home_council="E07000220"))
    assert response.status_code == 201, response.text
    body = response.json()
    token = body["manage_token"]
    assert set(body) == {"reference", "status", "ticket_code", "manage_token", "links"}
    assert body["status"] == "confirmed"
    assert verify_ticket(body["ticket_code"]) is not None
    assert body["links"] == {
        "manage": f"/r/{token}",
        "qr_svg": f"/r/{token}/ticket.svg",
        "qr_png": f"/r/{token}/ticket.png",
        "ics": f"/r/{token}/invite.ics",
        "ticket_pdf": f"/r/{token}/ticket.pdf",  # issue 16: the printable ticket
    }
    assert "no-store" in response.headers["cache-control"]
    waiting = await client.post(url(event), json=raw(email="second@example.org"))
    assert waiting.status_code == 201
    assert waiting.json()["status"] == "waitlisted" and waiting.json()["ticket_code"] is None


async def test_same_email_is_409_without_a_ticket_and_resends(client: Any) -> None:
    event = await make_event()
    first = await client.post(url(event), json=raw())
    assert first.status_code == 201
    second = await client.post(url(event), json=raw(email="Amira@Example.org"))
    assert second.status_code == 409
    body = second.json()
    assert body["error"] == "already_registered"
    assert first.json()["ticket_code"] not in second.text
    assert first.json()["manage_token"] not in second.text
    assert len(await outbox("registration_confirmation", "amira@example.org")) == 2


async def test_closed_event_is_409(client: Any) -> None:
    event = await make_event(status="draft")
    response = await client.post(url(event), json=raw(name=""))
    assert response.status_code == 409
    assert response.json()["error"] == "registration_closed"


async def test_unknown_event_is_404(client: Any) -> None:
    response = await client.post("/api/v1/events/no-such-fair/registrations", json=raw())
    assert response.status_code == 404


async def test_422_names_every_bad_field(client: Any) -> None:
    event = await make_event(
        slots=[{"starts_at": future(), "ends_at": future() + timedelta(hours=1), "capacity": 5}]
    )
    body = raw(
        name="",
        email="nope",
        postcode="123",
        phone="abc",
        home_council="XX",
        interests=["nope"],
        consent={"councils": ["nope"], "job_alerts": False},
    )
    response = await client.post(url(event), json=body)
    assert response.status_code == 422
    fields = response.json()["fields"]
    assert set(fields) == {
        "name",
        "email",
        "postcode",
        "phone",
        "home_council",
        "interests",
        "slot_id",
        "consent.councils",
    }
    words = {
        "name": "name",
        "email": "email",
        "postcode": "postcode",
        "phone": "telephone",
        "home_council": "council",
        "interests": "job famil",
        "slot_id": "entry time",
        "consent.councils": "councils",
    }
    for field, message in fields.items():
        assert words[field] in message.lower(), (field, message)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": 5}, "name"),
        ({"slot_id": "one"}, "slot_id"),
        ({"interests": "digital"}, "interests"),
        ({"consent": {"job_alerts": "maybe"}}, "consent.job_alerts"),
        ({"surprise": 1}, None),
    ],
)
async def test_wrong_types_are_4xx_never_5xx(
    client: Any, body: dict[str, Any], field: str | None
) -> None:
    event = await make_event()
    response = await client.post(url(event), json={**raw(), **body})
    assert response.status_code in (400, 422), response.text
    if field:
        assert field in response.json().get("fields", {}), response.text


async def test_non_json_bodies_are_refused(client: Any) -> None:
    event = await make_event()
    response = await client.post(
        url(event),
        content=b"name=Amira&email=a@example.org",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code in (400, 415)
    broken = await client.post(
        url(event), content=b"{not json", headers={"content-type": "application/json"}
    )
    assert broken.status_code == 400
    assert broken.json()["error"] == "bad_request"


async def test_oversized_body_is_413(client: Any) -> None:
    event = await make_event()
    huge = json.dumps(raw(access_needs="x" * 1_100_000)).encode()
    response = await client.post(
        url(event), content=huge, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"] == "body_too_large"


async def test_read_and_cancel(client: Any) -> None:
    event = await make_event(capacity=1)
    first = (await client.post(url(event), json=raw())).json()
    second = (await client.post(url(event), json=raw(email="two@example.org"))).json()
    read = await client.get(f"/api/v1/registrations/{first['manage_token']}")
    assert read.status_code == 200
    body = read.json()
    assert body["status"] == "confirmed" and body["reference"] == first["reference"]
    assert body["event"]["slug"] == event["slug"] and body["slot"] is None
    assert body["links"]["google"].startswith("https://calendar.google.com/")
    cancelled = await client.post(f"/api/v1/registrations/{first['manage_token']}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["ticket_code"] is None
    again = await client.post(f"/api/v1/registrations/{first['manage_token']}/cancel")
    assert again.status_code == 200
    promoted = await client.get(f"/api/v1/registrations/{second['manage_token']}")
    assert promoted.json()["status"] == "confirmed"
    assert verify_ticket(promoted.json()["ticket_code"]) is not None
    assert (await client.get("/api/v1/registrations/unknown")).status_code == 404
    assert (await client.post("/api/v1/registrations/unknown/cancel")).status_code == 404


async def test_ticket_images_decode_and_invite_parses(client: Any) -> None:
    start = future()
    event = await make_event(
        slots=[{"starts_at": start, "ends_at": start + timedelta(hours=1), "capacity": 5}]
    )
    slot_id = (await Slot.select(Slot.id).first())["id"]
    body = (await client.post(url(event), json=raw(slot_id=slot_id))).json()
    png = await client.get(body["links"]["qr_png"])
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert decode_png(png.content) == body["ticket_code"]
    svg = await client.get(body["links"]["qr_svg"])
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert decode_svg(svg.content) == body["ticket_code"]
    ics = await client.get(body["links"]["ics"])
    assert ics.headers["content-type"].startswith("text/calendar")
    read = (await client.get(f"/api/v1/registrations/{body['manage_token']}")).json()
    assert read["slot"]["id"] == slot_id
    vevent = assert_invite(ics.content, "REQUEST", _uid(ics.content), 0)
    assert vevent["DTSTART"].dt == start
    await client.post(f"/api/v1/registrations/{body['manage_token']}/cancel")
    cancelled = await client.get(body["links"]["ics"])
    assert_invite(cancelled.content, "CANCEL", _uid(ics.content), 1)
    assert (await client.get(body["links"]["qr_png"])).status_code == 404
    assert (await client.get(body["links"]["qr_svg"])).status_code == 404


def _uid(data: bytes) -> str:
    from tests.registrations.helpers import parse_ics

    return str(parse_ics(data)[1]["UID"])


async def test_waitlisted_has_no_ticket_files(client: Any) -> None:
    event = await make_event(capacity=1)
    await client.post(url(event), json=raw())
    body = (await client.post(url(event), json=raw(email="two@example.org"))).json()
    for link in ("qr_png", "qr_svg", "ics"):
        assert (await client.get(body["links"][link])).status_code == 404


@pytest.mark.parametrize("script", list(NAMES))
async def test_names_in_any_script_end_to_end(client: Any, script: str) -> None:
    name = NAMES[script]
    event = await make_event(title=f"Fair {name}")
    response = await client.post(url(event), json=raw(name=name))
    assert response.status_code == 201, response.text
    body = response.json()
    read = await client.get(f"/api/v1/registrations/{body['manage_token']}")
    assert read.json()["name"] == name
    assert name.encode() in read.content  # UTF-8 on the wire, not \u escapes
    [mail] = await outbox("registration_confirmation")
    assert name in mail["Subject"]
    found = parts(mail)
    assert name in found["text"] and name in found["html"]
    assert decode_png(found["png"]) == body["ticket_code"]
    ics = (await client.get(body["links"]["ics"])).content
    vevent = assert_invite(ics, "REQUEST", _uid(ics), 0)
    assert vevent["ATTENDEE"].params["CN"] == name
    assert str(vevent["SUMMARY"]) == f"Fair {name}"
    assert decode_svg((await client.get(body["links"]["qr_svg"])).content) == body["ticket_code"]


async def test_html_in_a_name_is_escaped_in_email(client: Any) -> None:
    event = await make_event()
    response = await client.post(url(event), json=raw(name="<b>Bold</b> & co"))
    assert response.status_code == 201
    [mail] = await outbox("registration_confirmation")
    html = parts(mail)["html"]
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in html and "<b>Bold" not in html


async def test_rate_limit_applies_to_registration(monkeypatch: Any) -> None:
    from litestar.testing import AsyncTestClient

    from app import create_app
    from fairground.settings import load_settings

    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "2")
    event = await make_event()
    async with AsyncTestClient(
        app=create_app(load_settings()), base_url="http://testserver.local"
    ) as limited:
        codes = [
            (await limited.post(url(event), json=raw(email=f"r{n}@example.org"))).status_code
            for n in range(3)
        ]
    assert codes == [201, 201, 429]
