"""No personal data in logs, in the URLs of staff pages, or in QR codes.

The log test runs a realistic day through the live server (uvicorn, access log on,
its output in a file beside VAR_DIR) and through `fair worker` against a real SMTP
server on loopback that refuses one recipient by address, as servers do; then no
attendee's name, email, phone or postcode may appear in either output, in any
spelling a URL would give it.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest

from exhibitors.leads.schemas import LeadIn
from exhibitors.leads.services import capture_lead
from fairground.tables import OutboxMessage
from registrations.tables import Registration
from registrations.tickets import verify_ticket
from tests.factories import (
    add_door,
    add_staff,
    csrf_from,
    login,
    make_event,
    make_exhibitor,
    make_open_event,
    make_org,
    make_user,
    token_for,
)
from tests.leads.helpers import RUGBY, route_all
from tests.registrations.helpers import decode_png, decode_svg, outbox, parts, register
from tests.servers import smtp_server

ROOT = Path(__file__).resolve().parents[2]
# Three attendees whose every detail is easy to spot in a log.
ZEB = {
    "name": "Zebedee Quillfeather",
    "email": "zebedee.quillfeather@example.org",
    "phone": "07700 900461",
    "postcode": "CV21 3QX",
}
OTTO = {
    "name": "Ottoline Brackenbury",
    "email": "ottoline.brackenbury@example.org",
    "phone": "07700 900462",
    "postcode": "B15 2TT",
}
PERRY = {"name": "Peregrine Wolstenholme", "email": "perry.wolstenholme@example.org"}
TICKET_CODE = re.compile(r"FG1\.[A-Za-z0-9_-]{1,16}\.[A-Za-z0-9_-]{2,16}\.[A-Za-z0-9_-]{86}")


def spellings(value: str) -> set[str]:
    """The value as it could appear in a log line: as typed, URL-encoded, without spaces."""
    lower = value.lower()
    return {lower, quote(lower), quote_plus(lower), lower.replace(" ", ""), quote(lower, safe="")}


FORBIDDEN = {s for person in (ZEB, OTTO, PERRY) for v in person.values() for s in spellings(v)}
# Each surname alone too, and the local part of each email.
FORBIDDEN |= {p["name"].split()[-1].lower() for p in (ZEB, OTTO, PERRY)}
FORBIDDEN |= {p["email"].split("@")[0] for p in (ZEB, OTTO, PERRY)}


def leaks(text: str) -> list[str]:
    lower = text.lower()
    return sorted(s for s in FORBIDDEN if s in lower)


# --- the day, through the live server -------------------------------------------------


async def _staff() -> dict[str, Any]:
    org = await make_org()
    event = await make_open_event(org)
    door, organiser = await make_user("door"), await make_user("organiser", org=org)
    await add_door(event["id"], door["id"])
    exhibitor_id = await make_exhibitor(event["id"])
    stand = await make_user("exhibitor")
    await add_staff(exhibitor_id, stand["id"])
    return {
        "event": event,
        "door": door,
        "organiser": organiser,
        "exhibitor_id": exhibitor_id,
        "stand": stand,
        "door_token": await token_for(door),
        "stand_token": await token_for(stand),
    }


async def _sign_in(http: httpx.AsyncClient, user: dict[str, Any]) -> None:
    await login(http, user)  # the password, and the security code where it is on


async def _attendee_journey(http: httpx.AsyncClient, slug: str) -> str:
    """Zebedee registers through the pages and looks at his ticket; returns his token."""
    base = f"/events/{slug}/register"
    token = csrf_from((await http.get(base)).text)
    steps = [
        (base, {**ZEB, "home_council": RUGBY}),
        (
            f"{base}/interests",
            {"interests": ["digital"], "consent_councils": [RUGBY], "job_alerts": "no"},
        ),
        (f"{base}/access", {"access": ["bsl"], "access_other": "Seat near the door"}),
        (f"{base}/equality", {"skip": "1"}),
        (f"{base}/check", {}),
    ]
    for url, data in steps:
        response = await http.post(url, data={**data, "_csrf_token": token})
        assert response.status_code == 303, (url, response.text[:500])
    manage = response.headers["location"].removesuffix("/confirmation")
    for path in ("/confirmation", "", "/ticket.png", "/ticket.svg", "/invite.ics", "/data"):
        assert (await http.get(manage + path)).status_code == 200, path
    return manage.removeprefix("/r/")


async def _api_calls(http: httpx.AsyncClient, staff: dict[str, Any]) -> None:
    """Ottoline registers by API (then again, and once with a bad field); the door
    searches by API; the stand scans Zebedee's ticket."""
    url = f"/api/v1/events/{staff['event']['slug']}/registrations"
    body = {**OTTO, "consent": {"councils": [RUGBY], "job_alerts": False}}
    assert (await http.post(url, json=body)).status_code == 201
    assert (await http.post(url, json=body)).status_code == 409
    bad = await http.post(url, json={**body, "email": OTTO["name"]})
    assert bad.status_code == 422
    door = {"authorization": f"Bearer {staff['door_token']}"}
    search = f"/api/v1/events/{staff['event']['slug']}/attendees/search"
    found = await http.post(search, json={"q": "ottoline"}, headers=door)
    assert [r["name"] for r in found.json()] == [OTTO["name"]]


