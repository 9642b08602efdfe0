"""An organiser creates and publishes a second fair through the real pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from events.tables import Event
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
    # A form with errors is answered 400 on purpose; Chromium logs that as a
    # console error, so only other console errors fail the test.
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


async def test_organiser_creates_and_publishes_a_fair(desktop: Any) -> None:
    org = await make_org("West Midlands Employers")
    await make_event(org, title="The demo fair")
    user = await make_user("organiser", org=org)
    page = desktop
    await page.goto("/login")
    await page.get_by_label("Email address").fill(user["email"])
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await pass_second_step(page, user["email"])
    await page.wait_for_url("**/organiser")
    await page.get_by_role("button", name="Create an event").click()

    # A mistake first: the error summary takes focus and names the field.
    await page.get_by_role("button", name="Save event").click()
    summary = page.locator(".govuk-error-summary")
    await summary.wait_for()
    assert "Enter a title" in await summary.inner_text()
    assert await page.evaluate("document.activeElement.classList.contains('govuk-error-summary')")

    await page.get_by_label("Title", exact=True).fill("Black Country Careers Fair")
    await page.get_by_label("Venue name").fill("Walsall Town Hall")
    await page.get_by_label("Postcode").fill("WS1 1TP")
    await page.locator("#starts_at").fill("2031-05-15T10:00")
    await page.locator("#ends_at").fill("2031-05-15T15:00")
    await page.get_by_label("Capacity").fill("500")
    await page.get_by_label("Yes, publish it").check()
    await page.get_by_role("button", name="Save event").click()
    await page.wait_for_url("**/organiser/events/black-country-careers-fair?created=1")

    await page.goto("/")
    await page.get_by_role("link", name="Black Country Careers Fair").click()
    assert "Thursday 15 May 2031, 10am to 3pm" in await page.locator("main").inner_text()
    row = (
        await Event.select(Event.status, Event.organisation)
        .where(Event.slug == "black-country-careers-fair")
        .first()
    )
    assert row == {"status": "published", "organisation": org}
