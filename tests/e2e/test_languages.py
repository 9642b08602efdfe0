"""The jobseeker's journey in other languages, in Chromium: axe-core and reflow at
320 px over the Arabic and Urdu pages (right to left), screenshots of the
registration steps in Arabic, Punjabi and Bengali (kept under test-artefacts/),
and the language list with JavaScript off."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from events.services import get_slots
from tests.e2e.test_accessibility import AXE, Checker, fair
from tests.factories import make_exhibitor, make_org
from tests.leads.helpers import RUGBY

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "test-artefacts" / "languages" / os.environ.get("TEST_DATABASE", "sqlite")


async def _context(browser: Any, live_server: str, code: str, **options: Any) -> Any:
    context = await browser.new_context(base_url=live_server, **options)
    await context.add_cookies([{"name": "lang", "value": code, "url": live_server}])
    return context


async def _submit(page: Any, status: int = 200) -> None:
    """The form's main button, whatever its words in this language."""
    async with page.expect_navigation() as navigation:
        await page.locator(
            "main form button.govuk-button:not(.govuk-button--secondary)"
        ).last.click()
    response = await navigation.value
    assert response.status == status, f"{page.url}: {response.status}, not {status}"


async def _journey(page: Any, slug: str, shoot: Any) -> str:
    """Every registration step, the first sent empty; returns the manage page."""
    await page.goto(f"/events/{slug}/register")
    await shoot("1-details")
    await _submit(page, 400)
    await shoot("1-details-errors")
    await page.fill("#name", "Zofia Wiśniewska")
    await page.fill("#email", f"zofia-{slug}@example.org")
    await page.select_option("#home_council", RUGBY)
    await page.locator("input[name=slot_id]").first.check()
    await _submit(page)
    await shoot("2-interests")
    await page.locator("input[name=interests]").first.check()
    await page.locator("input[name=job_alerts][value=no]").check()
    await _submit(page)
    await shoot("3-access")
    await page.locator("input[name=access][value=bsl]").check()
    await _submit(page)
    await shoot("4-equality")
    await _submit(page)
    await shoot("5-check")
    await _submit(page)
    await shoot("6-confirmation")
    return urlsplit(page.url).path.removesuffix("/confirmation")


@pytest.mark.parametrize("code", ["ar", "ur"])
async def test_right_to_left_pages_pass_axe_and_reflow(
    browser: Any, live_server: str, code: str
) -> None:
    event = await fair(access_notes="Step-free entrance")
    await make_exhibitor(event["id"], await make_org("Rugby Borough Council Jobs"))
    context = await _context(browser, live_server, code, bypass_csp=True)
    await context.add_init_script(path=str(AXE))
    page = await context.new_page()
    page.set_default_timeout(8000)
    checker = Checker(page, f"{code} jobseeker")

    async def check(name: str) -> None:
        html = page.locator("html")
        assert await html.get_attribute("lang") == code and await html.get_attribute("dir") == "rtl"
        await checker.check(f"{code} {name}")

    for url in ("/", f"/events/{event['slug']}", "/privacy", "/accessibility"):
        await page.goto(url)
        await check(url)
    await page.goto("/no-such-page")
    await check("404")
    manage = await _journey(page, event["slug"], check)
    for suffix in ("", "/change", "/cancel", "/data", "/stand-consents"):
        await page.goto(manage + suffix)
        await check(f"manage{suffix}")
    await context.close()
    checker.assert_all_good()


@pytest.mark.parametrize("code", ["ar", "pa", "bn"])
async def test_registration_steps_are_screenshotted(
    browser: Any, live_server: str, code: str
) -> None:
    """For people to look at (CI keeps test-artefacts/): the steps at phone width."""
    event = await fair()
    folder = ARTEFACTS / code
    folder.mkdir(parents=True, exist_ok=True)
    context = await _context(
        browser, live_server, code, viewport={"width": 375, "height": 812}, device_scale_factor=1
    )
    page = await context.new_page()
    page.set_default_timeout(8000)

    async def shoot(name: str) -> None:
        await page.evaluate("document.fonts.ready")
        # The page's own script for its language has a face of its own (fonts.css).
        family = await page.evaluate(
            "getComputedStyle(document.querySelector('main h1, main legend, main label'))"
            ".fontFamily"
        )
        assert "Noto" in family or code not in ("ar", "pa", "bn", "ur"), family
        await page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    manage = await _journey(page, event["slug"], shoot)
    await page.goto(manage)
    await shoot("7-ticket")
    await context.close()
    shots = sorted(p.name for p in folder.glob("*.png"))
    assert len(shots) >= 8 and all((folder / s).stat().st_size > 5000 for s in shots), shots


async def test_the_language_list_works_without_javascript(browser: Any, live_server: str) -> None:
    event = await fair()
    [slot, *_] = await get_slots(event["id"])
    assert slot
    context = await browser.new_context(base_url=live_server, java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"/events/{event['slug']}")
    assert await page.locator("html").get_attribute("lang") == "en-GB"
    await page.locator(".app-languages").get_by_role("link", name="Polski").click()
    await page.wait_for_load_state()
    assert await page.locator("html").get_attribute("lang") == "pl"
    assert urlsplit(page.url).path == f"/events/{event['slug']}"
    # Remembered: the next page, reached by a plain link, is Polish too.
    await page.goto(f"/events/{event['slug']}/register")
    assert await page.locator("html").get_attribute("lang") == "pl"
    await page.locator(".app-languages").get_by_role("link", name="العربية").click()
    await page.wait_for_load_state()
    html = page.locator("html")
    assert await html.get_attribute("lang") == "ar" and await html.get_attribute("dir") == "rtl"
    await context.close()
