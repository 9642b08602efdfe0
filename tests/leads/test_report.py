"""The organiser's report: every figure on the page against the database.

The expected numbers are counted here with our own SQL, not with the report's
code, so a figure the report gets wrong (or names wrongly) fails the test.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any
from zoneinfo import ZoneInfo

from events.tables import Event
from exhibitors.leads.tables import Lead, LeadDelivery
from registrations.tables import AccessRequest, Registration
from tests.factories import login, make_event, make_exhibitor, make_org, make_user
from tests.leads.helpers import COVENTRY, RUGBY, attendee, council_id


async def _count(sql: str, *args: Any) -> int:
    rows = await Registration.raw(sql, *args)
    return int(next(iter(rows[0].values())))


async def _fair() -> dict[str, Any]:
    """A fair with every kind of figure: statuses, check-ins, leads, deliveries."""
    org = await make_org()
    event = await make_event(org, capacity=50)
    people = [await attendee(event, n, interests=["social-care"]) for n in range(1, 8)]
    refs = [p.reference for p in people]
    rows = await Registration.select(Registration.id, Registration.reference)
    ids = [next(r["id"] for r in rows if r["reference"] == ref) for ref in refs]
    await Registration.update({Registration.status: "cancelled"}).where(Registration.id == ids[0])
    await Registration.update({Registration.status: "waitlisted"}).where(Registration.id == ids[1])
    at = event["starts_at"] + timedelta(minutes=20)
    await Registration.update({Registration.checked_in_at: at}).where(
        Registration.id.is_in(ids[2:5])
    )
    await AccessRequest.insert(AccessRequest(registration=ids[2], need="bsl", status="open"))
    stand_a = await make_exhibitor(event["id"], await make_org("Alpha Trust"))
    stand_b = await make_exhibitor(event["id"], await make_org("Beta Police"))
    leads = await Lead.insert(
        Lead(event=event["id"], exhibitor=stand_a, registration=ids[2], source="stand"),
        Lead(event=event["id"], exhibitor=stand_a, registration=ids[3], source="stand"),
        Lead(event=event["id"], exhibitor=stand_b, registration=ids[2], source="stand"),
        Lead(event=event["id"], exhibitor=None, registration=ids[4], source="follow-up"),
    ).returning(Lead.id)
    rugby, coventry = await council_id(RUGBY), await council_id(COVENTRY)
    await LeadDelivery.insert(
        *[
            LeadDelivery(
                lead=lead["id"],
                council=council,
                rule="home_council",
                consent_basis="consent_councils",
                outcome=outcome,
            )
            for lead, council, outcome in [
                (leads[0], rugby, "hired"),
                (leads[0], coventry, ""),
                (leads[1], rugby, "contacted"),
                (leads[2], rugby, ""),
                (leads[3], coventry, "hired"),
            ]
        ]
    )
    await LeadDelivery.update({LeadDelivery.status: "withdrawn"}).where(
        LeadDelivery.id == (await LeadDelivery.select(LeadDelivery.id).first() or {})["id"]
    )
    return {"org": org, "event": event}


def _figure(html: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}">([^<]*)<', html)
    assert match, f"no figure {name}"
    return unescape(match.group(1)).strip()


def _table(html: str, name: str) -> dict[str, int]:
    match = re.search(rf'data-table="{name}">(.*?)</table>', html, re.S)
    assert match, f"no table {name}"
    rows = re.findall(r'scope="row"[^>]*>([^<]*)</th><td[^>]*>(\d+)</td>', match.group(1))
    return {unescape(label): int(n) for label, n in rows}


async def _page(client: Any, fair: dict[str, Any]) -> str:
    await login(client, await make_user("organiser", org=fair["org"]))
    response = await client.get(f"/organiser/events/{fair['event']['slug']}/report")
    assert response.status_code == 200
    return str(response.text)


async def test_each_figure_matches_the_database(client: Any) -> None:
    fair = await _fair()
    event_id = fair["event"]["id"]
    html = await _page(client, fair)
    by_status = "select count(*) as n from registration where event = {} and status = {}"
    registered = await _count("select count(*) as n from registration where event = {}", event_id)
    confirmed = await _count(by_status, event_id, "confirmed")
    came = await _count(
        "select count(*) as n from registration where event = {} and status = 'confirmed'"
        " and checked_in_at is not null",
        event_id,
    )
    assert _figure(html, "registered") == str(registered) == "7"
    assert _figure(html, "confirmed") == str(confirmed)
    assert _figure(html, "attended").startswith(f"{came} of {confirmed} with a place")
    assert _figure(html, "cancelled") == str(await _count(by_status, event_id, "cancelled"))
    assert _figure(html, "waitlisted") == str(await _count(by_status, event_id, "waitlisted"))
    leads = await _count("select count(*) as n from lead where event = {}", event_id)
    follow = await _count(
        "select count(*) as n from lead where event = {} and source = 'follow-up'", event_id
    )
    assert _figure(html, "leads") == f"{leads} leads, of which {follow} from the follow-up survey"
    active = (
        "select o.name as name, count(*) as n from lead_delivery d join lead l on l.id = d.lead"
        " join organisation o on o.id = d.council where l.event = {} and d.status = 'active'"
        " group by o.name"
    )
    per_council = {r["name"]: int(r["n"]) for r in await Registration.raw(active, event_id)}
    assert _figure(html, "deliveries").startswith(f"{sum(per_council.values())} deliveries")
    assert _table(html, "per-council") == per_council
    per_exhibitor = (
        "select o.name as name, count(*) as n from lead l join exhibitor e on e.id = l.exhibitor"
        " join organisation o on o.id = e.organisation where l.event = {} group by o.name"
    )
    rows = await Registration.raw(per_exhibitor, event_id)
    assert _table(html, "per-exhibitor") == {r["name"]: int(r["n"]) for r in rows}
    outcomes = await Registration.raw(
        "select d.outcome as outcome, count(*) as n from lead_delivery d join lead l"
        " on l.id = d.lead where l.event = {} and d.status = 'active' group by d.outcome",
        event_id,
    )
    words = {"hired": "Hired", "contacted": "Contacted", "": "Not reported"}
    assert _table(html, "outcomes") == {words[r["outcome"]]: int(r["n"]) for r in outcomes}
    assert _table(html, "access") == {"Open": 1}
    quarter = (fair["event"]["starts_at"] + timedelta(minutes=15)).astimezone(
        ZoneInfo("Europe/London")
    )
    label = f"{quarter.hour % 12 or 12}:{quarter.minute:02d}{'am' if quarter.hour < 12 else 'pm'}"
    assert _table(html, "per-15") == {label: came}
    assert sum(_table(html, "by-day").values()) == registered
    assert all(re.fullmatch(r"\w{3} \d{1,2} \w+ \d{4}", day) for day in _table(html, "by-day"))
    assert sum(_table(html, "interests").values()) == registered - 1  # not the cancelled one


async def test_before_the_fair_nobody_did_not_come(client: Any) -> None:
    fair = await _fair()
    html = await _page(client, fair)
    assert "Did not come" not in html and 'data-figure="no-show"' not in html
    past = datetime.now(UTC) - timedelta(days=1)
    await Event.update({Event.starts_at: past - timedelta(hours=5), Event.ends_at: past}).where(
        Event.id == fair["event"]["id"]
    )
    after = str((await client.get(f"/organiser/events/{fair['event']['slug']}/report")).text)
    no_show = await _count(
        "select count(*) as n from registration where event = {} and status = 'confirmed'"
        " and checked_in_at is null",
        fair["event"]["id"],
    )
    assert _figure(after, "no-show").startswith(f"{no_show} (")


async def test_chart_words_are_legible_beside_their_heading(client: Any) -> None:
    html = await _page(client, await _fair())
    figure = re.search(r'<figure[^>]*data-chart="per-15".*?</figure>', html, re.S)
    assert figure
    body = figure.group(0)
    assert body.index('id="per-15-heading"') < body.index("<svg")  # the heading comes first
    assert "viewBox" not in body  # drawn at its own size, never scaled down
    sizes = [int(n) for n in re.findall(r'<text[^>]*font-size="(\d+)"', body)]
    assert sizes and min(sizes) >= 14
    assert all("sans-serif" in f for f in re.findall(r'<text[^>]*font-family="([^"]+)"', body))
    assert re.search(r">\d{1,2}:\d{2}[ap]m<", body)