async def _door_journey(http: httpx.AsyncClient, staff: dict[str, Any]) -> list[str]:
    """Find Zebedee by name, check him in and undo, register Peregrine at the door.
    Returns every URL the pages sent the browser to or offered it."""
    await _sign_in(http, staff["door"])
    find = f"/door/events/{staff['event']['slug']}/find"
    page = await http.get(find)
    results = await http.post(find, data={"q": "quillf", "_csrf_token": csrf_from(page.text)})
    assert ZEB["name"] in results.text
    seen = urls_in(page.text) + urls_in(results.text)
    for action in re.findall(r'action="([^"]+/checkin)"', results.text)[:1]:
        done = await http.post(action, data={"_csrf_token": csrf_from(page.text), "door": "Main"})
        seen.append(done.headers["location"])
        shown = await http.get(done.headers["location"])
        assert f"{ZEB['name']} is checked in" in shown.text
        seen += urls_in(shown.text)
    walk_up = f"/door/events/{staff['event']['slug']}/walk-up"
    form = await http.get(walk_up)
    done = await http.post(walk_up, data={**PERRY, "_csrf_token": csrf_from(form.text)})
    assert done.status_code == 303, done.text[:500]
    seen.append(done.headers["location"])
    seen += urls_in((await http.get(done.headers["location"])).text)
    return seen


def urls_in(html: str) -> list[str]:
    return re.findall(r'(?:href|action|src)="([^"]*)"', html)


async def _organiser_journey(http: httpx.AsyncClient, staff: dict[str, Any]) -> list[str]:
    await _sign_in(http, staff["organiser"])
    slug = staff["event"]["slug"]
    seen: list[str] = []
    for path in ("/organiser/outbox", f"/organiser/events/{slug}/access-requests"):
        page = await http.get(path)
        assert page.status_code == 200
        seen += urls_in(page.text)
    for link in sorted({u for u in seen if re.fullmatch(r"/organiser/outbox/\d+", u)})[:3]:
        seen += urls_in((await http.get(link)).text)
    return seen


class RefusesZebedee:
    """An SMTP server that refuses one recipient by address, echoing it (as Postfix
    does: "550 5.1.1 <address>: Recipient address rejected") and keeps the rest."""

    def __init__(self) -> None:
        self.accepted: list[str] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if "quillfeather" in address:
            return f"550 5.1.1 <{address}>: Recipient address rejected: user unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.accepted.extend(envelope.rcpt_tos)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[RefusesZebedee, int]]:
    handler = RefusesZebedee()
    with smtp_server(handler) as port:
        yield handler, port


