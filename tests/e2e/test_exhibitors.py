"""An employer applies through the real form; the organiser approves it and places
it on the floor plan by dragging, in headless Chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from exhibitors.tables import Exhibitor, StandAllocation
from tests.exhibitors.helpers import make_stand, make_subscriber
from tests.factories import PASSWORD, make_event, make_org, make_user, pass_second_step

pytestmark = pytest.mark.e2e


@pytest.fixture
async def desktop(browser: Any, live_server: str) -> AsyncIterator[Any]:
    context = await browser.new_context(
        viewport={"width": 1280, "height": 900}, base_url=live_server
    )
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and "status of 400" not in msg.text
            else None
        ),
    )
    page.set_default_timeout(5000)
    try:
        yield page
        assert not errors, f"browser console errors: {errors}"
    finally:
        await context.close()


async def _apply(page: Any, slug: str) -> None:
    await page.goto(f"/events/{slug}/exhibit")
    await page.get_by_role("button", name="Send application").click()
    summary = page.locator(".govuk-error-summary")
    await summary.wait_for()
    assert "Enter the name of your organisation" in await summary.inner_text()
    await page.get_by_label("Organisation name").fill("Coventry City Council")
    await page.get_by_label("Job board subscriber reference (optional)").fill("wmj-0042")
    await page.get_by_label("Full name").fill("Sam Patel")
    await page.get_by_label("Work email address").fill("recruitment@coventry.gov.uk")
    await page.get_by_label("We need a power socket").check()
    await page.get_by_label("Staff on the stand").fill("3")
    await page.locator("#vacancy_1_title").fill("Social Worker")
    await page.locator("#vacancy_1_job_family").select_option("social-work")
    await page.locator("#vacancy_1_url").fill("https://jobs.example.org/sw")
    await page.get_by_role("button", name="Send application").click()
    await page.wait_for_url(f"**/events/{slug}/exhibit/sent")
    text = await page.locator("main").inner_text()
    assert "current job board subscriber" in text


async def _sign_in(page: Any, user: dict[str, Any]) -> None:
    await page.goto("/login")
    await page.get_by_label("Email address").fill(user["email"])
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await pass_second_step(page, user["email"])
    await page.wait_for_url("**/organiser")


async def test_application_approval_and_stand_by_drag_and_drop(desktop: Any) -> None:
    org = await make_org("West Midlands Employers")
    organiser = await make_user("organiser", org=org)
    event = await make_event(org, title="Coventry Careers Fair")
    await make_subscriber()
    await make_stand(event["id"], "A1")
    await make_stand(event["id"], "A2", x=4)
    page = desktop
    await _apply(page, event["slug"])

    await _sign_in(page, organiser)
    await page.goto(f"/organiser/events/{event['slug']}/exhibitors?verification=verified")
    await page.get_by_role("link", name="Coventry City Council").click()
    await page.get_by_label("Approve").check()
    await page.get_by_label("Message to the contact (optional)").fill("Welcome!")
    await page.get_by_role("button", name="Save decision").click()
    await page.wait_for_url("**/exhibitors?decided=*")
    assert "Decision saved" in await page.locator("main").inner_text()

    await page.goto(f"/organiser/events/{event['slug']}/stands")
    chip = page.locator(".app-floorplan__exhibitor", has_text="Coventry City Council")
    await chip.drag_to(page.locator('[data-stand-code="A2"] rect'))
    await page.wait_for_url("**/stands?stand=*&saved=1")
    assert "Stand allocated" in await page.locator("main").inner_text()
    row = await Exhibitor.select(Exhibitor.id, Exhibitor.status).first()
    assert row is not None and row["status"] == "approved"
    allocation = await StandAllocation.select(StandAllocation.stand.code).first()
    assert allocation == {"stand.code": "A2"}
