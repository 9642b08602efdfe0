"""Organiser and public event pages, and the event ICS feed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar

from events.tables import Event, Slot
from tests.factories import login, make_event, make_org, make_user, post_form

FORM = {
    "title": "Coventry Jobs Fair",
    "description": "Jobs in Coventry",
    "venue_name": "Coventry Central Library",
    "venue_address": "Smithford Way, Coventry",
    "venue_postcode": "cv1 1fy",
    "access_notes": "Lift to all floors",
    "starts_at": "2031-03-13T10:00",
    "ends_at": "2031-03-13T15:00",
    "capacity": "300",
    "slot_1_starts_at": "2031-03-13T10:00",
    "slot_1_ends_at": "2031-03-13T12:00",
    "slot_1_capacity": "150",
    "status": "draft",
}


async def test_organiser_creates_edits_and_publishes_a_fair(client: Any) -> None:
    org = await make_org()
    await login(client, await make_user("organiser", org=org))
    created = await post_form(client, "/organiser/events/new", FORM)
    assert created.status_code == 302, created.text
    slug = "coventry-jobs-fair"
    assert created.headers["location"].startswith(f"/organiser/events/{slug}")
    event = await Event.select().where(Event.slug == slug).first()
    assert event is not None and event["status"] == "draft" and event["organisation"] == org
    assert event["venue_postcode"] == "CV1 1FY"
    # 10:00 in London in March (GMT) is 10:00 UTC.
    assert event["starts_at"] == datetime(2031, 3, 13, 10, 0, tzinfo=UTC)
    assert await Slot.count().where(Slot.event == event["id"]) == 1
    assert (await client.get(f"/events/{slug}", headers={"accept": "text/html"})).status_code == 200

    edited = await post_form(
        client,
        f"/organiser/events/{slug}/edit",
        {**FORM, "title": "Coventry Jobs Fair 2031", "capacity": "400"},
    )
    assert edited.status_code == 302, edited.text
    published = await post_form(
        client,
        f"/organiser/events/{slug}/status",
        {"status": "published"},
        page_url=f"/organiser/events/{slug}",
    )
    assert published.status_code == 302
    row = await Event.select().where(Event.slug == slug).first()
    assert row is not None and row["status"] == "published" and row["capacity"] == 400
    public = await client.get("/")
    assert "Coventry Jobs Fair 2031" in public.text


async def test_form_errors_name_each_field(client: Any) -> None:
    await login(client, await make_user("organiser", org=await make_org()))
    bad = {
        **FORM,
        "title": "",
        "venue_postcode": "nonsense",
        "starts_at": "31/02/2031",
        "capacity": "many",
        "ends_at": "2031-03-13T09:00",
        "slot_1_capacity": "0",
    }
    response = await post_form(client, "/organiser/events/new", bad)
    assert response.status_code == 400
    text = response.text
    assert "<title>Error:" in text
    for field in ("title", "starts_at", "capacity", "slot_1_capacity"):
        assert f'href="#{field}"' in text, field
    assert "Enter a title" in text
    assert not await Event.exists()


async def test_service_errors_map_to_form_fields(client: Any) -> None:
    await login(client, await make_user("organiser", org=await make_org()))
    response = await post_form(
        client,
        "/organiser/events/new",
        {**FORM, "venue_postcode": "ZZZ", "ends_at": "2031-03-13T09:00"},
    )
    assert response.status_code == 400
    assert 'href="#venue_postcode"' in response.text
    assert 'href="#ends_at"' in response.text


async def test_public_event_page_shows_when_where_and_register(client: Any) -> None:
    event = await make_event(starts_at=datetime(2031, 1, 23, 10, tzinfo=UTC), capacity=5)
    response = await client.get(f"/events/{event['slug']}")
    assert response.status_code == 200
    assert "Thursday 23 January 2031, 10am to 3pm" in response.text
    assert "Library of Birmingham" in response.text
    assert "Step-free entrance" in response.text
    assert f"/events/{event['slug']}/register" in response.text


async def test_event_page_names_the_organiser_and_how_to_contact_them(client: Any) -> None:
    """The organiser is the data controller (privacy notice): named, with an address."""
    org = await make_org("West Midlands Employers <Jobs>", contact_email="fairs@wme.example")
    event = await make_event(org)
    response = await client.get(f"/events/{event['slug']}")
    assert "West Midlands Employers &lt;Jobs&gt; organises this fair" in response.text
    assert 'href="mailto:fairs@wme.example">fairs@wme.example</a>' in response.text
    assert "fairground@example.org" not in response.text  # the system's sender is nobody's inbox


async def test_without_a_contact_address_the_page_names_the_organiser_only(client: Any) -> None:
    event = await make_event(await make_org("Black Country Jobs"))
    response = await client.get(f"/events/{event['slug']}")
    assert "Black Country Jobs organises this fair" in response.text
    assert "mailto:" not in response.text and "To contact them" not in response.text


async def test_draft_page_is_hidden_from_the_public(client: Any) -> None:
    event = await make_event(status="draft")
    assert (await client.get(f"/events/{event['slug']}")).status_code == 404


async def test_event_ics_feed_parses_with_timezone(client: Any) -> None:
    event = await make_event(starts_at=datetime(2031, 7, 10, 9, tzinfo=UTC))
    response = await client.get(f"/events/{event['slug']}.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    assert cal["METHOD"] == "PUBLISH"
    assert [c.name for c in cal.walk("VTIMEZONE")] == ["VTIMEZONE"]
    vevent = cal.walk("VEVENT")[0]
    start = vevent["DTSTART"]
    assert start.params["TZID"] == "Europe/London"
    # 09:00 UTC in July is 10:00 British Summer Time.
    assert start.dt == datetime(2031, 7, 10, 10, tzinfo=ZoneInfo("Europe/London"))
    assert vevent["DTEND"].dt.hour == 15
    assert str(vevent["UID"]).startswith(f"event-{event['id']}@")
    assert int(vevent["SEQUENCE"]) == 0
    assert "Library of Birmingham" in str(vevent["LOCATION"])
    assert str(vevent["ORGANIZER"]).startswith("mailto:")


async def test_cancelled_event_feed_says_cancelled(client: Any) -> None:
    from events.services import set_status

    event = await make_event()
    await set_status(event["slug"], "cancelled")
    cal = Calendar.from_ical((await client.get(f"/events/{event['slug']}.ics")).content)
    assert str(cal.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"


async def _form_of(event: dict[str, Any]) -> dict[str, Any]:
    from events.forms import form_values

    return dict(form_values(event, [], event["timezone"]))


async def test_an_edit_that_notifies_says_how_many_will_get_the_invite(client: Any) -> None:
    from tests.registrations.helpers import register

    org = await make_org()
    await login(client, await make_user("organiser", org=org))
    event = await make_event(org)
    for n in (1, 2):
        await register(event, email=f"person{n}@example.org", name=f"Person {n}")
    form, url = await _form_of(event), f"/organiser/events/{event['slug']}/edit"
    retitled = await post_form(client, url, {**form, "title": "New title"})
    page = await client.get(retitled.headers["location"])
    assert "Your changes have been saved" in page.text
    assert "calendar invite" not in page.text  # a new title alone sends nothing
    moved = await post_form(client, url, {**form, "venue_name": "Coventry Cathedral"})
    page = await client.get(moved.headers["location"])
    assert "2 attendees will get an updated calendar invite." in page.text
    again = await client.get(moved.headers["location"])
    assert "calendar invite" not in again.text  # said once


async def test_one_attendee_is_one_attendee(client: Any) -> None:
    from tests.registrations.helpers import register

    org = await make_org()
    await login(client, await make_user("organiser", org=org))
    event = await make_event(org)
    await register(event)
    form = await _form_of(event)
    moved = await post_form(
        client, f"/organiser/events/{event['slug']}/edit", {**form, "venue_name": "Elsewhere"}
    )
    page = await client.get(moved.headers["location"])
    assert "1 attendee will get an updated calendar invite." in page.text


async def test_the_event_form_keeps_exhibitor_times(client: Any) -> None:
    org = await make_org()
    await login(client, await make_user("organiser", org=org))
    times = {"exhibitor_setup_at": "2031-03-13T08:00", "exhibitor_arrive_by": "2031-03-13T09:30"}
    created = await post_form(client, "/organiser/events/new", {**FORM, **times})
    assert created.status_code == 302, created.text
    row = await Event.select().where(Event.slug == "coventry-jobs-fair").first()
    assert row is not None
    assert row["exhibitor_setup_at"] == datetime(2031, 3, 13, 8, 0, tzinfo=UTC)
    edit = await client.get("/organiser/events/coventry-jobs-fair/edit")
    assert 'value="2031-03-13T09:30"' in edit.text
    wrong = {"exhibitor_setup_at": "2031-03-13T09:00", "exhibitor_arrive_by": "2031-03-13T08:00"}
    bad = await post_form(client, "/organiser/events/coventry-jobs-fair/edit", {**FORM, **wrong})
    assert bad.status_code == 400 and 'href="#exhibitor_arrive_by"' in bad.text
