"""The door staff member's journey on a 375 px phone, as they walk it: sign in,
start scanning (first without a door name), scan a ticket with the fake camera,
find an attendee and check them in and undo it, register a walk-up without an
email and get their ticket on screen (whose QR decodes) and in print. Every page
fails the test if it scrolls sideways. A scan before the doors open says so."""

from __future__ import annotations

import io
import os
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from PIL import Image

from events.services import get_slots
from registrations.tables import Registration
from tests.e2e.camera import camera_browser, write_camera_video
from tests.e2e.test_door import scanner_page, sign_in, until, verdict_text
from tests.factories import add_door, future, happening_now, make_event, make_user
from tests.registrations.helpers import register

pytestmark = pytest.mark.e2e
PHONE = 375
# Set DOOR_SHOTS to a folder to keep a screenshot of every page on the way.
SHOTS = os.environ.get("DOOR_SHOTS")


async def no_sideways_scroll(page: Any, label: str) -> None:
    widths = await page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{label} scrolls sideways at {PHONE}px: {widths}"
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=f"{SHOTS}/{label}-375.png", full_page=True)


async def within_screen(page: Any, locator: Any) -> None:
    """Visible and whole inside the phone's width: no sideways scrolling to reach it."""
    await locator.wait_for(state="visible")
    box = await locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE, box


async def _door_fair() -> tuple[dict[str, Any], dict[str, Any], Any]:
    start = happening_now()
    hour = timedelta(hours=1)
    slots = [
        {"starts_at": start, "ends_at": start + hour, "capacity": 50},
        {"starts_at": start + hour, "ends_at": start + 2 * hour, "capacity": 50},
    ]
    event = await make_event(starts_at=start, slots=slots)
    user = await make_user("door")
    await add_door(event["id"], user["id"])
    first = (await get_slots(event["id"]))[0]["id"]
    amira = await register(event, name="Amira Khan", slot_id=first)
    await register(event, name="Bartosz Nowak", email="bart@example.org", slot_id=first)
    return event, user, amira


async def test_the_door_journey_on_a_phone(live_server: str, tmp_path: Path) -> None:
    event, user, amira = await _door_fair()
    slug = event["slug"]
    video = write_camera_video(amira.ticket_code, tmp_path / "amira.y4m")
    async with camera_browser(video) as browser, scanner_page(browser, live_server) as page:
        await page.goto("/login")
        await no_sideways_scroll(page, "sign-in")
        await sign_in(page, user)
        await no_sideways_scroll(page, "door-home")
        await page.goto(f"/door/events/{slug}")
        await no_sideways_scroll(page, "door-event")

        # Start scanning without a door name: told what to enter, the field focused.
        await page.goto(f"/door/events/{slug}/scan")
        await page.get_by_role("button", name="Start scanning").click()
        summary = page.locator("#scanner-door-summary")
        await summary.wait_for(state="visible")
        assert "Enter the name of the door you are on" in await summary.inner_text()
        assert await page.evaluate("document.activeElement.id") == "scanner-door"
        error = page.locator("#scanner-door-error")
        assert await error.is_visible()
        described = await page.locator("#scanner-door").get_attribute("aria-describedby")
        assert "scanner-door-error" in (described or "")
        await no_sideways_scroll(page, "scan-no-door")

        await page.get_by_label("Which door are you on?").fill("Main entrance")
        await page.get_by_role("button", name="Start scanning").click()
        shown = await verdict_text(page, "ok")
        assert "Checked in" in shown and "Amira Khan" in shown
        await no_sideways_scroll(page, "scan-ok")

        # Find an attendee: the Check in and Undo buttons within the phone's width.
        await page.goto(f"/door/events/{slug}/find")
        await page.get_by_label("Name, email or reference").fill("bart")
        await page.get_by_role("button", name="Search", exact=True).click()
        check_in = page.get_by_role("button", name="Check in Bartosz Nowak")
        await within_screen(page, check_in)
        await no_sideways_scroll(page, "find-results")
        await check_in.click()
        await page.locator('[data-done="ok"]').wait_for()
        undo = page.get_by_role("button", name="Undo check-in of Bartosz Nowak")
        await within_screen(page, undo)
        await no_sideways_scroll(page, "find-checked-in")
        await undo.click()
        await page.locator('[data-done="undone"]').wait_for()

        # A walk-up without an email and with no particular slot: the ticket on screen.
        await page.goto(f"/door/events/{slug}/walk-up")
        await no_sideways_scroll(page, "walk-up")
        await page.get_by_label("Attendee's full name").fill("Sam Walker")
        assert await page.get_by_label("Entry slot (optional)").input_value() == ""
        await page.get_by_role("button", name="Register and check in").click()
        await page.locator('[data-done="walk_up"]').wait_for()
        await no_sideways_scroll(page, "walk-up-ticket")
        row = await Registration.select().where(Registration.name == "Sam Walker").first()
        assert row is not None and row["email"] is None and row["slot"] is None
        assert row["checked_in_door"] == "Main entrance"
        assert row["reference"] in await page.locator("#ticket-reference").inner_text()
        qr = await page.locator(".app-ticket__qr svg").screenshot()
        [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr)))
        assert decoded.text == row["ticket_code"]
        await within_screen(page, page.get_by_role("button", name="Print the ticket"))

        await page.emulate_media(media="print")
        assert await page.locator("#ticket").is_visible()
        assert not await page.locator(".app-header").is_visible()
        assert not await page.get_by_role("button", name="Print the ticket").is_visible()
        printed = await page.locator(".app-ticket__qr svg").screenshot()
        [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(printed)))
        assert decoded.text == row["ticket_code"]
        if SHOTS:
            await page.screenshot(path=f"{SHOTS}/walk-up-ticket-print.png", full_page=True)


async def test_a_scan_before_the_doors_open_is_told_the_date(
    live_server: str, tmp_path: Path
) -> None:
    event = await make_event(starts_at=future(days=20, hour=10))
    user = await make_user("door")
    await add_door(event["id"], user["id"])
    ticket = await register(event, name="Early Bird")
    video = write_camera_video(ticket.ticket_code, tmp_path / "early.y4m")
    async with (
        camera_browser(video) as browser,
        scanner_page(browser, live_server, allow_offline_errors=True) as page,
    ):
        await sign_in(page, user)
        await page.goto(f"/door/events/{event['slug']}/scan")
        await page.get_by_label("Which door are you on?").fill("Main entrance")
        await page.get_by_role("button", name="Start scanning").click()
        shown = await verdict_text(page, "not_open")
        day = event["starts_at"].astimezone(ZoneInfo("Europe/London")).strftime("%A")
        assert "The door is not open" in shown and "This fair is on " in shown
        assert day in shown and "doors open" in shown
        await no_sideways_scroll(page, "scan-not-open")

        # Offline, the device applies the same window from its bundle.
        await until(page, "navigator.serviceWorker.controller !== null")
        await page.locator('#scanner-bundle:not([data-count="0"])').wait_for()
        await page.context.set_offline(True)
        await page.reload()
        await page.locator('#scanner-online[data-online="no"]').wait_for()
        await page.get_by_role("button", name="Start scanning").click()
        offline = await verdict_text(page, "not_open")
        assert "This fair is on " in offline and day in offline
        assert await page.locator('#scanner-unsynced[data-count="0"]').count() == 1
        await page.context.set_offline(False)
    row = await Registration.select(Registration.checked_in_at).where(
        Registration.reference == ticket.reference
    )
    assert row == [{"checked_in_at": None}]
