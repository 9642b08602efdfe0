"""The organisation's public contact address: set by its organiser in the browser,
shown on its event pages and used as the Reply-To of emails about its fairs."""

from __future__ import annotations

from typing import Any

from fairground.tables import AuditLog, Organisation
from tests.factories import csrf_from, login, make_event, make_org, make_user, post_form
from tests.registrations.helpers import outbox, register

URL = "/organiser/organisation"


async def _contact(org: int) -> str:
    row = await Organisation.select(Organisation.contact_email).where(Organisation.id == org)
    return str(row[0]["contact_email"])


async def test_the_organiser_sets_the_contact_address(client: Any) -> None:
    org = await make_org("West Midlands Employers")
    organiser = await make_user("organiser", org=org)
    await login(client, organiser)
    form = await client.get(URL)
    assert form.status_code == 200 and "West Midlands Employers" in form.text
    saved = await post_form(client, URL, {"contact_email": " Fairs@WME.example "})
    assert saved.status_code == 303 and saved.headers["location"] == f"{URL}?saved=1"
    assert await _contact(org) == "fairs@wme.example"
    assert await AuditLog.count().where(AuditLog.action == "contact_email_set") == 1
    shown = await client.get(f"{URL}?saved=1")
    assert 'value="fairs@wme.example"' in shown.text and "has been saved" in shown.text
    cleared = await post_form(client, URL, {"contact_email": ""})
    assert cleared.status_code == 303 and await _contact(org) == ""


async def test_a_bad_address_is_refused_naming_the_field(client: Any) -> None:
    org = await make_org()
    await make_org("Someone else", contact_email="keep@other.example")
    await login(client, await make_user("organiser", org=org))
    page = await client.get(URL)
    bad = await client.post(
        URL, data={"contact_email": "not an address", "_csrf_token": csrf_from(page.text)}
    )
    assert bad.status_code == 400
    assert 'href="#contact_email"' in bad.text and 'value="not an address"' in bad.text
    assert await _contact(org) == ""


async def test_only_organisers_reach_the_setting(client: Any) -> None:
    assert (await client.get(URL)).status_code in (302, 303, 401)
    await login(client, await make_user("exhibitor", org=await make_org()))
    assert (await client.get(URL)).status_code == 403


async def test_attendee_emails_reply_to_the_organisation(client: Any) -> None:
    org = await make_org("West Midlands Employers", contact_email="fairs@wme.example")
    event = await make_event(org)
    await register(event)
    [message] = await outbox("registration_confirmation")
    assert message["Reply-To"] == "West Midlands Employers <fairs@wme.example>"
    assert "fairground@example.org" in message["From"]  # still sent by the system
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Questions about the fair? West Midlands Employers runs it: email" in text
    assert "fairs@wme.example" in text


async def test_without_an_address_emails_have_no_reply_to(client: Any) -> None:
    event = await make_event(await make_org())
    await register(event)
    [message] = await outbox("registration_confirmation")
    assert message["Reply-To"] is None
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Questions about the fair?" not in text and "fairground@example.org" not in text
