"""Walk-up registration at the door: "No particular slot", words for staff, an
optional email (NULL, still one registration per email per event), the ticket on
screen and printable, and everything downstream that used to assume an email."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from events.services import set_status
from exhibitors.leads.retention import erase_registrations
from exhibitors.leads.survey import send_follow_ups
from fairground.errors import Conflict
from fairground.tables import OutboxMessage
from registrations.services import RegistrationInput, register_attendee
from registrations.tables import CheckIn, Registration
from tests.factories import (
    add_door,
    csrf_from,
    future,
    login,
    make_open_event,
    make_user,
    token_for,
)
from tests.registrations.helpers import decode_svg, outbox, register

ROOT = Path(__file__).resolve().parents[2]


async def _door(client: Any, event: dict[str, Any]) -> dict[str, Any]:
    user = await make_user("door")
    await add_door(event["id"], user["id"])
    await login(client, user)
    return user


async def _walk_up(client: Any, event: dict[str, Any], **fields: str) -> Any:
    url = f"/door/events/{event['slug']}/walk-up"
    form = await client.get(url)
    data = {"name": "", "email": "", "slot_id": "", "door": "Main entrance", **fields}
    return await client.post(url, data={**data, "_csrf_token": csrf_from(form.text)})


def _slots(start: Any) -> list[dict[str, Any]]:
    hour = timedelta(hours=1)
    return [
        {"starts_at": start, "ends_at": start + hour, "capacity": 10},
        {"starts_at": start + hour, "ends_at": start + 2 * hour, "capacity": 10},
    ]


async def test_no_particular_slot_registers_and_checks_in(client: Any) -> None:
    """The form offers "No particular slot"; the booking rule (a slot is required when
    the event has slots) refused it. Someone at the door has already arrived."""
    event = await make_open_event()
    event = await make_open_event(starts_at=event["starts_at"], slots=_slots(event["starts_at"]))
    await _door(client, event)
    form = await client.get(f"/door/events/{event['slug']}/walk-up")
    assert '<option value="" selected>No particular slot</option>' in re.sub(r"\s+", " ", form.text)
    response = await _walk_up(client, event, name="Sam Walker", email="sam@example.org")
    assert response.status_code == 303, response.text
    row = await Registration.select().where(Registration.email == "sam@example.org").first()
    assert row is not None and row["slot"] is None and row["checked_in_at"] is not None


async def test_the_form_speaks_to_staff(client: Any) -> None:
    event = await make_open_event()
    await _door(client, event)
    form = await client.get(f"/door/events/{event['slug']}/walk-up")
    assert "Attendee&#39;s full name" in form.text or "Attendee's full name" in form.text
    assert "(optional)" in form.text
    empty = await _walk_up(client, event, email="not an email")
    assert empty.status_code == 400
    text = empty.text.replace("&#39;", "'")
    assert "Enter the attendee's full name" in text and 'href="#name"' in text
    assert "Enter the attendee's email address in the correct format" in text
    assert 'href="#email"' in text
    assert await Registration.count() == 0


async def test_without_an_email_the_ticket_is_shown_and_printable(client: Any) -> None:
    event = await make_open_event()
    await _door(client, event)
    response = await _walk_up(client, event, name="Zofia Nowak")
    assert response.status_code == 303, response.text
    row = await Registration.select().where(Registration.name == "Zofia Nowak").first()
    assert row is not None and row["email"] is None and row["checked_in_at"] is not None
    assert response.headers["location"] == (
        f"/door/events/{event['slug']}/tickets/{row['reference']}?done=walk_up"
    )
    ticket = await client.get(response.headers["location"])
    assert ticket.status_code == 200
    assert "Zofia Nowak is registered and checked in" in ticket.text
    assert row["reference"] in ticket.text and "Print the ticket" in ticket.text
    svg = re.search(r"<svg[^>]*>.*?</svg>", ticket.text, re.S)
    assert svg is not None and decode_svg(svg.group(0).encode("ascii")) == row["ticket_code"]
    assert await OutboxMessage.count() == 0  # no one to email
    css = (ROOT / "static" / "build" / "app.css").read_text()
    assert re.search(r"@media print\{[^@]*\.app-ticket", css), "no print style for the ticket"

    again = await _walk_up(client, event, name="Another Walker")  # NULLs never clash
    assert again.status_code == 303, again.text
    assert await Registration.count().where(Registration.email.is_null()) == 2


async def test_an_email_is_still_one_registration_per_event(client: Any) -> None:
    event = await make_open_event()
    await register(event, email="taken@example.org")
    await _door(client, event)
    response = await _walk_up(client, event, name="Sam", email="TAKEN@example.org")
    assert response.status_code == 400
    assert "already registered" in response.text and 'href="#email"' in response.text
    data = RegistrationInput(name="Direct", email="taken@example.org")
    again = await register_attendee(event["slug"], RegistrationInput(name="N", email=None))
    assert again.status == "confirmed"
    with pytest.raises(Conflict) as refused:
        await register_attendee(event["slug"], data)
    assert refused.value.code == "already_registered"
    assert await Registration.count().where(Registration.email == "taken@example.org") == 1


async def test_the_ticket_page_is_only_for_walk_ups_without_an_email(client: Any) -> None:
    event, other = await make_open_event(), await make_open_event()
    emailed = await register(event, email="emailed@example.org")
    await _door(client, event)
    assert (
        await client.get(f"/door/events/{event['slug']}/tickets/{emailed.reference}")
    ).status_code == 404
    elsewhere = await register_attendee(other["slug"], RegistrationInput(name="X", email=None))
    url = f"/door/events/{event['slug']}/tickets/{elsewhere.reference}"
    assert (await client.get(url)).status_code == 404


async def test_before_the_doors_open_no_one_is_registered(client: Any) -> None:
    event = await make_open_event(starts_at=future(days=3))
    await _door(client, event)
    form = await client.get(f"/door/events/{event['slug']}/walk-up")
    assert 'id="door-not-open"' in form.text and "Register and check in" not in form.text
    response = await _walk_up(client, event, name="Too Early", email="early@example.org")
    assert response.status_code == 409
    assert 'id="door-not-open"' in response.text
    assert await Registration.count() == 0
    for page in ("", "/find"):  # the door's home and the search say it too
        shown = await client.get(f"/door/events/{event['slug']}{page}")
        assert 'id="door-not-open"' in shown.text and "doors open" in shown.text
    opened = await make_open_event()
    await _door(client, opened)
    assert 'id="door-not-open"' not in (await client.get(f"/door/events/{opened['slug']}")).text


async def test_a_registration_without_an_email_is_found_exported_and_erased(client: Any) -> None:
    event = await make_open_event()
    staff = await _door(client, event)
    await _walk_up(client, event, name="Nadia Noemail")
    await register(event, name="Nadia Withemail", email="nadia@example.org")
    headers = {"authorization": f"Bearer {await token_for(staff)}"}
    base = f"/api/v1/events/{event['slug']}"
    found = await client.post(f"{base}/attendees/search", json={"q": "nadia"}, headers=headers)
    assert found.status_code == 200
    assert {r["name"] for r in found.json()} == {"Nadia Noemail", "Nadia Withemail"}
    by_typo = await client.post(f"{base}/attendees/search", json={"q": "noemial"}, headers=headers)
    assert [r["name"] for r in by_typo.json()] == ["Nadia Noemail"]
    bundle = await client.get(f"{base}/offline-bundle", headers=headers)
    assert "Nadia Noemail" in {t["name"] for t in bundle.json()["tickets"]}
    stats = await client.get(f"{base}/checkins/stats", headers=headers)
    assert stats.json()["checked_in"] == 1

    await set_status(event["slug"], "closed")
    assert await send_follow_ups() == 1  # only the one with an address is asked
    assert [m["To"] for m in await outbox("leads_follow_up")] == ["nadia@example.org"]
    ids = [r["id"] for r in await Registration.select(Registration.id)]
    assert await erase_registrations(ids) == 2
    assert await CheckIn.count() == 1
