"""The plan for the day (exhibitors.plan): the attendee's employers, stands,
vacancies and interview bookings, on the ticket page, the printable page and the
confirmation and reminder emails; changing interests changes it."""

from __future__ import annotations

import sys
import types
from datetime import timedelta
from typing import Any

from exhibitors import plan as plan_module
from exhibitors.plan import assemble, build_plan, stand_order
from exhibitors.stands import allocate_stand
from fairground import timefmt
from fairground.templating import render
from registrations.emails import send_reminder_email
from registrations.services import get_registration, update_registration
from registrations.tables import Registration
from tests.exhibitors.helpers import apply, approve, make_stand, make_subscriber
from tests.factories import make_event, make_org, make_user
from tests.registrations.helpers import outbox, parts, register
from tests.registrations.test_change_pages import change, form

CARE = {"title": "Social Worker", "job_family": "social-care", "url": "https://jobs.example.org/1"}
PLANNER = {
    "title": "Planning Officer",
    "job_family": "planning",
    "url": "https://jobs.example.org/2",
}
CLOSED = {"title": "Care Assistant", "job_family": "social-care", "closes_on": "2020-01-31"}


async def _fair() -> dict[str, Any]:
    """Three stands (A2, A10, B1), two employers on them and one waiting for a stand:
    Coventry hires in social care (A10), Solihull in planning (A2), Rugby only had
    a social-care vacancy that has closed."""
    org = await make_org()
    organiser = await make_user("organiser", org=org)
    event = await make_event(org)
    await make_subscriber()
    a2 = await make_stand(event["id"], "A2", x=0)
    a10 = await make_stand(event["id"], "A10", x=4)
    await make_stand(event["id"], "B1", x=8)
    coventry = await apply(event, vacancies=[CARE])
    solihull = await apply(
        event, organisation="Solihull Council", subscriber_ref="", vacancies=[PLANNER]
    )
    rugby = await apply(
        event, organisation="Rugby Borough Council", subscriber_ref="", vacancies=[CLOSED]
    )
    for exhibitor in (coventry, solihull, rugby):
        await approve(event, exhibitor, organiser["id"])
    await allocate_stand(event["id"], coventry, a10, organiser["id"])
    await allocate_stand(event["id"], solihull, a2, organiser["id"])
    return {"event": event, "organiser": organiser, "a2": a2, "a10": a10}


async def _plan_of(token: str) -> plan_module.Plan:
    registration = await get_registration(token)
    return await build_plan(registration, registration["event"])


def render_clock(value: Any, tz: str) -> str:
    return timefmt.clock(timefmt.local(value, tz))


def _names(plan: plan_module.Plan) -> list[str]:
    return [e["name"] for e in plan.exhibitors]


async def test_the_plan_follows_the_interests_and_changes_with_them() -> None:
    fair = await _fair()
    person = await register(fair["event"], interests=["social-care"])
    plan = await _plan_of(person.manage_token)
    assert _names(plan) == ["Coventry City Council"] and not plan.everyone
    assert [s["code"] for s in plan.stands] == ["A10"]
    assert [v["title"] for v in plan.vacancies] == ["Social Worker"]
    assert plan.interests == ["Adult social care"]
    highlighted = [b["code"] for b in plan.floor["boxes"] if b["state"] == "plan"]  # type: ignore[index]
    assert highlighted == ["A10"]

    await update_registration(person.manage_token, {"interests": ["planning"]})
    plan = await _plan_of(person.manage_token)
    assert _names(plan) == ["Solihull Council"]
    assert [s["code"] for s in plan.stands] == ["A2"]
    assert [v["url"] for v in plan.vacancies] == ["https://jobs.example.org/2"]

    await update_registration(person.manage_token, {"interests": ["planning", "social-care"]})
    plan = await _plan_of(person.manage_token)
    assert _names(plan) == ["Solihull Council", "Coventry City Council"]  # A2 before A10
    assert [s["code"] for s in plan.stands] == ["A2", "A10"]


async def test_the_ticket_page_shows_the_plan_and_the_api_change_changes_it(client: Any) -> None:
    fair = await _fair()
    person = await register(fair["event"], interests=["social-care"])
    page = await client.get(f"/r/{person.manage_token}")
    assert page.status_code == 200
    assert "Your plan for the day" in page.text and "Coventry City Council" in page.text
    assert "Solihull Council" not in page.text.split('id="plan-employers"')[1]
    assert 'class="app-floorplan__stand app-floorplan__stand--plan"' in page.text
    assert f'href="/r/{person.manage_token}/plan"' in page.text

    response = await client.patch(
        f"/api/v1/registrations/{person.manage_token}", json={"interests": ["planning"]}
    )
    assert response.status_code == 200
    page = await client.get(f"/r/{person.manage_token}")
    section = page.text.split('id="plan-employers"')[1]
    assert "Solihull Council" in section and "Coventry City Council" not in section
    assert "Planning Officer" in section and 'href="https://jobs.example.org/2"' in section


