"""`fair demo`: a fair like the real one, seeded through the services, the same however
often it runs, with a login per role that lands on a page with data, and a fair open
today whose door accepts a check-in."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime
from typing import Any

import pyotp

from events.tables import Event
from exhibitors.leads.tables import Lead, LeadDelivery
from exhibitors.tables import Exhibitor, Stand, StandAllocation, Vacancy
from fairground.demo import DEMO_SLUG, seed_demo
from fairground.tables import Organisation
from registrations.tables import AccessRequest, CheckIn, Registration
from tests.factories import token_for

LOGIN = re.compile(r"^  (\w[\w ]*):\s+(\S+@\S+) / (\S+)$")
START = re.compile(r"^\s+http://testserver\.local(/\S*)$")


async def row_counts() -> dict[str, int]:
    from tests.conftest import all_tables

    return {t._meta.tablename: await t.count() for t in all_tables()}


def logins(lines: list[str]) -> dict[str, tuple[str, str, str]]:
    """Role → (email, password, the address to start at, on the line below)."""
    found = {}
    for line, below in itertools.pairwise(lines):
        login, start = LOGIN.match(line), START.match(below)
        if login and start:
            found[login.group(1)] = (login.group(2), login.group(3), start.group(1))
    return found


async def a_coventry_lead() -> str:
    """The name of someone whose lead reached Coventry City Council."""
    row = (
        await LeadDelivery.select(LeadDelivery.lead.registration.name.as_alias("name"))
        .where(LeadDelivery.council.code == "E08000026")
        .first()
    )
    assert row is not None
    return str(row["name"]).replace("'", "&#39;")


async def drop_in() -> dict[str, Any]:
    row = await Event.select().where(Event.slug.like("coventry-jobs-drop-in-%")).first()
    assert row is not None
    return row


async def test_the_demo_is_a_fair_like_the_real_one() -> None:
    await seed_demo()
    fair = await Event.select().where(Event.slug == DEMO_SLUG).first()
    assert fair is not None
    approved = await Exhibitor.select(Exhibitor.id, Exhibitor.organisation.name).where(
        (Exhibitor.event == fair["id"]) & (Exhibitor.status == "approved")
    )
    names = {r["organisation.name"] for r in approved}
    assert 14 <= len(approved) <= 16
    assert {"Birmingham City Council", "West Midlands Police", "West Midlands Fire Service"} <= (
        names
    )
    assert any("NHS" in n for n in names) and any("University" in n for n in names)
    ids = [r["id"] for r in approved]
    assert await StandAllocation.count().where(StandAllocation.exhibitor.is_in(ids)) == len(ids)
    assert await Stand.count().where(Stand.event == fair["id"]) > len(ids)  # some free
    for exhibitor_id in ids:  # every stand has vacancies to show
        assert await Vacancy.count().where(Vacancy.exhibitor == exhibitor_id) >= 1
    subscribers = await Organisation.count().where(Organisation.subscriber_ref.is_not_null())
    assert subscribers >= 15
    people = Registration.event == fair["id"]
    assert 250 <= await Registration.count().where(people) <= 400
    assert await Registration.count().where(people & (Registration.status == "waitlisted")) >= 3
    assert await Registration.count().where(people & (Registration.status == "cancelled")) >= 3
    assert await AccessRequest.count().where(AccessRequest.registration.event == fair["id"]) >= 5
    names_seen = {r["name"] for r in await Registration.select(Registration.name).where(people)}
    assert len(names_seen) > 200  # realistic variety, not "Attendee 1"


async def test_the_fair_open_today_has_arrivals_leads_and_outcomes() -> None:
    await seed_demo()
    today = await drop_in()
    now = datetime.now(UTC)
    assert today["starts_at"] <= now < today["ends_at"]
    arrived = await CheckIn.count().where(
        (CheckIn.event == today["id"]) & (CheckIn.verdict == "ok")
    )
    registered = await Registration.count().where(Registration.event == today["id"])
    assert 0 < arrived < registered
    leads = await Lead.select(Lead.id, Lead.consent_given).where(Lead.event == today["id"])
    assert len(leads) >= 10 and any(r["consent_given"] for r in leads)
    deliveries = await LeadDelivery.select(LeadDelivery.outcome).where(
        LeadDelivery.lead.is_in([r["id"] for r in leads])
    )
    assert deliveries and any(d["outcome"] for d in deliveries)


async def test_running_the_demo_again_changes_nothing() -> None:
    first = await seed_demo()
    before = await row_counts()
    second = await seed_demo()
    assert await row_counts() == before
    assert first == second


async def test_each_login_signs_in_and_lands_on_a_page_with_data(client: Any) -> None:
    found = logins(await seed_demo())
    assert set(found) == {"Organiser", "Door staff", "Exhibitor", "Council"}
    expected = {
        "Organiser": "Library of Birmingham",
        "Door staff": "Coventry Jobs Drop-in",
        "Exhibitor": "Coventry City Council",
        "Council": await a_coventry_lead(),
    }
    for role, (email, password, start) in found.items():
        client.cookies.clear()
        page = await client.get("/login")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        signed_in = await client.post(
            "/login", data={"email": email, "password": password, "_csrf_token": token[1]}
        )
        assert signed_in.status_code in (302, 303), (role, signed_in.text[:300])
        landing = await client.get(start)
        if landing.headers.get("location") == "/account/two-factor":
            # Organisers and council recruiters set up two-factor sign-in first.
            setup = await client.get("/account/two-factor")
            key = re.search(r'id="setup-key">([A-Z2-7 ]+)<', setup.text)
            assert key is not None, role
            code = pyotp.TOTP(key[1].replace(" ", "")).now()
            token = re.search(r'name="_csrf_token" value="([^"]+)"', setup.text)
            assert token is not None
            await client.post("/account/two-factor", data={"code": code, "_csrf_token": token[1]})
            landing = await client.get(start)
        assert landing.status_code == 200, (role, start, landing.text[:300])
        assert expected[role] in landing.text, (role, start)


async def test_the_door_of_the_fair_open_today_accepts_a_check_in(client: Any) -> None:
    await seed_demo()
    today = await drop_in()
    waiting = (
        await Registration.select(Registration.ticket_code)
        .where(
            (Registration.event == today["id"])
            & (Registration.status == "confirmed")
            & Registration.checked_in_at.is_null()
        )
        .first()
    )
    assert waiting is not None
    from fairground.tables import User

    door = await User.select(User.id).where(User.email == "door@example.org").first()
    assert door is not None
    headers = {"authorization": f"Bearer {await token_for(door)}"}
    body = {"code": waiting["ticket_code"], "event": today["slug"], "door": "Main entrance"}
    scanned = await client.post("/api/v1/checkins", json=body, headers=headers)
    assert scanned.status_code == 200, scanned.text
    assert scanned.json()["result"] == "ok"


async def test_an_exhibitor_that_asked_for_power_has_a_powered_stand() -> None:
    await seed_demo()
    rows = await StandAllocation.select(
        StandAllocation.stand.power.as_alias("powered"),
        StandAllocation.exhibitor.needs_power.as_alias("needs"),
    )
    assert rows and all(r["powered"] for r in rows if r["needs"])


async def test_the_bare_fair_an_older_demo_made_is_filled_in() -> None:
    from events.services import create_event
    from fairground.demo import _big_fair_fields
    from tests.factories import make_org

    fields = _big_fair_fields()
    day_slots = fields["slots"][1:]  # the older demo's two entry times, no quiet hour
    await create_event(await make_org(), {**fields, "slots": day_slots})
    await seed_demo()
    fair = await Event.select(Event.id).where(Event.slug == DEMO_SLUG).first()
    assert fair is not None
    assert await Exhibitor.count().where(Exhibitor.event == fair["id"]) >= 15
    assert await Registration.count().where(Registration.event == fair["id"]) >= 250
