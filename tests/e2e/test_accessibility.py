"""axe-core over every kind of page, as each role sees it: no serious or critical issues."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.factories import PASSWORD, add_door, council_id, make_event, make_org, make_user
from tests.registrations.helpers import register

pytestmark = pytest.mark.e2e
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
async def axe_page(browser: Any, live_server: str) -> AsyncIterator[Any]:
    # bypass_csp lets axe's own script run; the pages themselves are unchanged.
    context = await browser.new_context(base_url=live_server, bypass_csp=True,
                                        viewport={"width": 1024, "height": 800})
    page = await context.new_page()
    page.set_default_timeout(8000)
    try:
        yield page
    finally:
        await context.close()


async def violations(page: Any, url: str) -> list[str]:
    await page.goto(url)
    await page.evaluate(AXE.read_text(encoding="utf-8"))
    result = await page.evaluate(
        "axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa',"
        " 'best-practice']})")
    return [
        f"{url}: {v['id']} ({v['impact']}) {v['help']} at {v['nodes'][0]['target']}"
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]


async def sign_in(page: Any, email: str) -> None:
    await page.context.clear_cookies()
    await page.goto("/login")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]:has-text('Sign in')")
    await page.wait_for_load_state()


async def test_no_serious_accessibility_issues(axe_page: Any) -> None:
    org = await make_org("West Midlands Employers")
    event = await make_event(org, access_notes="Step-free entrance")
    slug = event["slug"]
    ticket = await register(event, name="Amira Khan", email="amira@example.org",
                            access_needs="BSL interpreter")
    organiser = await make_user("organiser", org=org)
    door = await make_user("door")
    await add_door(event["id"], door["id"])
    council = await make_user("council", org=await council_id("E07000220"))
    exhibitor = await make_user("exhibitor")
    found: list[str] = []
    public = ["/", f"/events/{slug}", f"/events/{slug}/register", "/login", "/password-reset",
              "/accessibility", "/privacy", f"/r/{ticket.manage_token}",
              f"/r/{ticket.manage_token}/cancel", "/no-such-page"]
    for url in public:
        found += await violations(axe_page, url)
    pages_by_role = {
        organiser["email"]: ["/organiser", "/organiser/events/new", f"/organiser/events/{slug}",
                             f"/organiser/events/{slug}/edit", f"/organiser/events/{slug}/door",
                             f"/organiser/events/{slug}/access-requests", "/organiser/outbox",
                             "/account"],
        door["email"]: ["/door", f"/door/events/{slug}", f"/door/events/{slug}/find?q=amira",
                        f"/door/events/{slug}/walk-up", f"/door/events/{slug}/scan"],
        council["email"]: ["/council/E07000220"],
        exhibitor["email"]: ["/exhibitor"],
    }
    for email, urls in pages_by_role.items():
        await sign_in(axe_page, email)
        for url in urls:
            found += await violations(axe_page, url)
    assert not found, "\n".join(found)
