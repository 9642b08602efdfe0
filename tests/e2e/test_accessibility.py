"""axe-core over every kind of page, as each role sees it: no serious or critical issues."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from events.services import set_status
from exhibitors.leads.schemas import LeadIn
from exhibitors.leads.services import capture_lead
from exhibitors.leads.tables import LeadDelivery
from tests.factories import (
    PASSWORD,
    add_door,
    add_staff,
    council_id,
    make_event,
    make_exhibitor,
    make_org,
    make_user,
)
from tests.leads.helpers import RUGBY, route_all
from tests.registrations.helpers import register

pytestmark = pytest.mark.e2e
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
async def axe_page(browser: Any, live_server: str) -> AsyncIterator[Any]:
    # bypass_csp lets axe's own script run; the pages themselves are unchanged.
    context = await browser.new_context(
        base_url=live_server, bypass_csp=True, viewport={"width": 1024, "height": 800}
    )
    page = await context.new_page()
    page.set_default_timeout(8000)
    try:
        yield page
    finally:
        await context.close()


# Screens a page's script shows later, made visible for axe by the fragment of the
# URL: the stand scanner's lead form, and what came of a lead.
REVEAL = {
    "#lead-form": "document.getElementById('stand-sheet').hidden = false",
    "#lead-saved": """
        document.getElementById('stand-sheet').hidden = false;
        document.getElementById('stand-form').hidden = true;
        const panel = document.getElementById('stand-result');
        panel.hidden = false;
        panel.dataset.tone = 'ok';
        document.getElementById('stand-result-mark').textContent = '✓';
        document.getElementById('stand-result-title').textContent = 'Lead saved';
        for (const id of ['stand-result-name', 'stand-result-email', 'stand-result-note']) {
            const el = document.getElementById(id);
            el.hidden = false;
            el.textContent = 'Amira Khan, amira@example.org';
        }
    """,
}


async def violations(page: Any, url: str) -> list[str]:
    await page.goto("about:blank")  # a new load, even when only the fragment differs
    response = await page.goto(url)
    # An error page would pass axe in place of the page meant.
    assert url == "/no-such-page" or response.status == 200, f"{url}: {response.status}"
    for fragment, script in REVEAL.items():
        if url.endswith(fragment):
            await page.evaluate(f"() => {{ {script} }}")
    await page.evaluate(AXE.read_text(encoding="utf-8"))
    result = await page.evaluate(
        "axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa',"
        " 'best-practice']})"
    )
    return [
        f"{url}: {v['id']} ({v['impact']}) {v['help']} at {v['nodes'][0]['target']}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


async def sign_in(page: Any, email: str) -> None:
    await page.context.clear_cookies()
    await page.goto("/login")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]:has-text('Sign in')")
    await page.wait_for_load_state()


async def leads_pages(
    event: dict[str, Any], ticket: Any, exhibitor: dict[str, Any]
) -> dict[str, list[str]]:
    """A stand lead with consent, routed to Rugby, and a closed fair with its follow-up:
    the leads pages of each audience (attendee pages under "")."""
    exhibitor_id = await make_exhibitor(event["id"], await make_org("Rugby Jobs Ltd"))
    await add_staff(exhibitor_id, exhibitor["id"])
    lead = LeadIn(code=ticket.ticket_code, consent_given=True, rating=5, notes="Qualified")
    await capture_lead(exhibitor_id, lead, exhibitor["id"])
    await route_all()
    [delivery] = await LeadDelivery.select(LeadDelivery.id)
    past = await make_event(event["organisation"])
    former = await register(past, name="Sam Patel", email="sam@example.org")
    await set_status(past["slug"], "closed")
    slug, scan = event["slug"], f"/exhibitor/{exhibitor_id}/scan"
    return {
        "": [
            f"/r/{former.manage_token}/follow-up",
            f"/r/{former.manage_token}/follow-up/thanks",
            f"/r/{ticket.manage_token}/follow-up",
            f"/r/{ticket.manage_token}/data",
        ],
        "organiser": [
            f"/organiser/events/{slug}/routing",
            f"/organiser/events/{slug}/report",
            f"/organiser/events/{slug}/report/print",
        ],
        "council": [
            f"/council/{RUGBY}/leads",
            f"/council/{RUGBY}/leads/{delivery['id']}",
            f"/council/{RUGBY}/webhook",
        ],
        "exhibitor": [
            f"/exhibitor/{exhibitor_id}",
            f"/exhibitor/{exhibitor_id}/leads",
            scan,
            f"{scan}#lead-form",
            f"{scan}#lead-saved",
        ],
    }


async def test_no_serious_accessibility_issues(axe_page: Any) -> None:
    org = await make_org("West Midlands Employers")
    event = await make_event(org, access_notes="Step-free entrance")
    slug = event["slug"]
    ticket = await register(
        event,
        name="Amira Khan",
        email="amira@example.org",
        access_needs="BSL interpreter",
        home_council=RUGBY,
        consent={"councils": [RUGBY], "job_alerts": False},
    )
    organiser = await make_user("organiser", org=org)
    door = await make_user("door")
    await add_door(event["id"], door["id"])
    council = await make_user("council", org=await council_id(RUGBY))
    exhibitor = await make_user("exhibitor")
    leads = await leads_pages(event, ticket, exhibitor)
    found: list[str] = []
    public = [
        *leads[""],
        "/",
        f"/events/{slug}",
        f"/events/{slug}/register",
        "/login",
        "/password-reset",
        "/accessibility",
        "/privacy",
        f"/r/{ticket.manage_token}",
        f"/r/{ticket.manage_token}/cancel",
        "/no-such-page",
    ]
    for url in public:
        found += await violations(axe_page, url)
    pages_by_role = {
        organiser["email"]: [
            "/organiser",
            "/organiser/events/new",
            f"/organiser/events/{slug}",
            f"/organiser/events/{slug}/edit",
            f"/organiser/events/{slug}/door",
            f"/organiser/events/{slug}/access-requests",
            "/organiser/outbox",
            "/account",
            *leads["organiser"],
        ],
        door["email"]: [
            "/door",
            f"/door/events/{slug}",
            f"/door/events/{slug}/find?q=amira",
            f"/door/events/{slug}/walk-up",
            f"/door/events/{slug}/scan",
        ],
        council["email"]: [f"/council/{RUGBY}", *leads["council"]],
        exhibitor["email"]: ["/exhibitor", *leads["exhibitor"]],
    }
    for email, urls in pages_by_role.items():
        await sign_in(axe_page, email)
        for url in urls:
            found += await violations(axe_page, url)
    assert not found, "\n".join(found)
