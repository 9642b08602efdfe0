"""The attendee registration pages, the manage page and the organiser's
access-requests queue and outbox, through the HTTP client with CSRF."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from events.services import get_event, set_status
from events.tables import Slot
from fairground.tables import OutboxMessage
from registrations.services import RegistrationInput, register_attendee
from registrations.tables import AccessRequest, EqualityResponse, Registration
from tests.factories import csrf_from, future, login, make_event, make_org, make_user

COVENTRY = "E08000026"
WARWICKSHIRE = "E10000031"
DETAILS = {
    "name": "Amira Khan",
    "email": "amira@example.org",
    "phone": "07700 900982",
    "postcode": "cv21 2aa",
    "home_council": COVENTRY,
}
INTERESTS = {
    "interests": ["social-care", "digital"],
    "consent_councils": [COVENTRY],
    "job_alerts": "yes",
}


async def _csrf(client: Any, url: str) -> str:
    page = await client.get(url)
    assert page.status_code == 200, page.text
    return csrf_from(page.text)


async def _post(client: Any, url: str, data: dict[str, Any], token: str) -> Any:
    return await client.post(url, data={**data, "_csrf_token": token})


async def _through_check(client: Any, slug: str, **details: Any) -> str:
    """Answer every step up to check-your-answers; return the CSRF token."""
    base = f"/events/{slug}/register"
    token = await _csrf(client, base)
    steps = [
        (base, {**DETAILS, **details}),
        (f"{base}/interests", INTERESTS),
        (f"{base}/access", {"access": ["bsl"], "access_other": "Seat near the door"}),
        (f"{base}/equality", {"age": "25-34", "ethnic_group": "prefer-not-to-say"}),
    ]
    for url, data in steps:
        response = await _post(client, url, data, token)
        assert response.status_code == 303, response.text
    return token


async def _register(client: Any, slug: str, **details: Any) -> str:
    """The whole journey; returns the manage token from the confirmation URL."""
    token = await _through_check(client, slug, **details)
    response = await _post(client, f"/events/{slug}/register/check", {}, token)
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/r/([\w-]+)/confirmation", response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1)


async def _direct(slug: str, email: str, slot_id: int | None = None) -> str:
    """A registration made by the service, for set-up."""
    event = await get_event(slug)
    assert event
    data = RegistrationInput(name="Someone Else", email=email, slot_id=slot_id)
    return (await register_attendee(slug, data)).manage_token


async def _status(token: str) -> str:
    row = (
        await Registration.select(Registration.status)
        .where(Registration.manage_token == token)
        .first()
    )
    assert row is not None
    return str(row["status"])


# ---------------------------------------------------------------- the journey


async def test_whole_journey_registers_and_confirms(client: Any) -> None:
    event = await make_event()
    token = await _register(client, event["slug"])

    row = await Registration.select().where(Registration.manage_token == token).first()
    assert row is not None
    assert (row["name"], row["email"], row["postcode"]) == (
        "Amira Khan",
        DETAILS["email"],
        "CV21 2AA",
    )
    assert row["status"] == "confirmed" and row["home_council"] == COVENTRY
    assert row["consent_councils"] in ([COVENTRY], f'["{COVENTRY}"]')
    assert row["consent_job_alerts"] is True
    assert row["access_needs"] == "British Sign Language (BSL) interpreter; Seat near the door"
    assert await AccessRequest.count() == 1
    equality = await EqualityResponse.select(EqualityResponse.answers).first()
    assert equality is not None and "25-34" in str(equality["answers"])

    page = await client.get(f"/r/{token}/confirmation")
    assert page.status_code == 200
    assert "You’re registered" in page.text or "You're registered" in page.text
    assert row["reference"] in page.text
    assert f'href="/r/{token}"' in page.text
    assert f'href="/r/{token}/change"' in page.text  # the change page, from here too


async def test_check_your_answers_shows_what_was_entered(client: Any) -> None:
    event = await make_event()
    await _through_check(client, event["slug"])
    page = await client.get(f"/events/{event['slug']}/register/check")
    assert page.status_code == 200
    for text in (
        "Amira Khan",
        "amira@example.org",
        "07700 900982",
        "Coventry City Council",
        "Adult social care",
        "Digital, data and IT",
        "British Sign Language (BSL) interpreter; Seat near the door",
        "Answered",
    ):
        assert text in page.text, text
    assert f"/events/{event['slug']}/register?change=1#name" in page.text
    assert f"/events/{event['slug']}/register/interests?change=1#consent_councils" in page.text


async def test_change_link_returns_to_check_your_answers(client: Any) -> None:
    event = await make_event()
    base = f"/events/{event['slug']}/register"
    token = await _through_check(client, event["slug"])
    page = await client.get(f"{base}?change=1")
    assert 'name="change" value="1"' in page.text
    assert 'value="Amira Khan"' in page.text  # the answer is kept in the session
    response = await _post(client, base, {**DETAILS, "name": "Amira K", "change": "1"}, token)
    assert response.headers["location"] == f"{base}/check"
    assert "Amira K" in (await client.get(f"{base}/check")).text


async def test_steps_cannot_be_skipped(client: Any) -> None:
    event = await make_event()
    response = await client.get(f"/events/{event['slug']}/register/check")
    assert response.status_code == 303
    assert response.headers["location"] == f"/events/{event['slug']}/register"


async def test_answers_are_not_kept_in_hidden_fields(client: Any) -> None:
    event = await make_event()
    await _through_check(client, event["slug"])
    page = await client.get(f"/events/{event['slug']}/register/check")
    hidden = re.findall(r'type="hidden" name="([^"]+)"', page.text)
    assert hidden == ["_csrf_token"]


# ---------------------------------------------------------------- validation


async def test_details_errors_name_each_field(client: Any) -> None:
    event = await make_event()
    url = f"/events/{event['slug']}/register"
    token = await _csrf(client, url)
    bad = {"name": " ", "email": "not-an-email", "postcode": "XYZ", "home_council": ""}
    response = await _post(client, url, bad, token)
    assert response.status_code == 400
    html = response.text
    assert "<title>Error: Your details" in html
    assert 'class="govuk-error-summary"' in html
    assert '<a href="#name">Enter your full name</a>' in html
    assert "Enter an email address in the correct format, like name@example.com" in html
    assert "Enter a real postcode, like CV21 2AA" in html
    assert '<a href="#home_council">' in html
    assert 'id="name-error"' in html and 'id="email-error"' in html
    assert 'id="postcode-error"' in html
    assert 'value="not-an-email"' in html  # what they typed is shown again


async def test_empty_email_message(client: Any) -> None:
    event = await make_event()
    url = f"/events/{event['slug']}/register"
    token = await _csrf(client, url)
    response = await _post(client, url, {**DETAILS, "email": ""}, token)
    assert response.status_code == 400
    assert '<a href="#email">Enter your email address</a>' in response.text
    assert "#name" not in response.text.split("govuk-error-summary__list")[1].split("</ul>")[0]


async def test_interests_step_errors_and_select_all(client: Any) -> None:
    event = await make_event()
    base = f"/events/{event['slug']}/register"
    token = await _csrf(client, base)
    await _post(client, base, DETAILS, token)
    response = await _post(client, f"{base}/interests", {"interests": ["astronaut"]}, token)
    assert response.status_code == 400
    assert "<title>Error: " in response.text
    assert '<a href="#interests">Select job families from the list</a>' in response.text
    assert '<a href="#job_alerts">Select yes if you want emails about new jobs</a>' in response.text

    response = await _post(client, f"{base}/interests", {"select_all": "1"}, token)
    assert response.status_code == 200
    ticked = re.findall(
        r'name="consent_councils" type="checkbox" value="[^"]+" checked', response.text
    )
    assert len(ticked) == 33


async def test_access_other_needs_a_description(client: Any) -> None:
    event = await make_event()
    base = f"/events/{event['slug']}/register"
    token = await _csrf(client, base)
    await _post(client, base, DETAILS, token)
    await _post(client, f"{base}/interests", INTERESTS, token)
    response = await _post(client, f"{base}/access", {"access": ["other"]}, token)
    assert response.status_code == 400
    assert '<a href="#access_other">Tell us what you need to take part</a>' in response.text


async def test_equality_can_be_skipped(client: Any) -> None:
    event = await make_event()
    base = f"/events/{event['slug']}/register"
    token = await _through_check(client, event["slug"])
    page = await client.get(f"{base}/equality")
    assert "Skip this section" in page.text
    assert page.text.count("Prefer not to say") == 7
    response = await _post(client, f"{base}/equality", {"skip": "1"}, token)
    assert response.headers["location"] == f"{base}/check"
    assert "Skipped" in (await client.get(f"{base}/check")).text
    await _post(client, f"{base}/check", {}, token)
    assert await EqualityResponse.count() == 0
    assert await Registration.count() == 1


async def test_slots_show_places_left_and_full_ones(client: Any) -> None:
    starts = future()
    slots = [
        {"starts_at": starts, "ends_at": starts + timedelta(hours=2), "capacity": 10},
        {
            "starts_at": starts + timedelta(hours=2),
            "ends_at": starts + timedelta(hours=4),
            "capacity": 1,
        },
    ]
    event = await make_event(starts_at=starts, slots=slots)
    rows = await Slot.select().where(Slot.event == event["id"]).order_by(Slot.starts_at)
    await _direct(event["slug"], "first@example.org", rows[1]["id"])
    base = f"/events/{event['slug']}/register"
    page = await client.get(base)
    assert "10 places left" in page.text
    assert "Full – you will join the waiting list" in page.text
    response = await _post(client, base, DETAILS, csrf_from(page.text))
    assert response.status_code == 400
    assert '<a href="#slot_id">' in response.text


@pytest.mark.parametrize(
    "name",
    ["أمينة خان", "Zażółć Gęślą Jaźń", "王小明", "Sam 🎉 Okafor"],
    ids=["arabic", "polish", "chinese", "emoji"],
)
async def test_names_in_any_script(client: Any, name: str) -> None:
    event = await make_event()
    token = await _register(client, event["slug"], name=name)
    for url in (f"/r/{token}/confirmation", f"/r/{token}"):
        page = await client.get(url)
        assert page.status_code == 200
        assert name in page.text, url


# ---------------------------------------------------------------- outcomes


async def test_full_event_puts_people_on_the_waiting_list(client: Any) -> None:
    event = await make_event(capacity=1)
    await _direct(event["slug"], "first@example.org")
    details = await client.get(f"/events/{event['slug']}/register")
    assert "you will join the waiting list" in details.text
    token = await _register(client, event["slug"])
    page = await client.get(f"/r/{token}/confirmation")
    assert "on the waiting list" in page.text
    manage = await client.get(f"/r/{token}")
    assert "You are number 1 on the waiting list" in manage.text
    assert "ticket.svg" not in manage.text
    assert "Leave the waiting list" in manage.text


async def test_closed_event_shows_a_clear_page(client: Any) -> None:
    event = await make_event()
    token = await _through_check(client, event["slug"])
    await set_status(event["slug"], "closed")
    page = await client.get(f"/events/{event['slug']}/register")
    assert page.status_code == 200
    assert "Registration is closed" in page.text
    response = await _post(client, f"/events/{event['slug']}/register/check", {}, token)
    assert response.status_code == 409
    assert "Registration is closed" in response.text
    assert await Registration.count() == 0


async def test_draft_event_is_not_found(client: Any) -> None:
    event = await make_event(status="draft")
    assert (await client.get(f"/events/{event['slug']}/register")).status_code == 404


async def test_already_registered_reveals_nothing(client: Any) -> None:
    event = await make_event()
    first = await _register(client, event["slug"])
    reference = (await Registration.select().first() or {})["reference"]
    before = await OutboxMessage.count()
    token = await _through_check(client, event["slug"], name="Someone Pretending")
    response = await _post(client, f"/events/{event['slug']}/register/check", {}, token)
    assert response.status_code == 409
    assert "We have sent the confirmation email to amira@example.org again" in response.text
    assert reference not in response.text and first not in response.text
    assert await OutboxMessage.count() == before + 1
    assert await Registration.count() == 1


# ---------------------------------------------------------------- manage and cancel


async def test_manage_page_shows_the_ticket(client: Any) -> None:
    event = await make_event()
    token = await _register(client, event["slug"])
    reference = (await Registration.select().first() or {})["reference"]
    page = await client.get(f"/r/{token}")
    assert page.status_code == 200
    assert page.headers["referrer-policy"] == "no-referrer"
    assert '<meta name="robots" content="noindex' in page.text
    assert (
        f'<img class="app-ticket__qr" src="/r/{token}/ticket.svg" '
        f'alt="Your ticket QR code, reference {reference}"' in page.text
    )
    assert "https://www.openstreetmap.org/search?query=Library+of+Birmingham" in page.text
    assert "calendar.google.com" in page.text and "outlook.live.com" in page.text
    assert f"/r/{token}/invite.ics" in page.text
    assert "Step-free entrance" in page.text
    assert (await client.get(f"/r/{token}/ticket.svg")).status_code == 200


async def test_unknown_token_is_not_found(client: Any) -> None:
    response = await client.get("/r/no-such-token")
    assert response.status_code == 404


async def test_cancel_frees_the_place_for_the_waiting_list(client: Any) -> None:
    event = await make_event(capacity=1)
    token = await _register(client, event["slug"])
    waiting = await _direct(event["slug"], "next@example.org")
    assert await _status(waiting) == "waitlisted"

    confirm = await client.get(f"/r/{token}/cancel")
    assert "Are you sure you want to cancel your place?" in confirm.text
    response = await _post(client, f"/r/{token}/cancel", {}, csrf_from(confirm.text))
    assert response.status_code == 303
    assert response.headers["location"] == f"/r/{token}/cancelled"
    done = await client.get(f"/r/{token}/cancelled")
    assert "Your place has been cancelled" in done.text
    assert await _status(token) == "cancelled"
    assert await _status(waiting) == "confirmed"
    assert (await get_event(event["slug"]))["confirmed_count"] == 1


async def test_cancel_without_a_waiting_list_frees_capacity(client: Any) -> None:
    event = await make_event(capacity=5)
    token = await _register(client, event["slug"])
    assert (await get_event(event["slug"]))["confirmed_count"] == 1
    confirm = await client.get(f"/r/{token}/cancel")
    await _post(client, f"/r/{token}/cancel", {}, csrf_from(confirm.text))
    assert (await get_event(event["slug"]))["confirmed_count"] == 0
    manage = await client.get(f"/r/{token}")
    assert "Cancelled" in manage.text and "ticket.svg" not in manage.text


async def test_waitlisted_person_can_leave(client: Any) -> None:
    event = await make_event(capacity=1)
    await _direct(event["slug"], "first@example.org")
    await _direct(event["slug"], "second@example.org")
    token = await _register(client, event["slug"])
    manage = await client.get(f"/r/{token}")
    assert "You are number 2 on the waiting list" in manage.text
    confirm = await client.get(f"/r/{token}/cancel")
    assert "Are you sure you want to leave the waiting list?" in confirm.text
    await _post(client, f"/r/{token}/cancel", {}, csrf_from(confirm.text))
    assert await _status(token) == "cancelled"


async def test_cancel_needs_the_csrf_token(client: Any) -> None:
    event = await make_event()
    token = await _register(client, event["slug"])
    response = await client.post(f"/r/{token}/cancel", data={})
    assert response.status_code == 403
    assert await _status(token) == "confirmed"


# ---------------------------------------------------------------- organiser pages


async def test_access_requests_queue(client: Any) -> None:
    org = await make_org()
    event = await make_event(org=org)
    await _register(client, event["slug"])
    organiser = await make_user("organiser", org=org)
    await login(client, organiser)
    url = f"/organiser/events/{event['slug']}/access-requests"
    page = await client.get(url)
    assert page.status_code == 200
    assert "British Sign Language (BSL) interpreter; Seat near the door" in page.text
    assert "Amira Khan" in page.text
    request_id = (await AccessRequest.select(AccessRequest.id).first() or {})["id"]
    response = await _post(
        client,
        f"{url}/{request_id}",
        {f"status-{request_id}": "arranged", f"note-{request_id}": "Booked via Deaf Direct"},
        csrf_from(page.text),
    )
    assert response.status_code in (302, 303)
    row = await AccessRequest.select().first()
    assert row is not None and (row["status"], row["note"]) == (
        "arranged",
        "Booked via Deaf Direct",
    )


async def test_access_requests_are_for_this_events_organisers_only(client: Any) -> None:
    event = await make_event()
    await login(client, await make_user("organiser", org=await make_org()))
    response = await client.get(f"/organiser/events/{event['slug']}/access-requests")
    assert response.status_code == 403


async def test_outbox_scoped_to_the_organisers_events(client: Any) -> None:
    org = await make_org()
    mine = await make_event(org=org)
    theirs = await make_event()
    await _direct(mine["slug"], "mine@example.org")
    await _direct(theirs["slug"], "theirs@example.org")
    await login(client, await make_user("organiser", org=org))
    page = await client.get("/organiser/outbox")
    assert page.status_code == 200
    assert "mine@example.org" in page.text and "theirs@example.org" not in page.text
    other = (
        await OutboxMessage.select().where(OutboxMessage.recipient == "theirs@example.org").first()
    )
    assert other is not None
    assert (await client.get(f"/organiser/outbox/{other['id']}")).status_code == 404


async def test_outbox_message_shows_text_and_attachments(client: Any) -> None:
    event = await make_event()
    await _direct(event["slug"], "someone@example.org")
    await login(client, await make_user("superuser"))
    page = await client.get("/organiser/outbox")
    assert "someone@example.org" in page.text
    message = await OutboxMessage.select(OutboxMessage.id).first()
    assert message is not None
    view = await client.get(f"/organiser/outbox/{message['id']}")
    assert view.status_code == 200
    assert "invite.ics" in view.text and "ticket.png" in view.text
    assert "/r/" in view.text  # the text part, with the manage link


async def test_outbox_needs_an_organiser(client: Any) -> None:
    await login(client, await make_user("door"))
    assert (await client.get("/organiser/outbox")).status_code == 403
