"""A jobseeker's whole journey on a 375 px phone: the event page, every step of
registering, the ticket, changing their entry time and withdrawing a council's
permission, then cancelling. No page may scroll sideways."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from events.services import get_slots
from fairground import timefmt
from registrations.tables import Registration
from tests.factories import future, make_event

pytestmark = pytest.mark.e2e
RUGBY = "E07000220"
COVENTRY = "E08000026"
# Every page is also checked at the narrowest width WCAG asks for (1.4.10).
WIDTHS = (375, 320)


async def fits(page: Any) -> None:
    """No page wider than the screen, at the phone's width and at 320 px."""
    size = page.viewport_size
    try:
        for width in WIDTHS:
            await page.set_viewport_size({"width": width, "height": size["height"]})
            overflow = await page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at {width}px"
    finally:
        await page.set_viewport_size(size)


async def press(page: Any, button: str) -> None:
    async with page.expect_navigation():
        await page.get_by_role("button", name=button, exact=True).click()
    await fits(page)


def span(slot: dict[str, Any]) -> str:
    def clock(value: Any) -> str:
        return timefmt.clock(timefmt.local(value, "Europe/London"))

    return f"{clock(slot['starts_at'])} to {clock(slot['ends_at'])}"


async def fair() -> dict[str, Any]:
    """A fair with two entry slots."""
    start, hour = future(), timedelta(hours=1)
    return await make_event(
        slots=[
            {"starts_at": start + n * hour, "ends_at": start + (n + 1) * hour, "capacity": 20}
            for n in (0, 1)
        ]
    )


async def register(page: Any, event: dict[str, Any], first: dict[str, Any]) -> None:
    await page.goto(f"/events/{event['slug']}")
    await fits(page)
    async with page.expect_navigation():
        await page.get_by_role("button", name="Register for a free place").click()
    await fits(page)
    await page.fill("#name", "Dev Mistry")
    await page.fill("#email", "dev@example.org")
    await page.select_option("#home_council", RUGBY)
    await page.fill("#postcode", "cv212aa")
    await page.get_by_label(span(first)).check()
    await press(page, "Continue")

    assert page.url.endswith("/register/interests"), page.url
    await page.get_by_label("Digital, data and IT").check()
    await page.get_by_label("Rugby Borough Council").check()  # home area: open already
    await page.locator("summary", has_text="Birmingham, Coventry").click()
    await page.get_by_label("Coventry City Council").check()
    await fits(page)
    await page.locator("#job_alerts-2").check()
    await press(page, "Continue")
    assert page.url.endswith("/register/access")
    await press(page, "Continue")
    await press(page, "Skip this section")
    assert page.url.endswith("/register/check")
    assert await page.get_by_text("CV21 2AA").count() == 1  # as it is stored
    await press(page, "Register")
    assert "registered" in await page.locator("h1.govuk-panel__title").inner_text()


async def change(page: Any, second: dict[str, Any]) -> None:
    async with page.expect_navigation():
        await page.get_by_role("link", name="Change your details and choices").click()
    await fits(page)
    assert await page.get_by_label("Coventry City Council").is_checked()
    await page.get_by_label(span(second)).check()
    await page.get_by_label("Coventry City Council").uncheck()
    await press(page, "Save changes")
    assert await page.get_by_text("Your changes are saved").count() == 1


async def test_a_jobseeker_registers_changes_and_cancels_on_a_phone(phone: Any) -> None:
    event = await fair()
    first, second = await get_slots(event["id"])
    await register(phone, event, first)

    async with phone.expect_navigation():
        await phone.get_by_role("link", name="See your ticket").click()
    await fits(phone)
    assert await phone.get_by_text(span(first), exact=True).count() == 1  # "Your entry time"
    await change(phone, second)
    assert await phone.get_by_text(span(second), exact=True).count() == 1
    row = (
        await Registration.select()
        .where(Registration.email == "dev@example.org")
        .output(load_json=True)
        .first()
    )
    assert row is not None
    assert row["slot"] == second["id"] and row["consent_councils"] == [RUGBY]

    async with phone.expect_navigation():
        await phone.get_by_role("link", name="Cancel my place").click()
    await fits(phone)
    await press(phone, "Yes, cancel my place")
    assert phone.url.endswith("/cancelled")