def run_worker(smtp_port: int) -> str:
    """One pass of `fair worker` (as the Procfile runs it), with its whole output."""
    env = {**os.environ, "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}"}
    done = subprocess.run(
        [sys.executable, "-m", "fairground.cli", "worker", "--once"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
        check=True,
    )
    return (done.stdout + done.stderr).decode(errors="replace")


def log_of(live_server: str) -> Path:
    port = live_server.rsplit(":", 1)[1]
    return Path(os.environ["VAR_DIR"]).parent / f"live-server-{port}.log"


async def test_a_day_leaves_no_personal_data_in_logs_or_staff_urls(
    live_server: str, smtp: tuple[RefusesZebedee, int]
) -> None:
    log, staff = log_of(live_server), await _staff()
    start = log.stat().st_size
    async with httpx.AsyncClient(base_url=live_server, timeout=10) as attendee:
        manage_token = await _attendee_journey(attendee, staff["event"]["slug"])
        await _api_calls(attendee, staff)
    row = await Registration.select().where(Registration.manage_token == manage_token).first()
    assert row is not None
    lead = LeadIn(code=row["ticket_code"], consent_given=True, notes="Keen on digital")
    await capture_lead(staff["exhibitor_id"], lead, staff["stand"]["id"])
    await route_all()
    async with httpx.AsyncClient(base_url=live_server, timeout=10) as door:
        staff_urls = await _door_journey(door, staff)
    async with httpx.AsyncClient(base_url=live_server, timeout=10) as organiser:
        staff_urls += await _organiser_journey(organiser, staff)
    assert len(staff_urls) > 20
    assert not [(u, leaks(u)) for u in staff_urls if leaks(u)], "personal data in a staff URL"

    handler, port = smtp
    worker_output = run_worker(port)
    assert OTTO["email"] in handler.accepted  # the worker did send, and Zebedee was refused
    assert ZEB["email"] not in handler.accepted
    refused = await OutboxMessage.select().where(OutboxMessage.recipient == ZEB["email"])
    assert any("550" in row["last_error"] for row in refused)  # kept in full, in the database
    assert "not sent" in worker_output, worker_output  # and logged, without the address
    assert not leaks(worker_output), worker_output

    server_log = log.read_bytes()[start:].decode(errors="replace")
    assert "POST /door/events/" in server_log and "/find HTTP/1.1" in server_log  # access log
    assert not leaks(server_log), [line for line in server_log.splitlines() if leaks(line)]


# --- QR codes ---------------------------------------------------------------------------


async def test_qr_codes_hold_the_compact_signed_code_only(client: Any) -> None:
    """The PNG and SVG on the attendee's page, and the PNG in their email, decode to
    the signed code alone: ids and a signature, nothing about the person."""
    event = await make_event()
    result = await register(event, **{k: v for k, v in ZEB.items() if k != "phone"}, phone="")
    token = result.manage_token
    payloads = [
        decode_png((await client.get(f"/r/{token}/ticket.png")).content),
        decode_svg((await client.get(f"/r/{token}/ticket.svg")).content),
    ]
    [mail] = await outbox("registration_confirmation")
    payloads.append(decode_png(parts(mail)["png"]))
    row = await Registration.select().where(Registration.manage_token == token).first()
    assert row is not None
    for payload in payloads:
        assert payload == result.ticket_code
        assert TICKET_CODE.fullmatch(payload), payload
        assert not leaks(payload) and token not in payload and row["reference"] not in payload
        claims = verify_ticket(payload)
        assert claims is not None
        assert (claims.registration_id, claims.event_id) == (row["id"], event["id"])
        ids = base64.urlsafe_b64decode(payload.split(".")[2] + "==")
        assert len(ids) <= 10  # two varints: nothing else fits
