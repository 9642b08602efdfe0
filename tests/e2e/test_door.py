"""The door scanner in Chromium with a fake camera showing a real ticket's QR:
online ("Checked in", then "Already checked in"), and offline (answered on the
device, queued, and synced exactly once when the network is back)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from registrations.tables import CheckIn, Registration
from tests.e2e.camera import camera_browser, write_camera_video
from tests.factories import PASSWORD, add_door, make_open_event, make_user, pass_second_step
from tests.registrations.helpers import register

pytestmark = pytest.mark.e2e

# Chromium reports the failed requests of an offline page as console errors;
# those are the point of the offline test, anything else fails it.
EXPECTED_OFFLINE = ("ERR_INTERNET_DISCONNECTED", "Failed to fetch", "Failed to load resource")


@asynccontextmanager
async def scanner_page(
    browser: Any, live_server: str, allow_offline_errors: bool = False
) -> AsyncIterator[Any]:
    context = await browser.new_context(
        viewport={"width": 375, "height": 812}, base_url=live_server, device_scale_factor=2
    )
    page = await context.new_page()
    errors: list[str] = []

    def on_console(msg: Any) -> None:
        if msg.type != "error":
            return
        if allow_offline_errors and any(s in msg.text for s in EXPECTED_OFFLINE):
            return
        errors.append(msg.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(10_000)
    try:
        yield page
        assert not errors, f"browser console errors: {errors}"
    finally:
        await context.close()


async def door_setup(access_needs: str = "") -> tuple[dict[str, Any], dict[str, Any], Any]:
    event = await make_open_event()
    user = await make_user("door")
    await add_door(event["id"], user["id"])
    ticket = await register(event, name="Amira Khan", access_needs=access_needs)
    return event, user, ticket


async def sign_in(page: Any, user: dict[str, Any]) -> None:
    await page.goto("/login")
    await page.get_by_label("Email address").fill(user["email"])
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await pass_second_step(page, user["email"], user.get("totp_secret"))


async def start_scanning(page: Any, door: str = "Main entrance") -> None:
    await page.get_by_label("Which door are you on?").fill(door)
    await page.get_by_role("button", name="Start scanning").click()


async def until(page: Any, expression: str, seconds: float = 10) -> None:
    """Poll from Python: wait_for_function evaluates strings, which the CSP forbids."""
    for _ in range(int(seconds * 10)):
        if await page.evaluate(expression):
            return
        await page.wait_for_timeout(100)
    raise AssertionError(f"still false after {seconds}s: {expression}")


async def verdict_text(page: Any, result: str) -> str:
    verdict = page.locator(f'#scanner-verdict[data-result="{result}"]')
    await verdict.wait_for(state="visible")
    return str(await verdict.inner_text())


async def test_scanner_checks_in_then_says_already_checked_in(
    live_server: str, tmp_path: Path
) -> None:
    event, user, ticket = await door_setup(access_needs="BSL interpreter")
    video = write_camera_video(ticket.ticket_code, tmp_path / "ticket.y4m")
    async with camera_browser(video) as browser, scanner_page(browser, live_server) as page:
        await sign_in(page, user)
        await page.goto(f"/door/events/{event['slug']}/scan")
        await start_scanning(page)

        shown = await verdict_text(page, "ok")
        assert "Checked in" in shown and "Amira Khan" in shown
        assert "BSL interpreter" in await page.locator("#verdict-access").inner_text()
        assert "Checked in" in await page.locator("#scanner-announce").inner_text()

        # The same ticket again (a reload forgets the few-seconds de-duplication),
        # with answers kept on screen until tapped (WCAG 2.2.1, timing adjustable).
        await page.reload()
        await page.get_by_label("Keep each answer on the screen until I tap it").check()
        await start_scanning(page)
        shown = await verdict_text(page, "already_checked_in")
        assert "Already checked in" in shown and "Main entrance" in shown
        await page.wait_for_timeout(4000)  # longer than any answer shows by default
        assert await page.locator("#scanner-verdict").is_visible()
        await page.locator("#scanner-verdict").click()
        await page.locator("#scanner-verdict").wait_for(state="hidden")

    row = await Registration.select(Registration.checked_in_door).where(
        Registration.reference == ticket.reference
    )
    assert row == [{"checked_in_door": "Main entrance"}]


async def test_scanner_works_offline_and_syncs_once(live_server: str, tmp_path: Path) -> None:
    event, user, ticket = await door_setup()
    video = write_camera_video(ticket.ticket_code, tmp_path / "offline.y4m")
    async with (
        camera_browser(video) as browser,
        scanner_page(browser, live_server, allow_offline_errors=True) as page,
    ):
        await sign_in(page, user)
        await page.goto(f"/door/events/{event['slug']}/scan")
        # Online first: the service worker is in charge and the bundle is stored.
        await until(page, "navigator.serviceWorker.controller !== null")
        await page.locator('#scanner-bundle:not([data-count="0"])').wait_for()

        await page.context.set_offline(True)
        await page.reload()  # from the service worker's cache
        await page.locator('#scanner-bundle[data-count="1"]').wait_for()
        await page.locator('#scanner-online[data-online="no"]').wait_for()
        await start_scanning(page, "Side door")
        shown = await verdict_text(page, "ok")
        assert "Amira Khan" in shown
        await page.locator('#scanner-unsynced[data-count="1"]').wait_for()
        assert not await _checked_in(ticket.reference)

        await page.context.set_offline(False)
        await page.locator('#scanner-unsynced[data-count="0"]').wait_for(timeout=20_000)

    assert await _checked_in(ticket.reference) == "Side door"
    logs = await CheckIn.select(CheckIn.verdict, CheckIn.synced).where(
        CheckIn.registration == (await _registration_id(ticket.reference))
    )
    assert logs == [{"verdict": "ok", "synced": True}]


async def _registration_id(reference: str) -> int:
    row = await Registration.select(Registration.id).where(Registration.reference == reference)
    return int(row[0]["id"])


async def _checked_in(reference: str) -> str | None:
    row = await Registration.select(Registration.checked_in_at, Registration.checked_in_door).where(
        Registration.reference == reference
    )
    return row[0]["checked_in_door"] if row[0]["checked_in_at"] else None
