"""The public fair page: its floor plan, and schema.org Event and JobPosting data
parsed back and checked against what Google requires of each (Event: name,
startDate, location with an address; JobPosting: title, description,
datePosted, hiringOrganization, jobLocation; validThrough when it closes)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from events.tables import Event
from exhibitors.tables import Vacancy
from tests.exhibitors.test_plan import _fair
from tests.factories import login, make_event, make_org, make_user

LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def _items(html: str) -> list[dict[str, Any]]:
    return [json.loads(block) for block in LD.findall(html)]


def _offset(value: str) -> bool:
    return datetime.fromisoformat(value).utcoffset() is not None


async def test_the_fair_page_carries_an_event(client: Any) -> None:
    fair = await _fair()
    event = fair["event"]
    response = await client.get(f"/events/{event['slug']}")
    assert response.status_code == 200
    [item] = [i for i in _items(response.text) if i["@type"] == "Event"]
    assert item["@context"] == "https://schema.org"
    for required in ("name", "startDate", "location"):
        assert item[required]
    assert item["name"] == event["title"]
    assert _offset(item["startDate"]) and _offset(item["endDate"])
    assert datetime.fromisoformat(item["startDate"]) == event["starts_at"]
    assert item["eventStatus"] == "https://schema.org/EventScheduled"
    assert item["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
    location = item["location"]
    assert location["@type"] == "Place" and location["name"] == "Library of Birmingham"
    address = location["address"]
    assert address["@type"] == "PostalAddress" and address["postalCode"] == "B1 2ND"
    assert address["addressLocality"] == "Birmingham" and address["addressCountry"] == "GB"
    assert item["organizer"]["@type"] == "Organization" and item["organizer"]["name"]
    offer = item["offers"]
    assert offer["price"] == "0" and offer["priceCurrency"] == "GBP"
    assert offer["url"].endswith(f"/events/{event['slug']}/register")
    assert item["description"]


async def test_a_cancelled_fair_says_so_and_a_draft_has_no_data(client: Any) -> None:
    cancelled = await make_event()
    await Event.update({Event.status: "cancelled"}).where(Event.id == cancelled["id"])
    [item] = _items((await client.get(f"/events/{cancelled['slug']}")).text)
    assert item["eventStatus"] == "https://schema.org/EventCancelled"
    org = await make_org()
    draft = await make_event(org, status="draft")
    await login(client, await make_user("organiser", org=org))
    response = await client.get(f"/events/{draft['slug']}")
    assert response.status_code == 200 and _items(response.text) == []


async def test_each_open_vacancy_is_a_job_posting(client: Any) -> None:
    fair = await _fair()
    event = fair["event"]
    await Vacancy.update({Vacancy.closes_on: datetime(2099, 3, 31).date()}).where(
        Vacancy.title == "Planning Officer"
    )
    html = (await client.get(f"/events/{event['slug']}")).text
    postings = {i["title"]: i for i in _items(html) if i["@type"] == "JobPosting"}
    assert set(postings) == {"Social Worker", "Planning Officer"}  # the closed one is not there
    for posting in postings.values():
        for required in ("title", "description", "datePosted", "hiringOrganization", "jobLocation"):
            assert posting[required], required
        assert posting["jobLocation"]["address"]["postalCode"] == "B1 2ND"
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", posting["datePosted"])
    planner = postings["Planning Officer"]
    assert planner["hiringOrganization"] == {"@type": "Organization", "name": "Solihull Council"}
    assert planner["url"] == "https://jobs.example.org/2"
    assert planner["validThrough"] == "2099-03-31T23:59:59+01:00"
    assert "validThrough" not in postings["Social Worker"]
    assert "stand A10" in postings["Social Worker"]["description"]


async def test_the_data_is_escaped_inside_the_script(client: Any) -> None:
    fair = await _fair()
    await Vacancy.update({Vacancy.title: "</script><b>Chef & cook</b>"}).where(
        Vacancy.title == "Social Worker"
    )
    html = (await client.get(f"/events/{fair['event']['slug']}")).text
    assert "</script><b>" not in html
    postings = [i for i in _items(html) if i["@type"] == "JobPosting"]
    assert "</script><b>Chef & cook</b>" in [p["title"] for p in postings]
    assert (
        "&lt;/script&gt;" in next(p for p in postings if p["title"].startswith("<"))["description"]
    )


async def test_the_fair_page_shows_the_floor_plan_and_the_stands_in_order(client: Any) -> None:
    fair = await _fair()
    html = (await client.get(f"/events/{fair['event']['slug']}")).text
    section = html.split('id="floor-plan"')[1].split("</section>")[0]
    assert (
        'role="img" aria-labelledby="floorplan-title" aria-describedby="floorplan-desc"' in section
    )
    assert "Stands with employers, in order: A2, A10." in section
    assert section.index("Stand A2: Solihull Council") < section.index(
        "Stand A10: Coventry City Council"
    )
    assert "Empty stand" in section and 'id="exhibitors"' in html


async def test_a_fair_without_stands_has_no_floor_plan(client: Any) -> None:
    event = await make_event()
    html = (await client.get(f"/events/{event['slug']}")).text
    assert 'id="floor-plan"' not in html and 'id="exhibitors"' in html
    assert [i["@type"] for i in _items(html)] == ["Event"]
