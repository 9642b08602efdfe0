"""Register through the real form in headless Chromium at a phone's width,
mostly by keyboard, then open the ticket and check its QR image loads."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import make_event

pytestmark = pytest.mark.e2e


async def _fits_the_screen(page: Any) -> None:
    """Nothing wider than the viewport: no sideways scrolling on a phone."""
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


async def _continue(page: Any) -> None:
    """Tab to the Continue button and press Enter, as a keyboard user does."""
    button = page.get_by_role("button", name="Continue")
    await button.focus()
    async with page.expect_navigation():
        await page.keyboard.press("Enter")


async def _details(page: Any) -> None:
    await page.focus("#name")
    await page.keyboard.type("Zofia Wiśniewska")
    await page.keyboard.press("Tab")
    await page.keyboard.type("zofia@example.org")
    await page.keyboard.press("Tab")
    await page.keyboard.type("07700 900982")
    await page.select_option("#home_council", label="Coventry City Council")
    await page.focus("#postcode")
    await page.keyboard.type("cv1 5ru")
    async with page.expect_navigation():
        await page.keyboard.press("Enter")  # implicit submission from a text field


async def _interests(page: Any) -> None:
    await page.get_by_label("Digital, data and IT").focus()
    await page.keyboard.press("Space")
    # With JavaScript, "Select all councils" ticks them here, without a reload.
    await page.get_by_role("button", name="Select all councils").click()
    assert await page.locator('input[name="consent_councils"]:checked').count() == 33
    await page.focus("#job_alerts-2")
    await page.keyboard.press("Space")
    await _continue(page)


async def test_register_on_a_phone_and_open_the_ticket(phone: Any) -> None:
    event = await make_event()
    await phone.goto(f"/events/{event['slug']}")
    async with phone.expect_navigation():
        await phone.get_by_role("button", name="Register for a free place").click()

    await _fits_the_screen(phone)
    await _details(phone)
    assert phone.url.endswith("/register/interests"), phone.url
    await _fits_the_screen(phone)
    await _interests(phone)

    assert phone.url.endswith("/register/access")
    await phone.get_by_label("Step-free access").check()
    await _continue(phone)

    assert phone.url.endswith("/register/equality")
    async with phone.expect_navigation():
        await phone.get_by_role("button", name="Skip this section").click()

    assert phone.url.endswith("/register/check")
    await _fits_the_screen(phone)
    assert await phone.get_by_text("Zofia Wiśniewska").count() == 1
    async with phone.expect_navigation():
        await phone.get_by_role("button", name="Register").click()

    heading = phone.locator("h1.govuk-panel__title")
    assert "registered" in (await heading.inner_text())
    await _fits_the_screen(phone)

    async with phone.expect_navigation():
        await phone.get_by_role("link", name="See your ticket").click()
    qr = phone.locator("img.app-ticket__qr")
    await qr.wait_for()
    await phone.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=await qr.element_handle()
    )
    assert "Your ticket QR code, reference FG-" in (await qr.get_attribute("alt") or "")
    await _fits_the_screen(phone)
