"""Every page a jobseeker can reach, in every language: `lang` and `dir` right, the
language list on it, and (in the pseudo-locale, which wraps every message in ⟦…⟧)
no word on it that did not go through gettext."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from events.services import get_slots, set_status
from exhibitors.interviews import services as interviews
from fairground import i18n
from fairground.seed import councils
from registrations.services import cancel_registration
from tests.factories import (
    add_vacancy,
    csrf_from,
    future,
    make_event,
    make_exhibitor,
    make_open_event,
    make_org,
    make_partner,
)
from tests.i18n.helpers import english_left, readable
from tests.leads.helpers import RUGBY
from tests.registrations.helpers import outbox, register

CODES = [*i18n.LANGUAGES, i18n.PSEUDO.code]
TITLE = "Careers fair Ω"
DESCRIPTION = "Meet councils hiring now"
PERSON = "Zofia Wiśniewska"
VACANCY = "Data Analyst Ω"
EMAIL = "zofia@example.org"
PARTNER = "Rugby Refugee Support"


@pytest.fixture(autouse=True)
def pseudo() -> Any:
    i18n.enable_pseudo()
    yield
    i18n.enable_pseudo(False)


async def _world() -> dict[str, Any]:
    """A fair with entry times and an employer, and one past fair to follow up."""
    start = future()
    hour = timedelta(hours=1)
    event = await make_event(
        title=TITLE,
        description=DESCRIPTION,
        slots=[
            {"starts_at": start, "ends_at": start + hour, "capacity": 50},
            {"starts_at": start + hour, "ends_at": start + 2 * hour, "capacity": 50},
        ],
        starts_at=start,
    )
    employer = await make_exhibitor(event["id"], await make_org("Rugby Borough Council Jobs"))
    # On the plan of the person who chooses digital jobs (step 2), on stand A1.
    await add_vacancy(employer, VACANCY, "digital", "https://jobs.example.org/1", stand="A1")
    # Interviews at its stand: the booking pages are jobseeker pages too.
    schedule = interviews.ScheduleInput(starts_at=start, ends_at=start + hour, parallel=2)
    await interviews.publish_schedule(employer, schedule, None)
    past = await make_open_event(title=TITLE)
    attended = await register(past, name=PERSON, email="past@example.org")
    await set_status(past["slug"], "closed")
    [slot, *_] = await get_slots(event["id"])
    cancelled = await register(event, name=PERSON, email="kofi@example.org", slot_id=slot["id"])
    await cancel_registration(cancelled.manage_token)
    # The journey starts from a partner's referral link: its name shows on the pages.
    partner = await make_partner(PARTNER, "refugee", invite_to=event["id"])
    return {"event": event, "past": attended, "cancelled": cancelled, "partner": partner}


async def pages(client: Any, world: dict[str, Any]) -> AsyncIterator[tuple[str, Any]]:
    """(label, response) for every jobseeker page, the registration steps walked
    through (each first sent empty, to show its errors) in the client's language."""
    slug = world["event"]["slug"]
    for url in ("/", f"/events/{slug}", "/privacy", "/accessibility", "/data-erased"):
        yield url, await client.get(url)
    yield "404", await client.get("/no-such-page")
    base = f"/events/{slug}/register"
    page = await client.get(f"{base}?via={world['partner']['short_code']}")
    yield "step 1", page
    token = csrf_from(page.text)
    slots = await get_slots(world["event"]["id"])
    steps = [
        (base, {"name": PERSON, "email": EMAIL, "home_council": RUGBY, "slot_id": slots[0]["id"]}),
        (f"{base}/interests", {"interests": ["digital"], "job_alerts": "no"}),
        (f"{base}/access", {"access": ["bsl"]}),
        (f"{base}/equality", {"age": "25-34"}),
    ]
    for n, (url, data) in enumerate(steps):
        if n:
            yield f"step {n + 1}", await client.get(url)
        yield f"step {n + 1}, empty", await client.post(url, data={"_csrf_token": token})
        response = await client.post(url, data={**data, "_csrf_token": token})
        assert response.status_code == 303, (url, response.text)
    yield "check", await client.get(f"{base}/check")
    done = await client.post(f"{base}/check", data={"_csrf_token": token, "partner_consent": "yes"})
    assert done.status_code == 303, done.text
    manage = done.headers["location"].removesuffix("/confirmation")
    for suffix in ("/confirmation", "", "/plan", "/change", "/cancel", "/data", "/stand-consents"):
        yield f"manage{suffix}", await client.get(manage + suffix)
    response = await client.post(
        manage + "/change", data={"_csrf_token": token, "phone": "not a phone", "job_alerts": ""}
    )
    yield "change, errors", response
    choose = await client.get(manage + "/interviews")
    yield "interviews", choose
    slot = re.search(r'name="slot" value="(\d+)"', choose.text)
    assert slot, choose.text
    booked = await client.post(
        manage + "/interviews", data={"_csrf_token": token, "slot": slot.group(1)}
    )
    assert booked.status_code == 303, booked.text
    yield (
        "interviews, overlaps",
        await client.post(
            manage + "/interviews", data={"_csrf_token": token, "slot": slot.group(1)}
        ),
    )
    with_interview = await client.get(manage)
    yield "manage, with an interview", with_interview
    move = re.search(r'href="(/r/[^"]+/interviews/\d+/move)"', with_interview.text)
    assert move, "no move link on the ticket page"
    yield "interview, new time", await client.get(move.group(1))
    yield (
        "already registered",
        await client.post(f"{base}/check", data={"_csrf_token": token}),
    )  # the session's answers are gone: back to step 1
    past = f"/r/{world['past'].manage_token}"
    yield "follow-up", await client.get(f"{past}/follow-up")
    yield "follow-up, empty", await client.post(f"{past}/follow-up", data={"_csrf_token": token})
    yield "follow-up thanks", await client.get(f"{past}/follow-up/thanks")
    yield "cancelled", await client.get(f"/r/{world['cancelled'].manage_token}/cancelled")


