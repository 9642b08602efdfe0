"""The exhibitor's own lead pages: the stand scanner and the list of its leads."""

from __future__ import annotations

from typing import Any

from exhibitors.leads.schemas import LeadIn
from exhibitors.leads.services import capture_lead
from tests.factories import login, make_org, make_user
from tests.leads.helpers import RUGBY, attendee, make_stand


async def test_scanner_page_allows_the_decoder_and_shows_the_consent_words(client: Any) -> None:
    stand = await make_stand(org=await make_org("Rugby Jobs Ltd"))
    await login(client, stand.staff)
    page = await client.get(f"/exhibitor/{stand.exhibitor_id}/scan")
    assert page.status_code == 200
    assert "'wasm-unsafe-eval'" in page.headers["content-security-policy"]
    assert "The attendee agreed to share their details with Rugby Jobs Ltd" in page.text
    assert (
        "Do you agree to Rugby Jobs Ltd keeping your name, email and phone number"
        " to contact you about jobs?"
    ) in page.text
    assert 'value="social-care"' in page.text  # the job families to tick
    assert f'href="/exhibitor/{stand.exhibitor_id}/leads"' in page.text
    # The rest of the site keeps the stricter policy.
    leads = await client.get(f"/exhibitor/{stand.exhibitor_id}/leads")
    assert "wasm-unsafe-eval" not in leads.headers["content-security-policy"]


async def test_leads_page_shows_contact_details_only_with_consent(client: Any) -> None:
    stand = await make_stand()
    agreed = await attendee(stand.event, 1, home_council=RUGBY, phone="07700 900123")
    declined = await attendee(stand.event, 2, phone="07700 900456")
    await capture_lead(
        stand.exhibitor_id,
        LeadIn(code=agreed.ticket_code, consent_given=True, rating=5, notes="Qualified SW",
               interests=["social-care"]),
        stand.staff["id"],
    )  # fmt: skip
    await capture_lead(
        stand.exhibitor_id, LeadIn(code=declined.ticket_code, notes="Just browsing"), None
    )
    await login(client, stand.staff)
    page = await client.get(f"/exhibitor/{stand.exhibitor_id}/leads")
    assert page.status_code == 200
    text = page.text
    assert "Attendee 1" in text and "Attendee 2" in text
    assert "attendee1@example.org" in text and "07700 900123" in text
    assert "attendee2@example.org" not in text and "07700 900456" not in text
    assert "Qualified SW" in text and "Just browsing" in text
    assert "Hot (5 of 5)" in text and "Adult social care" in text
    assert " by Exhibitor " in text  # the staff member who scanned it
    assert "2 leads" in text


async def test_other_exhibitors_staff_cannot_see_the_pages(client: Any) -> None:
    stand = await make_stand()
    other = await make_stand(stand.event)
    await login(client, other.staff)
    for path in ("scan", "leads"):
        response = await client.get(f"/exhibitor/{stand.exhibitor_id}/{path}")
        assert response.status_code == 403
    council = await make_user("council")
    await login(client, council)
    assert (await client.get(f"/exhibitor/{stand.exhibitor_id}/leads")).status_code == 403


async def test_stand_page_links_to_the_scanner_and_leads(client: Any) -> None:
    stand = await make_stand()
    await login(client, stand.staff)
    page = await client.get(f"/exhibitor/{stand.exhibitor_id}")
    assert f'href="/exhibitor/{stand.exhibitor_id}/scan"' in page.text
    assert f'href="/exhibitor/{stand.exhibitor_id}/leads"' in page.text


async def test_service_worker_is_served_for_the_exhibitor_scope(client: Any) -> None:
    response = await client.get("/exhibitor/sw.js")
    assert response.status_code == 200
    assert response.headers["service-worker-allowed"] == "/exhibitor/"
    assert "stand-scanner.js" in response.text
