"""The plan for the day at 375 px in headless Chromium: the attendee finds their
employers, the stands highlighted on the floor plan and listed in order, and the
printable page; the fair page's JSON-LD raises no CSP error (the `phone` fixture
fails on any console error)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.exhibitors.test_plan import _fair
from tests.registrations.helpers import register

pytestmark = pytest.mark.e2e


async def test_the_attendee_finds_their_employers_and_stands_on_a_phone(phone: Any) -> None:
    fair = await _fair()
    person = await register(fair["event"], interests=["social-care", "planning"])
    await phone.goto(f"/r/{person.manage_token}")
    plan = phone.locator("#plan")
    await plan.get_by_role("heading", name="Your plan for the day").scroll_into_view_if_needed()
    employers = plan.locator(".app-plan__employer h4")
    assert await employers.all_inner_texts() == ["Solihull Council", "Coventry City Council"]
    stands = await plan.locator(".app-plan__stands li").all_inner_texts()
    assert stands == ["Stand A2: Solihull Council", "Stand A10: Coventry City Council"]
    highlighted = plan.locator(".app-floorplan__stand--plan")
    assert sorted(await highlighted.evaluate_all("els => els.map(e => e.dataset.standCode)")) == [
        "A10",
        "A2",
    ]
    svg = plan.locator("svg.app-floorplan__svg")
    assert await svg.is_visible()
    box = await svg.bounding_box()
    assert box is not None and box["width"] <= 375
    assert await svg.get_attribute("role") == "img"
    assert "A2, A10" in await svg.locator("desc").text_content()
    # Nothing wider than the phone.
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 375
    link = plan.get_by_role("link", name="Planning Officer")
    assert await link.get_attribute("href") == "https://jobs.example.org/2"

    async with phone.expect_navigation():
        await phone.get_by_role("link", name="Your plan on its own page, to print").click()
    assert phone.url.endswith(f"/r/{person.manage_token}/plan")
    await phone.emulate_media(media="print")
    assert not await phone.locator("header.govuk-header, .app-header").first.is_visible()
    assert await phone.locator(".app-plan__stands").is_visible()


async def test_the_fair_page_has_the_plan_and_data_without_csp_errors(phone: Any) -> None:
    fair = await _fair()
    await phone.goto(f"/events/{fair['event']['slug']}")
    assert await phone.locator("#floor-plan svg").is_visible()
    blocks = await phone.locator('script[type="application/ld+json"]').all_text_contents()
    kinds = sorted(json.loads(b)["@type"] for b in blocks)
    assert kinds == ["Event", "JobPosting", "JobPosting"]
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 375
