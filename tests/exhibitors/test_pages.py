"""The application form, the organiser's review pages and the public directory."""

from __future__ import annotations

from typing import Any

from exhibitors.services import directory, directory_context
from exhibitors.stands import allocate_stand
from exhibitors.tables import Exhibitor, Vacancy
from fairground.templating import render
from tests.exhibitors.helpers import apply, approve, make_stand, make_subscriber, outbox
from tests.factories import csrf_from, login, make_event, make_org, make_user, post_form

FORM = {
    "organisation": "Coventry City Council",
    "subscriber_ref": "WMJ-0042",
    "contact_name": "Sam Patel",
    "contact_email": "recruitment@coventry.gov.uk",
    "contact_phone": "024 7683 3333",
    "power": "yes",
    "tables": "2",
    "staff": "4",
    "notes": "Near the entrance, please",
    "vacancy_1_title": "Social Worker",
    "vacancy_1_job_family": "social-work",
    "vacancy_1_url": "https://jobs.example.org/sw",
}


async def test_the_form_offers_known_organisations_and_job_families(client: Any) -> None:
    event = await make_event()
    page = await client.get(f"/events/{event['slug']}/exhibit")
    assert page.status_code == 200
    assert '<option value="Coventry City Council">' in page.text  # the datalist
    assert 'list="organisation-list"' in page.text
    assert 'value="social-care"' in page.text
    assert "style=" not in page.text and "<script>" not in page.text


async def test_a_verified_application_through_the_form(client: Any) -> None:
    event = await make_event()
    await make_subscriber()
    url = f"/events/{event['slug']}/exhibit"
    response = await post_form(client, url, FORM)
    assert response.status_code == 303
    sent = await client.get(response.headers["location"])
    assert 'data-verification="verified"' in sent.text
    row = await Exhibitor.select().first()
    assert row is not None
    assert (row["verification"], row["needs_tables"], row["staff_limit"], row["needs_power"]) == (
        "verified",
        2,
        4,
        True,
    )
    assert (await Vacancy.select(Vacancy.url).first()) == {"url": "https://jobs.example.org/sw"}


async def test_the_applicant_is_told_clearly_why_it_needs_review(client: Any) -> None:
    event = await make_event()
    await make_subscriber()
    url = f"/events/{event['slug']}/exhibit"
    response = await post_form(client, url, {**FORM, "contact_email": "sam@gmail.com"})
    sent = await client.get(response.headers["location"])
    assert 'data-verification="needs_review"' in sent.text
    assert "not at one of the email domains registered" in sent.text
    assert "This is not a refusal" in sent.text


async def test_mistakes_are_shown_against_their_fields_and_nothing_is_kept(client: Any) -> None:
    event = await make_event()
    url = f"/events/{event['slug']}/exhibit"
    bad = {**FORM, "contact_email": "nope", "staff": "many", "vacancy_2_title": "Planner"}
    response = await post_form(client, url, bad)
    assert response.status_code == 400
    for field in ("contact_email", "staff", "vacancy_2_job_family"):
        assert f'href="#{field}"' in response.text
    assert 'value="Near the entrance, please"' not in response.text  # a textarea, not a value
    assert "Near the entrance, please" in response.text
    assert await Exhibitor.count() == 0 and await outbox() == []


async def test_a_second_application_is_a_conflict_on_the_form(client: Any) -> None:
    event = await make_event()
    await make_subscriber()
    url = f"/events/{event['slug']}/exhibit"
    await post_form(client, url, FORM)
    again = await post_form(client, url, FORM)
    assert again.status_code == 409
    assert "already applied" in again.text


async def test_draft_fairs_have_no_form_and_closed_ones_say_so(client: Any) -> None:
    draft = await make_event(status="draft")
    assert (await client.get(f"/events/{draft['slug']}/exhibit")).status_code == 404
    from events.tables import Event

    event = await make_event()
    await Event.update({Event.status: "cancelled"}).where(Event.id == event["id"])
    page = await client.get(f"/events/{event['slug']}/exhibit")
    assert "not taking applications" in page.text and '<form method="post" action' not in page.text


async def _review_world() -> dict[str, Any]:
    org = await make_org()
    organiser = await make_user("organiser", org=org)
    event = await make_event(org)
    await make_subscriber()
    verified = await apply(event)
    review = await apply(event, organisation="Rugby Borough Council", subscriber_ref="")
    return {"event": event, "organiser": organiser, "verified": verified, "review": review}


