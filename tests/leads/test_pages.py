"""The portal pages: council leads (list, detail, outcome, exports, webhook), organiser
routing and the report, through the real forms."""

from __future__ import annotations

import csv
import io
from typing import Any

from exhibitors.leads.schemas import LeadIn
from exhibitors.leads.services import capture_lead
from exhibitors.leads.tables import CouncilJobFamily, LeadDelivery, RoutingRule
from fairground.tables import AuditLog
from registrations.checkin import Scan, check_in
from tests.factories import login, make_event, make_open_event, make_org, make_user, post_form
from tests.leads.helpers import COVENTRY, RUGBY, attendee, make_stand, recruiter, route_all


async def _fair() -> dict[str, Any]:
    org = await make_org()
    event = await make_open_event(org)
    stand = await make_stand(event)
    consent = {"councils": [RUGBY], "job_alerts": False}
    person = await attendee(event, home_council=RUGBY, consent=consent, interests=["social-care"])
    await check_in(Scan(code=person.ticket_code, event=event["slug"], door="Main"))
    await capture_lead(
        stand.exhibitor_id, LeadIn(code=person.ticket_code, consent_given=True, rating=4), None
    )
    await route_all()
    return {"org": org, "event": event}


async def test_council_portal(client: Any) -> None:
    await _fair()
    user = await recruiter(RUGBY)
    await login(client, user)
    index = await client.get(f"/council/{RUGBY}/leads")
    assert index.status_code == 200 and "Attendee 1" in index.text
    [delivery] = await LeadDelivery.select()
    url = f"/council/{RUGBY}/leads/{delivery['id']}"
    detail = await client.get(url)
    assert detail.status_code == 200 and "attendee1@example.org" in detail.text
    empty = await post_form(client, f"{url}/outcome", {}, page_url=url)
    assert empty.status_code == 400
    assert 'href="#outcome">Choose what came of the lead</a>' in empty.text
    assert not (await LeadDelivery.select(LeadDelivery.outcome))[0]["outcome"]
    saved = await post_form(client, f"{url}/outcome", {"outcome": "hired"}, page_url=url)
    assert saved.status_code == 303
    assert (await LeadDelivery.select(LeadDelivery.outcome))[0]["outcome"] == "hired"
    exported = await client.get(f"/council/{RUGBY}/leads.csv")
    assert (
        next(iter(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig")))))["outcome"]
        == "hired"
    )
    assert await AuditLog.count().where(AuditLog.action == "leads_exported") == 1
    assert (await client.get(f"/council/{COVENTRY}/leads")).status_code == 403
    assert (await client.get(f"/council/{COVENTRY}/leads/{delivery['id']}")).status_code == 403


async def test_council_webhook_page_shows_secret_once(client: Any) -> None:
    user = await recruiter(RUGBY)
    await login(client, user)
    url = f"/council/{RUGBY}/webhook"
    bad = await post_form(client, url, {"url": "not a url"})
    assert bad.status_code == 400 and "https://" in bad.text
    # A public address; resolution is refused for private ones (see test_webhooks).
    first = await post_form(client, url, {"url": "https://93.184.215.14/hook"})
    assert first.status_code == 200 and "whsec_" in first.text
    again = await client.get(url)
    assert "whsec_" not in again.text and "93.184.215.14" in again.text


async def test_organiser_routing_and_report(client: Any) -> None:
    fair = await _fair()
    organiser = await make_user("organiser", org=fair["org"])
    await login(client, organiser)
    slug = fair["event"]["slug"]
    url = f"/organiser/events/{slug}/routing"
    page = await client.get(url)
    assert page.status_code == 200 and "Rugby Borough Council" in page.text
    saved = await post_form(client, url, {"rules": ["county", "job_family"]})
    assert saved.status_code == 303
    assert {r["rule"] for r in await RoutingRule.select().where(RoutingRule.enabled.eq(True))} == {
        "county",
        "job_family",
    }
    missing = await post_form(client, f"{url}/subscriptions", {"council": COVENTRY}, page_url=url)
    assert missing.status_code == 400 and "Choose a job family" in missing.text
    added = await post_form(
        client,
        f"{url}/subscriptions",
        {"council": COVENTRY, "job_family": "social-care"},
        page_url=url,
    )
    assert added.status_code == 303 and await CouncilJobFamily.count() == 1
    report = await client.get(f"/organiser/events/{slug}/report")
    assert report.status_code == 200
    assert "Deliveries per council" in report.text and "<svg" in report.text
    assert (await client.get(f"/organiser/events/{slug}/report/print")).status_code == 200
    stranger = await make_user("organiser", org=await make_org())
    await login(client, stranger)
    assert (await client.get(f"/organiser/events/{slug}/report")).status_code == 403
    assert await make_event()


async def test_follow_up_form_errors_name_the_field(client: Any) -> None:
    from events.services import set_status
    from tests.factories import csrf_from

    event = await make_event()
    person = await attendee(event)
    url = f"/r/{person.manage_token}/follow-up"
    early = await client.get(url)
    assert early.status_code == 200 and "once the fair is over" in early.text
    await set_status(event["slug"], "closed")
    page = await client.get(url)
    token = csrf_from(page.text)
    missing = await client.post(url, data={"_csrf_token": token, "councils": RUGBY})
    assert missing.status_code == 400 and 'href="#consent"' in missing.text
    unknown = await client.post(
        url, data={"_csrf_token": token, "councils": "E99999999", "consent": "yes"}
    )
    assert unknown.status_code == 400 and 'href="#councils"' in unknown.text
    done = await client.post(url, data={"_csrf_token": token, "councils": RUGBY, "consent": "yes"})
    assert done.status_code == 303
    assert (await client.get(done.headers["location"])).status_code == 200


async def test_equality_counts_under_five_are_suppressed() -> None:
    from exhibitors.leads.reports import event_report
    from registrations.tables import EqualityResponse

    event = await make_event()
    rows = [{"age": "25-34"}] * 6 + [{"age": "65-plus"}] * 2
    await EqualityResponse.insert(*[EqualityResponse(event=event["id"], answers=a) for a in rows])
    report = await event_report(event)
    assert report["equality"] == [{"question": "age", "answers": [("25-34", 6), ("65-plus", None)]}]