@pytest.mark.parametrize("code", CODES)
async def test_every_page_has_its_language_and_direction(client: Any, code: str) -> None:
    world = await _world()
    language = i18n.language(code)
    client.cookies.set("lang", code)
    skip = i18n.translations(code).gettext("Skip to main content")
    seen = 0
    async for label, response in pages(client, world):
        if response.status_code in (301, 302, 303):
            continue
        html = response.text
        tag = re.search(r"<html[^>]*>", html)
        assert tag, label
        wanted = "en-GB" if code == "en" else code
        assert f'lang="{wanted}"' in tag.group(0), (label, tag.group(0))
        assert f'dir="{language.dir}"' in tag.group(0), (label, tag.group(0))
        assert skip in html, f"{label}: not in {code}"
        assert 'class="app-languages"' in html, f"{label}: no language list"
        seen += 1
    assert seen >= 22


async def test_no_words_bypass_gettext(client: Any) -> None:
    """Rendered in the pseudo-locale, a page shows every translated message as ⟦…⟧:
    what is left outside is data (names, places, the fair's own words) or a leak."""
    world = await _world()
    client.cookies.set("lang", i18n.PSEUDO.code)
    data = [TITLE, DESCRIPTION, PERSON, EMAIL, "Rugby Borough Council Jobs", VACANCY, PARTNER]
    data += [str(world["event"][k]) for k in ("venue_name", "venue_address", "access_notes")]
    data += [c["name"] for c in await councils()]
    leaks = []
    async for label, response in pages(client, world):
        if response.status_code in (301, 302, 303):
            continue
        words = english_left(readable(response.text), data)
        if words:
            leaks.append(f"{label}: {words[:12]}")
    assert not leaks, "\n".join(leaks)


async def test_lang_link_sets_the_cookie_and_the_cookie_is_kept(client: Any) -> None:
    response = await client.get("/?lang=pl")
    assert 'lang="pl"' in response.text
    assert "lang=pl" in response.headers.get("set-cookie", "")
    client.cookies.set("lang", "pl")
    again = await client.get("/")
    assert 'lang="pl"' in again.text
    assert "set-cookie" not in again.headers or "lang=" not in again.headers["set-cookie"]


async def test_first_visit_follows_accept_language(client: Any) -> None:
    response = await client.get("/", headers={"Accept-Language": "fr-FR, ar;q=0.8, en;q=0.5"})
    assert 'lang="ar" dir="rtl"' in response.text
    unknown = await client.get("/", headers={"Accept-Language": "fr, de;q=0.9"})
    assert 'lang="en-GB" dir="ltr"' in unknown.text
    # Punjabi in Shahmukhi is not our Gurmukhi: the reader's next choice instead.
    shahmukhi = await client.get("/", headers={"Accept-Language": "pa-PK, ur;q=0.9"})
    assert 'lang="ur" dir="rtl"' in shahmukhi.text
    gurmukhi = await client.get("/", headers={"Accept-Language": "pa-Guru-IN"})
    assert 'lang="pa" dir="ltr"' in gurmukhi.text


async def test_staff_pages_stay_in_english(client: Any) -> None:
    client.cookies.set("lang", "ar")
    login = await client.get("/login")
    assert 'lang="en-GB" dir="ltr"' in login.text
    assert 'class="app-languages"' not in login.text


async def test_the_language_list_links_keep_the_page_and_its_query(client: Any) -> None:
    event = await make_event()
    response = await client.get(f"/events/{event['slug']}?job_family=digital")
    assert f'href="/events/{event["slug"]}?job_family=digital&amp;lang=ur"' in response.text
    assert 'aria-current="true">English<' in response.text


async def test_the_change_page_sets_the_language_of_emails_and_pages(client: Any) -> None:
    event = await make_event()
    person = await register(event, name=PERSON, email=EMAIL)
    page = await client.get(f"/r/{person.manage_token}/change")
    token = csrf_from(page.text)
    form = {"_csrf_token": token, "job_alerts": "no", "language": "xx"}
    refused = await client.post(f"/r/{person.manage_token}/change", data=form)
    assert refused.status_code == 400
    assert 'href="#language"' in refused.text  # the error summary names the field
    saved = await client.post(f"/r/{person.manage_token}/change", data={**form, "language": "ro"})
    assert saved.status_code == 303
    assert saved.headers["location"].endswith("&lang=ro")  # the pages follow
    followed = await client.get(saved.headers["location"])
    assert 'lang="ro"' in followed.text and "lang=ro" in followed.headers["set-cookie"]
    [email] = await outbox("registration_changed")
    assert email["Content-Language"] == "ro"


async def test_no_attribute_holds_the_ltr_markup(client: Any) -> None:
    """`| ltr` writes <bdi> on right-to-left pages: never inside an attribute."""
    world = await _world()
    client.cookies.set("lang", "ar")
    async for label, response in pages(client, world):
        assert not re.search(r'="[^"]*<bdi', response.text), label
