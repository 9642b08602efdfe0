"""The attendee's "Change your details and choices" page, the ticket page's times,
postcodes as stored, and the council picker grouped by area (through the client)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from events.services import get_slots
from fairground import timefmt
from registrations.services import cancel_registration
from registrations.tables import Registration
from tests.factories import csrf_from, future, make_event
from tests.registrations.helpers import outbox, register
from tests.registrations.test_pages import DETAILS, _csrf, _post, _register, _through_check

RUGBY = "E07000220"
WARWICKSHIRE = "E10000031"
COVENTRY = "E08000026"


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


def clock(value: Any) -> str:
    return timefmt.clock(timefmt.local(value, "Europe/London"))


async def row(token: str) -> dict[str, Any]:
    found = (
        await Registration.select()
        .where(Registration.manage_token == token)
        .output(load_json=True)
        .first()
    )
    assert found is not None
    return found


def form(**overrides: Any) -> dict[str, Any]:
    """What the change page posts when nothing is changed but these."""
    base: dict[str, Any] = {
        "phone": "",
        "postcode": "CV21 2AA",
        "interests": [],
        "consent_councils": [],
        "job_alerts": "no",
        "access_needs": "",
    }
    return {**base, **overrides}


async def change(client: Any, token: str, data: dict[str, Any]) -> Any:
    csrf = csrf_from((await client.get(f"/r/{token}/change")).text)
    return await client.post(f"/r/{token}/change", data={**data, "_csrf_token": csrf})


# ---------------------------------------------------------------- postcodes, times, areas


async def test_check_your_answers_shows_the_postcode_as_stored(client: Any) -> None:
    event = await make_event()
    await _through_check(client, event["slug"], postcode="b12nd")
    check = await client.get(f"/events/{event['slug']}/register/check")
    assert "B1 2ND" in check.text and "b12nd" not in check.text
    details = await client.get(f"/events/{event['slug']}/register")
    assert 'value="B1 2ND"' in details.text


async def test_the_ticket_page_shows_the_fairs_times_and_the_entry_time_apart(
    client: Any,
) -> None:
    event = await slotted_event()
    first, _ = await get_slots(event["id"])
    person = await register(event, slot_id=first["id"])
    fair = f"{clock(event['starts_at'])} to {clock(event['ends_at'])}"
    entry = f"{clock(first['starts_at'])} to {clock(first['ends_at'])}"
    manage = await client.get(f"/r/{person.manage_token}")
    keys = re.findall(r'<dt class="govuk-summary-list__key">\s*(.*?)\s*</dt>', manage.text)
    values = re.findall(r'<dd class="govuk-summary-list__value">\s*(.*?)\s*</dd>', manage.text)
    shown = dict(zip(keys, values, strict=False))
    assert shown["The fair"].endswith(fair), shown
    assert shown["Your entry time"] == entry, shown
    assert "When" not in shown and "Arrival time" not in shown
    confirmation = await client.get(f"/r/{person.manage_token}/confirmation")
    assert f"The fair: {timefmt.when(event['starts_at'], event['ends_at'], 'Europe/London')}" in (
        confirmation.text
    )
    assert f"Your entry time: {entry}" in confirmation.text


def areas_in(html: str) -> list[tuple[bool, str, list[str]]]:
    """(open, area name, council codes) of each area of the council picker."""
    found = []
    for opened, body in re.findall(
        r'<details class="govuk-details app-council-area"( open)?>(.*?)</details>', html, re.S
    ):
        name = re.search(r'summary-text">(.*?)</span>', body, re.S)
        codes = re.findall(r'name="consent_councils" type="checkbox" value="([^"]+)"', body)
        assert name
        found.append((bool(opened), name.group(1).strip(), codes))
    return found


async def test_the_interests_step_groups_councils_by_area_home_first(client: Any) -> None:
    event = await make_event()
    base = f"/events/{event['slug']}/register"
    token = await _csrf(client, base)
    await _post(client, base, {**DETAILS, "home_council": RUGBY}, token)
    page = await client.get(f"{base}/interests")
    areas = areas_in(page.text)
    assert [name for _, name, _ in areas][:1] == ["Warwickshire"]
    assert len(areas) == 6 and sum(len(codes) for _, _, codes in areas) == 33
    opened, _, codes = areas[0]
    assert opened and codes[:2] == [RUGBY, WARWICKSHIRE]  # home, then its county
    assert [opened for opened, _, _ in areas[1:]] == [False] * 5
    first_area = page.text.split('class="govuk-details app-council-area"')[1].split("</details>")[0]
    assert 'id="consent_councils"' in first_area  # the first box, which errors link to
    staffordshire = next(codes for _, name, codes in areas if name == "Staffordshire")
    assert staffordshire[0] == "E10000028" and "E06000021" in staffordshire  # Stoke-on-Trent
    # An error links to the first box, which is in the open area.
    response = await _post(client, f"{base}/interests", {"consent_councils": ["nope"]}, token)
    assert '<a href="#consent_councils">' in response.text


# ---------------------------------------------------------------- the change page


async def test_the_ticket_page_links_to_the_change_page(client: Any) -> None:
    event = await make_event()
    token = await _register(client, event["slug"])
    manage = await client.get(f"/r/{token}")
    assert f'href="/r/{token}/change"' in manage.text
    page = await client.get(f"/r/{token}/change")
    assert page.status_code == 200
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "Change your details and choices" in page.text
    assert f'href="/r/{token}/stand-consents"' in page.text
    assert "Employers you agreed to share your details with at their stand" in page.text
    assert 'value="CV21 2AA"' in page.text  # as registered ("cv21 2aa"), normalised
    checked = re.findall(
        r'name="consent_councils" type="checkbox" value="([^"]+)" checked', page.text
    )
    assert checked == [COVENTRY]
    areas = areas_in(page.text)
    assert areas[0][1] == "Birmingham, Coventry, Solihull and the Black Country"  # home's area


async def test_withdrawing_a_council_and_moving_the_slot(client: Any) -> None:
    event = await slotted_event()
    first, second = await get_slots(event["id"])
    person = await register(
        event, slot_id=first["id"], consent={"councils": [RUGBY, COVENTRY], "job_alerts": True}
    )
    data = form(
        phone="07700 900982",
        postcode="b12nd",
        slot_id=str(second["id"]),
        interests=["digital"],
        consent_councils=[COVENTRY],
        job_alerts="yes",
        access_needs="A seat near the door",
    )
    response = await change(client, person.manage_token, data)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/r/{person.manage_token}?saved=1"
    saved = await row(person.manage_token)
    assert saved["slot"] == second["id"] and saved["consent_councils"] == [COVENTRY]
    assert (saved["phone"], saved["postcode"]) == ("07700 900982", "B1 2ND")
    assert saved["interests"] == ["digital"] and saved["access_needs"] == "A seat near the door"
    manage = await client.get(response.headers["location"])
    assert "Your changes are saved" in manage.text
    [message] = await outbox("registration_changed")
    assert (
        "Rugby Borough Council can no longer contact you about jobs"
        in message.get_body(("plain",)).get_content()
    )  # type: ignore[union-attr]


async def test_saving_without_a_change_says_so(client: Any) -> None:
    event = await make_event()
    person = await register(event)
    response = await change(client, person.manage_token, form())
    assert response.headers["location"] == f"/r/{person.manage_token}?saved=0"
    manage = await client.get(response.headers["location"])
    assert "You did not change anything" in manage.text
    assert await outbox("registration_changed") == []


async def test_bad_input_names_the_field_and_changes_nothing(client: Any) -> None:
    event = await make_event()
    person = await register(event, phone="01632 960001", consent={"councils": [RUGBY]})
    before = await row(person.manage_token)
    data = form(phone="call me", postcode="nowhere", consent_councils=[COVENTRY, "E99"])
    response = await change(client, person.manage_token, data)
    assert response.status_code == 400
    assert "<title>Error: " in response.text
    for field in ("phone", "postcode", "consent_councils"):
        assert f'<a href="#{field}">' in response.text, field
    assert 'value="call me"' in response.text  # shown as sent
    assert await row(person.manage_token) == before
    missing = form()
    del missing["job_alerts"]
    response = await change(client, person.manage_token, missing)
    assert response.status_code == 400 and '<a href="#job_alerts">' in response.text
    assert await row(person.manage_token) == before


async def test_a_full_slot_is_refused_naming_the_field(client: Any) -> None:
    event = await slotted_event(capacity=1)
    first, second = await get_slots(event["id"])
    person = await register(event, slot_id=first["id"])
    await register(event, email="other@example.org", slot_id=second["id"])
    before = await row(person.manage_token)
    page = await client.get(f"/r/{person.manage_token}/change")
    assert "Full" in page.text and "Your entry time now" in page.text
    response = await change(client, person.manage_token, form(slot_id=str(second["id"])))
    assert response.status_code == 409
    assert '<a href="#slot_id">This entry time is full. Choose another time</a>' in response.text
    assert await row(person.manage_token) == before


async def test_a_cancelled_place_cannot_be_changed(client: Any) -> None:
    event = await make_event()
    person = await register(event)
    csrf = csrf_from((await client.get(f"/r/{person.manage_token}/change")).text)
    await cancel_registration(person.manage_token)
    page = await client.get(f"/r/{person.manage_token}/change")
    assert page.status_code == 303 and page.headers["location"] == f"/r/{person.manage_token}"
    response = await client.post(
        f"/r/{person.manage_token}/change", data={**form(), "_csrf_token": csrf}
    )
    assert response.status_code == 409
    assert "Change your details" not in (await client.get(f"/r/{person.manage_token}")).text


async def test_a_used_ticket_offers_no_entry_times_but_consent_still_changes(
    client: Any,
) -> None:
    event = await slotted_event()
    first, _ = await get_slots(event["id"])
    person = await register(event, slot_id=first["id"], consent={"councils": [RUGBY]})
    await Registration.update({Registration.checked_in_at: future(days=0)}).where(
        Registration.manage_token == person.manage_token
    )
    page = await client.get(f"/r/{person.manage_token}/change")
    assert 'name="slot_id"' not in page.text
    response = await change(client, person.manage_token, form())
    assert response.status_code == 303, response.text
    assert (await row(person.manage_token))["consent_councils"] == []


async def test_past_the_email_limit_the_change_is_saved_and_the_page_says_no_email(
    client: Any,
) -> None:
    from registrations.changes import MAX_EMAILS_PER_HOUR
    from registrations.services import update_registration

    event = await make_event()
    person = await register(event)
    for n in range(MAX_EMAILS_PER_HOUR):
        await update_registration(person.manage_token, {"phone": f"01632 96{n:04d}"})
    response = await change(client, person.manage_token, form(phone="07700 900982"))
    assert response.headers["location"] == f"/r/{person.manage_token}?saved=2"
    manage = await client.get(response.headers["location"])
    assert "Your changes are saved" in manage.text and "We have emailed" not in manage.text
    assert (await row(person.manage_token))["phone"] == "07700 900982"
