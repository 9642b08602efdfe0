"""The stand scanner in Chromium with a fake camera showing a real ticket's QR: the
lead form, consent, a rescan that updates the lead, and offline (kept on the device,
then sent once when the network is back)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from exhibitors.leads.tables import Lead
from tests.e2e.camera import camera_browser, write_camera_video
from tests.e2e.test_door import scanner_page, sign_in
from tests.factories import make_org
from tests.leads.helpers import RUGBY, Stand, attendee, make_stand

pytestmark = pytest.mark.e2e
EXHIBITOR = "Rugby Jobs Ltd"


async def stand_setup() -> tuple[Stand, Any]:
    stand = await make_stand(org=await make_org(EXHIBITOR))
    person = await attendee(
        stand.event,
        name="Amira Khan",
        email="amira@example.org",
        home_council=RUGBY,
        phone="07700 900123",
    )
    return stand, person


async def open_scanner(page: Any, stand: Stand) -> None:
    await sign_in(page, stand.staff)
    # The decoder's WebAssembly is fetched while the page loads, so it decodes offline too.
    async with page.expect_response("**/zxing_reader.wasm"):
        await page.goto(f"/exhibitor/{stand.exhibitor_id}/scan")


async def wait_for_form(page: Any) -> None:
    await page.get_by_role("button", name="Start scanning").click()
    await page.locator("#stand-form-title").wait_for(state="visible")


async def result(page: Any, tone: str) -> str:
    panel = page.locator(f'#stand-result[data-tone="{tone}"]')
    await panel.wait_for(state="visible")
    return str(await panel.inner_text())


async def leads() -> list[dict[str, Any]]:
    return await Lead.select(
        Lead.consent_given, Lead.rating, Lead.notes, Lead.interests, Lead.captured_by
    ).output(load_json=True)


async def test_scan_then_the_lead_form_with_consent(live_server: str, tmp_path: Path) -> None:
    stand, person = await stand_setup()
    video = write_camera_video(person.ticket_code, tmp_path / "ticket.y4m")
    async with camera_browser(video) as browser, scanner_page(browser, live_server) as page:
        await open_scanner(page, stand)
        await wait_for_form(page)
        words = await page.locator("#consent-words").inner_text()
        assert f"Do you agree to {EXHIBITOR} keeping your name, email and phone number" in words
        await page.get_by_label("Hot").check()
        await page.get_by_label("Notes (optional)").fill("Qualified social worker")
        await page.get_by_label("Adult social care").check()
        await page.get_by_label(
            f"The attendee agreed to share their details with {EXHIBITOR}"
        ).check()
        await page.get_by_role("button", name="Save lead").click()

        shown = await result(page, "ok")
        assert "Lead saved" in shown and "Amira Khan" in shown
        assert "amira@example.org" in shown and "07700 900123" in shown
        assert await leads() == [
            {"consent_given": True, "rating": 5, "notes": "Qualified social worker",
             "interests": ["social-care"], "captured_by": stand.staff["id"]},
        ]  # fmt: skip

        # The same ticket again, a few seconds later: the lead is updated, not doubled.
        await page.get_by_role("button", name="Scan next ticket").click()
        await page.locator("#stand-form-title").wait_for(state="visible", timeout=15_000)
        await page.get_by_label("Notes (optional)").fill("Wants part-time work")
        await page.get_by_role("button", name="Save lead").click()
        shown = await result(page, "ok")
        assert "Lead updated" in shown and "amira@example.org" in shown

    assert [(r["notes"], r["consent_given"]) for r in await leads()] == [
        ("Wants part-time work", True)
    ]


async def test_offline_lead_is_kept_then_sent_once(live_server: str, tmp_path: Path) -> None:
    stand, person = await stand_setup()
    video = write_camera_video(person.ticket_code, tmp_path / "offline.y4m")
    async with (
        camera_browser(video) as browser,
        scanner_page(browser, live_server, allow_offline_errors=True) as page,
    ):
        await open_scanner(page, stand)
        await page.context.set_offline(True)
        await page.locator('#stand-online[data-online="no"]').wait_for()
        await wait_for_form(page)
        await page.get_by_label("Cold").check()
        await page.get_by_label("Notes (optional)").fill("Met offline")
        await page.get_by_role("button", name="Save lead").click()  # no consent ticked

        assert "Saved on this device" in await result(page, "warn")
        await page.locator('#stand-unsynced[data-count="1"]').wait_for()
        assert await leads() == []

        await page.context.set_offline(False)
        await page.locator('#stand-unsynced[data-count="0"]').wait_for(timeout=20_000)
        assert await leads() == [
            {"consent_given": False, "rating": 1, "notes": "Met offline", "interests": [],
             "captured_by": stand.staff["id"]},
        ]  # fmt: skip

        # Without consent the exhibitor sees the name only.
        await page.goto(f"/exhibitor/{stand.exhibitor_id}/leads")
        card = await page.locator(".app-stand-lead").inner_text()
        assert "Amira Khan" in card and "Name only" in card
        assert "amira@example.org" not in card and "07700 900123" not in card