async def test_organiser_filters_applications(client: Any) -> None:
    world = await _review_world()
    await login(client, world["organiser"])
    base = f"/organiser/events/{world['event']['slug']}/exhibitors"
    everyone = await client.get(base)
    assert everyone.status_code == 200
    assert "Coventry City Council" in everyone.text and "Rugby Borough Council" in everyone.text
    assert "No subscriber reference was given." in everyone.text
    assert "Current subscriber" in everyone.text
    review = await client.get(f"{base}?verification=needs_review")
    assert "Rugby Borough Council" in review.text and "Coventry City Council" not in review.text
    approved = await client.get(f"{base}?status=approved")
    assert "No applications match." in approved.text


async def test_organiser_approves_with_a_stand_and_a_message(client: Any) -> None:
    world = await _review_world()
    await make_stand(world["event"]["id"], "A12")
    await login(client, world["organiser"])
    detail = f"/organiser/events/{world['event']['slug']}/exhibitors/{world['review']}"
    page = await client.get(detail)
    assert page.status_code == 200 and "Needs review:" in page.text
    response = await post_form(
        client,
        f"{detail}/decision",
        {"decision": "approve", "stand": "A12", "message": "See you there"},
        detail,
    )
    assert response.status_code == 303
    row = await Exhibitor.select().where(Exhibitor.id == world["review"]).first()
    assert row is not None and (row["status"], row["decision_message"]) == (
        "approved",
        "See you there",
    )
    mail = (await outbox("exhibitor_decision"))[0]
    assert "confirmed" in mail["subject"] and b"See you there" in mail["payload"]


async def test_a_decision_without_a_choice_is_shown_on_the_page(client: Any) -> None:
    world = await _review_world()
    await login(client, world["organiser"])
    detail = f"/organiser/events/{world['event']['slug']}/exhibitors/{world['review']}"
    response = await post_form(client, f"{detail}/decision", {"message": "hm"}, detail)
    assert response.status_code == 400 and 'href="#decision"' in response.text


async def test_an_exhibitor_of_another_event_is_not_found_here(client: Any) -> None:
    world = await _review_world()
    other = await make_event(world["event"]["organisation"])
    await login(client, world["organiser"])
    url = f"/organiser/events/{other['slug']}/exhibitors/{world['review']}"
    assert (await client.get(url)).status_code == 404


async def test_directory_lists_approved_exhibitors_with_stands_and_roles() -> None:
    world = await _review_world()
    a1 = await make_stand(world["event"]["id"], "A1")
    await approve(world["event"], world["verified"], world["organiser"]["id"])
    await allocate_stand(world["event"]["id"], world["verified"], a1, world["organiser"]["id"])
    listed = await directory(world["event"]["id"])
    assert [(e["name"], e["stand"]) for e in listed] == [("Coventry City Council", "A1")]
    assert listed[0]["vacancies"][0]["job_family_name"] == "Adult social care"
    assert await directory(world["event"]["id"], "planning") == []
    context = await directory_context(world["event"]["id"], "social-care")
    assert context["job_family"] == "social-care" and len(context["exhibitors"]) == 1
    assert [f["code"] for f in context["job_families"]] == ["social-care"]
    html = render("exhibitors/_directory.html", event=world["event"], **context)
    assert 'id="exhibitors"' in html and "Stand A1" in html and "Social Worker" in html
    assert '<option value="social-care" selected>' in html
    unknown = await directory_context(world["event"]["id"], "<script>")
    assert unknown["job_family"] is None and len(unknown["exhibitors"]) == 1


async def test_directory_is_empty_before_anyone_is_approved() -> None:
    world = await _review_world()
    context = await directory_context(world["event"]["id"])
    html = render("exhibitors/_directory.html", event=world["event"], **context)
    assert "will be listed here soon" in html
    assert f"/events/{world['event']['slug']}/exhibit" in html


async def test_csrf_is_required_on_the_public_form(client: Any) -> None:
    event = await make_event()
    response = await client.post(f"/events/{event['slug']}/exhibit", data=FORM)
    assert response.status_code == 403
    page = await client.get(f"/events/{event['slug']}/exhibit")
    assert csrf_from(page.text)