async def test_no_interests_shows_every_open_employer_and_a_link_to_choose() -> None:
    fair = await _fair()
    person = await register(fair["event"])
    plan = await _plan_of(person.manage_token)
    assert plan.everyone and plan.interests == []
    # Rugby's only vacancy has closed: it is still at the fair, with nothing open.
    assert _names(plan) == ["Solihull Council", "Coventry City Council", "Rugby Borough Council"]
    assert plan.exhibitors[2]["vacancies"] == [] and plan.exhibitors[2]["stand"] is None
    registration = await get_registration(person.manage_token)
    html = render(
        "registrations/_plan.html",
        plan=plan,
        registration=registration,
        event=registration["event"],
    )
    assert "every employer at the fair" in html
    assert f'href="/r/{person.manage_token}/change#interests"' in html
    assert "Stand to be confirmed" in html


async def test_a_closed_vacancy_is_not_on_the_plan() -> None:
    fair = await _fair()
    person = await register(fair["event"], interests=["social-care"])
    plan = await _plan_of(person.manage_token)
    assert "Care Assistant" not in [v["title"] for v in plan.vacancies]
    assert "Rugby Borough Council" not in _names(plan)


async def test_interests_nobody_hires_in_say_so() -> None:
    fair = await _fair()
    person = await register(fair["event"], interests=["finance"])
    plan = await _plan_of(person.manage_token)
    assert plan.exhibitors == [] and plan.stands == [] and not plan.everyone
    registration = await get_registration(person.manage_token)
    html = render(
        "registrations/_plan.html",
        plan=plan,
        registration=registration,
        event=registration["event"],
    )
    assert "No employers at this fair are hiring in the jobs you chose yet" in html
    assert f'href="/events/{fair["event"]["slug"]}#exhibitors"' in html


async def test_bookings_are_listed_with_times_and_where_to_go() -> None:
    fair = await _fair()
    person = await register(fair["event"], interests=["planning"])
    registration = await get_registration(person.manage_token)
    event = registration["event"]
    start = event["starts_at"] + timedelta(hours=1)
    bookings = [
        {
            "id": 7, "starts_at": start + timedelta(minutes=30),
            "ends_at": start + timedelta(minutes=50),
            "status": "booked", "exhibitor_name": "Coventry City Council", "stand": "A10",
            "vacancy_title": "Social Worker", "where": "Interview room 2, first floor",
        },
        {
            "id": 8, "starts_at": start, "ends_at": start + timedelta(minutes=20),
            "status": "booked", "exhibitor_name": "Solihull Council", "stand": "A2",
            "vacancy_title": "", "where": "",
        },
        {
            "id": 9, "starts_at": start, "ends_at": start + timedelta(minutes=20),
            "status": "cancelled", "exhibitor_name": "Gone Ltd", "stand": "B1",
            "vacancy_title": "", "where": "",
        },
    ]  # fmt: skip
    plan = await build_plan(registration, event, bookings=bookings)
    assert [b["id"] for b in plan.bookings] == [8, 7]  # by time, the cancelled one left out
    # The interview's stand is highlighted too, though its employer is not in the interests.
    assert [s["code"] for s in plan.stands] == ["A2", "A10"]
    html = render("registrations/_plan.html", plan=plan, registration=registration, event=event)
    assert "Your interviews" in html and "Gone Ltd" not in html
    interviews = html.split('id="plan-interviews"')[1].split('id="plan-stands"')[0]
    assert interviews.index("Solihull Council") < interviews.index("Coventry City Council")
    assert "Where: Interview room 2, first floor" in interviews and "Where: stand A2" in interviews
    tz = event["timezone"]
    expected = f"{render_clock(start, tz)} to {render_clock(start + timedelta(minutes=20), tz)}"
    assert f"{expected}: Solihull Council" in interviews
    text = render(
        "email/registration_parts/plan.txt",
        plan=plan,
        manage_url="https://x/r/t",
        tz=event["timezone"],
    )
    assert "Your interviews" in text and "Interview room 2, first floor" in text


