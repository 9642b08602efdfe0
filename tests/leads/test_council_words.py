"""What a council recruiter reads: they land on their leads, codes come as names, and
the page's words about when leads arrive are what the system does."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

from exhibitors.leads import digest
from exhibitors.leads.schemas import LeadIn
from exhibitors.leads.services import capture_lead
from fairground.tables import Organisation
from fairground.worker import run_once
from registrations.tables import Registration
from tests.factories import PASSWORD, csrf_from, make_event, make_org, security_code
from tests.leads.helpers import RUGBY, attendee, make_stand, recruiter


async def _lead_for_rugby() -> dict[str, Any]:
    event = await make_event(await make_org())
    stand = await make_stand(event)
    consent = {"councils": [RUGBY], "job_alerts": False}
    person = await attendee(event, home_council=RUGBY, consent=consent, interests=["social-care"])
    await Registration.update({Registration.checked_in_at: event["starts_at"]}).where(
        Registration.event == event["id"]
    )
    scanned = LeadIn(code=person.ticket_code, consent_given=True)
    await capture_lead(stand.exhibitor_id, scanned, None)
    return event


def _visible(html: str) -> str:
    """The words of the page's main part, without tags (and the codes in its links)."""
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    return re.sub(r"<[^>]+>", " ", main)


async def _sign_in(client: Any, user: dict[str, Any]) -> Any:
    """The password, then the security code (council recruiters must use it)."""
    page = await client.get("/login")
    signed = await client.post(
        "/login",
        data={"email": user["email"], "password": PASSWORD, "_csrf_token": csrf_from(page.text)},
    )
    if signed.headers.get("location") != "/login/code":
        return signed
    page = await client.get("/login/code")
    return await client.post(
        "/login/code",
        data={"code": await security_code(user["id"]), "_csrf_token": csrf_from(page.text)},
    )


async def test_a_recruiter_lands_on_their_leads(client: Any) -> None:
    signed_in = await _sign_in(client, await recruiter(RUGBY))
    assert signed_in.headers["location"] == f"/council/{RUGBY}/leads"


async def test_codes_are_shown_as_names(client: Any) -> None:
    await _lead_for_rugby()
    await run_once()  # one worker pass routes it, as the page says
    await _sign_in(client, await recruiter(RUGBY))
    index = await client.get(f"/council/{RUGBY}/leads")
    assert "Attendee 1" in index.text and "Home council" in index.text
    delivery_id = index.text.split(f"/council/{RUGBY}/leads/", 1)[1].split('"', 1)[0]
    lead = await client.get(f"/council/{RUGBY}/leads/{delivery_id}")
    words = _visible(lead.text)
    assert "Rugby Borough Council" in words and RUGBY not in words
    assert "Adult social care" in words and "social-care" not in words
    export = await client.get(f"/council/{RUGBY}/leads.csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0]["home_council"] == RUGBY  # the code stays, for machines
    assert rows[0]["home_council_name"] == "Rugby Borough Council"
    assert rows[0]["interest_names"] == "Adult social care" and rows[0]["reason"] == "Home council"


async def test_the_words_about_when_leads_arrive_match_the_system(client: Any) -> None:
    await _lead_for_rugby()
    await _sign_in(client, await recruiter(RUGBY))
    page = await client.get(f"/council/{RUGBY}/leads")
    words = page.text.split('data-testid="how-leads-arrive"', 1)[1].split("</details>", 1)[0]
    # "a minute or so after the stand scan": the worker's next pass routes it.
    assert "a minute or so after the stand scan" in words and "Attendee 1" not in page.text
    await run_once()
    assert "Attendee 1" in (await client.get(f"/council/{RUGBY}/leads")).text
    # "at most once a day ... no names in it": the digest's period and content.
    assert "at most once a day" in words and timedelta(hours=24) == digest.EVERY
    assert "no names" in words
    council = await Organisation.select().where(Organisation.code == RUGBY).first()
    assert council is not None


async def test_a_stand_scan_without_agreement_reaches_nobody(client: Any) -> None:
    """The page says a scan is passed on only on agreement at that stand."""
    event = await make_event(await make_org())
    stand = await make_stand(event)
    consent = {"councils": [RUGBY], "job_alerts": False}
    person = await attendee(event, home_council=RUGBY, consent=consent)
    await capture_lead(stand.exhibitor_id, LeadIn(code=person.ticket_code), None)
    await run_once()
    await _sign_in(client, await recruiter(RUGBY))
    page = await client.get(f"/council/{RUGBY}/leads")
    assert "agreed, at that stand, to share their details" in page.text
    assert "Attendee 1" not in page.text
