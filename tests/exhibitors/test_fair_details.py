"""Approved exhibitors are told when and where: the fair's date, venue, set-up and
arrival times, in the approval email (its text part keeps its lines) and the portal."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email.policy import default as default_policy
from typing import Any

from events.tables import Event
from exhibitors.services import Decision, decide_exhibitor
from tests.exhibitors.helpers import apply, make_stand, make_subscriber, outbox, text_of
from tests.factories import login, make_event, make_org, make_user

STARTS = datetime(2031, 1, 16, 10, tzinfo=UTC)  # winter: London is on UTC


async def _approved(message: str = "") -> dict[str, Any]:
    org = await make_org("West Midlands Employers", contact_email="fairs@wme.example")
    event = await make_event(org, starts_at=STARTS, venue_address="Centenary Square\nBroad Street")
    await Event.update(
        {
            Event.exhibitor_setup_at: STARTS.replace(hour=8),
            Event.exhibitor_arrive_by: STARTS.replace(hour=9, minute=30),
        }
    ).where(Event.id == event["id"])
    await make_subscriber()
    await make_stand(event["id"], "A1")
    exhibitor_id = await apply(event)
    organiser = await make_user("organiser", org=org)
    choice = Decision("approve", "A1", message)
    await decide_exhibitor(event["id"], exhibitor_id, choice, organiser["id"])
    return {"event": event, "exhibitor_id": exhibitor_id}


async def test_the_approval_email_says_when_and_where_line_by_line() -> None:
    await _approved("Parking is behind the library.\nUnload at the side door.")
    [row] = await outbox("exhibitor_decision")
    text = text_of(row)
    lines = text.splitlines()
    assert "When: Thursday 16 January 2031, 10am to 3pm" in lines
    assert "Where: Library of Birmingham, Centenary Square, Broad Street, B1 2ND" in lines
    assert "Set-up opens: 16 January 2031, 8am" in lines
    assert "Be at your stand by: 16 January 2031, 9:30am" in lines
    assert "Questions: fairs@wme.example" in lines
    # Each sentence on its own line: a template tag at a line's end no longer joins two.
    assert any(line.endswith("Your stand is A1.") for line in lines)
    assert "Parking is behind the library." in lines and "Unload at the side door." in lines
    assert not any("A1.A message" in line or "library.Unload" in line for line in lines)
    message = email.message_from_bytes(row["payload"], policy=default_policy)
    assert message["Reply-To"] == "West Midlands Employers <fairs@wme.example>"
    html = message.get_body(preferencelist=("html",))  # type: ignore[attr-defined]
    assert "9:30am" in str(html.get_content())


async def test_the_portal_shows_the_fair_details(client: Any) -> None:
    fair = await _approved()
    from exhibitors.tables import ExhibitorStaff

    staff = await make_user("exhibitor")
    await ExhibitorStaff.insert(ExhibitorStaff(exhibitor=fair["exhibitor_id"], user=staff["id"]))
    await login(client, staff)
    page = await client.get(f"/exhibitor/{fair['exhibitor_id']}")
    assert page.status_code == 200
    details = page.text.split('data-testid="fair-details"', 1)[1].split("</dl>", 1)[0]
    for words in (
        "Thursday 16 January 2031, 10am to 3pm",
        "Library of Birmingham<br>Centenary Square\nBroad Street<br>B1 2ND",
        "16 January 2031, 8am",
        "16 January 2031, 9:30am",
        "mailto:fairs@wme.example",
    ):
        assert words in details, words