async def test_bookings_come_from_the_interviews_app_when_it_is_there(monkeypatch: Any) -> None:
    assert await plan_module._bookings(1) == []  # not installed in this tree
    fake = types.ModuleType(plan_module.INTERVIEWS)

    async def bookings_for_registration(registration_id: int) -> list[dict[str, Any]]:
        return [{"id": registration_id}]

    fake.bookings_for_registration = bookings_for_registration  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, plan_module.INTERVIEWS, fake)
    assert await plan_module._bookings(5) == [{"id": 5}]


def test_stands_are_in_natural_order() -> None:
    codes = ["B1", "A10", None, "A2", "A1"]
    assert sorted(codes, key=stand_order) == ["A1", "A2", "A10", "B1", None]


def test_assemble_without_stands_has_no_floor() -> None:
    from datetime import date

    row = {"id": 1, "name": "X", "stand": None, "profile": "", "logo_url": None, "vacancies": []}
    plan = assemble([row], [], [], [], date(2030, 1, 1))
    assert plan.floor is None and plan.everyone and plan.stands == []


async def test_the_printable_plan(client: Any) -> None:
    fair = await _fair()
    person = await register(fair["event"], interests=["social-care", "planning"])
    response = await client.get(f"/r/{person.manage_token}/plan")
    assert response.status_code == 200
    assert response.headers["referrer-policy"] == "no-referrer"
    html = response.text
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert 'role="img" aria-labelledby="floorplan-title" aria-describedby="floorplan-desc"' in html
    assert (
        '<desc id="floorplan-desc">The 2 stands on your plan are highlighted: A2, A10.</desc>'
        in html
    )
    stands = html.split('id="plan-stands"')[1].split("</ol>")[0]
    assert stands.index("Stand A2: Solihull Council") < stands.index(
        "Stand A10: Coventry City Council"
    )
    assert "On your plan" in html and "Empty stand" in html
    assert (await client.get("/r/not-a-token/plan")).status_code == 404


async def test_the_confirmation_and_reminder_emails_carry_the_plan() -> None:
    fair = await _fair()
    person = await register(fair["event"], interests=["planning"])
    [confirmation] = await outbox("registration_confirmation")
    found = parts(confirmation)
    assert "Your plan for the day" in found["text"] and "Solihull Council" in found["text"]
    assert "Planning Officer (Planning and regulation): https://jobs.example.org/2" in found[
        "text"
    ] or ("Planning Officer" in found["text"] and "https://jobs.example.org/2" in found["text"])
    assert "Coventry City Council" not in found["text"]
    assert 'href="https://jobs.example.org/2"' in found["html"] and "Stand A2" in found["html"]
    assert f"/r/{person.manage_token}/plan" in found["html"]

    # The reminder is built when it is sent: the interests of that moment.
    await update_registration(person.manage_token, {"interests": ["social-care"]})
    row = (
        await Registration.select().where(Registration.manage_token == person.manage_token).first()
    )
    registration = await get_registration(person.manage_token)
    await send_reminder_email(row, registration["event"], None)  # type: ignore[arg-type]
    [reminder] = await outbox("registration_reminder")
    found = parts(reminder)
    assert "Coventry City Council" in found["text"] and "Solihull Council" not in found["text"]
    assert "Stand A10" in found["html"] and 'href="https://jobs.example.org/1"' in found["html"]


async def test_the_api_returns_the_plan_and_a_patch_changes_it(client: Any) -> None:
    fair = await _fair()
    person = await register(fair["event"], interests=["social-care"])
    url = f"/api/v1/registrations/{person.manage_token}"
    body = (await client.get(url)).json()
    plan = body["plan"]
    assert plan["everyone"] is False and plan["interests"] == ["Adult social care"]
    assert [e["name"] for e in plan["exhibitors"]] == ["Coventry City Council"]
    assert plan["exhibitors"][0]["stand"] == "A10"
    assert plan["exhibitors"][0]["vacancies"][0]["url"] == "https://jobs.example.org/1"
    assert plan["stands"] == [{"code": "A10", "exhibitor_name": "Coventry City Council"}]
    assert plan["bookings"] == [] and plan["links"]["page"].endswith("/plan")
    changed = (await client.patch(url, json={"interests": []})).json()["plan"]
    assert changed["everyone"] is True and len(changed["exhibitors"]) == 3


async def test_the_change_page_changes_the_plan(client: Any) -> None:
    fair = await _fair()
    person = await register(fair["event"], interests=["social-care"])
    data = form(interests=["planning"])
    response = await change(client, person.manage_token, data)
    assert response.status_code == 303, response.text
    page = await client.get(response.headers["location"])
    employers = page.text.split('id="plan-employers"')[1]
    assert "Solihull Council" in employers and "Coventry City Council" not in employers
    assert "Employers hiring in the jobs you chose: Planning and building control." in page.text
