"""The organiser, exhibitor and council journeys as their people walk them, on a
375px phone and a 1280px desktop: every page is checked for horizontal overflow (the
page itself must never scroll sideways; wide tables scroll inside their region), and
photographed (set SCREENSHOTS=<folder> to keep the pictures)."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pyotp
import pytest

from exhibitors.leads.schemas import LeadIn
from exhibitors.leads.services import capture_lead
from exhibitors.services import invite_colleague
from exhibitors.tables import Exhibitor, Vacancy
from fairground.worker import run_once
from registrations.tables import Registration
from tests.exhibitors.helpers import outbox, text_of
from tests.factories import (
    PASSWORD,
    happening_now,
    make_event,
    make_exhibitor,
    make_org,
    make_user,
    pass_second_step,
)
from tests.leads.helpers import RUGBY, attendee, make_stand, recruiter

pytestmark = pytest.mark.e2e
WIDTHS = (375, 1280)
OVERFLOW = "document.documentElement.scrollWidth > document.documentElement.clientWidth"
# Anything in <main> that reaches well into the page's right margin (15px on a phone;
# GOV.UK's file input and focus rings take 5px of it), other than what scrolls inside a
# table region or is visually hidden: it looks cut off.
INTO_MARGIN = """() => {
  const edge = document.documentElement.clientWidth - 8;
  return [...document.querySelectorAll("main *")]
    .filter((e) => !e.closest(".app-table-scroll, svg, .govuk-visually-hidden"))
    .filter((e) => !/govuk-grid-(row|column)/.test(e.className))  // padded layout boxes
    .filter((e) => e.getBoundingClientRect().width > 1 && e.getBoundingClientRect().right > edge)
    .map((e) => e.tagName + (e.id ? "#" + e.id : "") + "." + e.className)
    .slice(0, 5);
}"""


@pytest.fixture(params=WIDTHS, ids=lambda w: f"{w}px")
async def screen(request: Any, browser: Any, live_server: str) -> AsyncIterator[Any]:
    width = request.param
    context = await browser.new_context(
        viewport={"width": width, "height": 900}, base_url=live_server
    )
    page = await context.new_page()
    errors: list[str] = []
    # A form with errors is answered 400 on purpose; Chromium logs that as an error.
    page.on(
        "console",
        lambda m: (
            errors.append(m.text) if m.type == "error" and "status of 400" not in m.text else None
        ),
    )
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(10_000)
    try:
        yield page
        assert not errors, f"browser console errors: {errors}"
    finally:
        await context.close()


async def look(page: Any, name: str) -> None:
    """The page as it stands: no sideways scrolling of the page itself; a picture."""
    await page.wait_for_load_state()
    width = page.viewport_size["width"]
    overflows = await page.evaluate(OVERFLOW)
    assert not overflows, f"{name} scrolls sideways at {width}px"
    into_margin = await page.evaluate(INTO_MARGIN)
    assert not into_margin, f"{name} at {width}px: {into_margin} reach past the margin"
    folder = os.environ.get("SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=f"{folder}/{name}-{width}.png", full_page=True)


async def go(page: Any, url: str, name: str) -> None:
    response = await page.goto(url)
    assert response is not None and response.status == 200, f"{url}: {response}"
    await look(page, name)


async def sign_in(page: Any, email: str, password: str = PASSWORD) -> None:
    await page.goto("/login")
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await pass_second_step(page, email)


async def _fair() -> dict[str, Any]:
    """A published fair with attendees, a stand with a lead, and a council's delivery."""
    org = await make_org("West Midlands Employers")
    event = await make_event(org, title="West Midlands Public Sector Careers Fair")
    stand = await make_stand(event, await make_org("Rugby Borough Council Jobs"))
    consent = {"councils": [RUGBY], "job_alerts": False}
    for n in range(1, 4):
        person = await attendee(
            event, n, home_council=RUGBY, consent=consent, interests=["social-care"]
        )
        if n == 1:
            await Registration.update({Registration.checked_in_at: event["starts_at"]}).where(
                Registration.reference == person.reference
            )
            lead = LeadIn(code=person.ticket_code, consent_given=True, notes="Social worker")
            await capture_lead(stand.exhibitor_id, lead, None)
    applied = await make_exhibitor(event["id"], await make_org("Warwickshire Fire and Rescue"))
    await Exhibitor.update({Exhibitor.status: "applied"}).where(Exhibitor.id == applied)
    await run_once()
    return {"org": org, "event": event, "stand": stand, "applied": applied}


async def test_the_organiser_journey(screen: Any) -> None:
    fair = await _fair()
    page, slug = screen, fair["event"]["slug"]
    organiser = await make_user("organiser", org=fair["org"])
    await sign_in(page, organiser["email"])
    assert page.url.endswith("/organiser")
    await look(page, "organiser-home")
    assert await page.locator(".govuk-tag").first.inner_text() == "Published"
    await go(page, "/organiser/organisation", "organiser-contact")
    await page.get_by_label("Email address").fill("fairs@wme.example")
    await page.get_by_role("button", name="Save").click()
    await look(page, "organiser-contact-saved")
    await go(page, f"/organiser/events/{slug}/edit", "organiser-event-edit")
    await page.get_by_label("Venue name").fill("Coventry Cathedral")
    await page.get_by_role("button", name="Save event").click()
    await page.wait_for_url(f"**/organiser/events/{slug}?saved=1")
    banner = await page.locator(".govuk-notification-banner").inner_text()
    assert "3 attendees will get an updated calendar invite." in banner
    await look(page, "organiser-event-notified")
    for url, name in (
        (f"/organiser/events/{slug}/exhibitors", "organiser-exhibitors"),
        (f"/organiser/events/{slug}/exhibitors/{fair['applied']}", "organiser-exhibitor"),
        (f"/organiser/events/{slug}/stands", "organiser-stands"),
        (f"/organiser/events/{slug}/routing", "organiser-routing"),
        (f"/organiser/events/{slug}/report", "organiser-report"),
        (f"/organiser/events/{slug}/report/print", "organiser-report-print"),
        ("/organiser/outbox", "organiser-outbox"),
        ("/organiser/subscribers", "organiser-subscribers"),
    ):
        await go(page, url, name)
    await page.goto(f"/organiser/events/{slug}/exhibitors")
    assert "Needs review" in await page.locator(".govuk-tag").all_inner_texts()
    await page.goto(f"/organiser/events/{slug}/report")
    assert await page.locator('[data-figure="no-show"]').count() == 0  # before the fair
    if page.viewport_size["width"] >= 641:  # the charts show beside the tables
        size = await page.locator(".app-chart__text").first.evaluate(
            "t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a"
        )
        assert size >= 14
    await go(page, f"/events/{slug}", "public-event-page")
    assert "fairs@wme.example" in await page.locator("main").inner_text()


async def test_a_wide_table_shows_that_it_scrolls(screen: Any) -> None:
    fair = await _fair()
    organiser = await make_user("organiser", org=fair["org"])
    await sign_in(screen, organiser["email"])
    await go(screen, f"/organiser/events/{fair['event']['slug']}/exhibitors", "wide-table")
    region = screen.locator(".app-table-scroll").first
    wide = await region.evaluate("r => r.scrollWidth > r.clientWidth + 1")
    hint = screen.locator(".app-table-scroll__hint").first
    assert await hint.is_visible() == wide  # the cue shows exactly when it scrolls
    if screen.viewport_size["width"] == 375:
        assert wide, "the applications table should be wider than a phone"


async def test_the_exhibitor_journey(screen: Any) -> None:
    fair = await _fair()
    page, stand = screen, fair["stand"]
    await invite_colleague(stand.exhibitor_id, "Jo Bloggs", "jo@rugby.example", stand.staff["id"])
    link = re.search(
        r"/password-reset/[\w-]+", text_of((await outbox("exhibitor_staff_invite"))[0])
    )
    assert link
    await go(page, link.group(0), "exhibitor-set-password")
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_label("Type the password again").fill(PASSWORD)
    await page.get_by_role("button", name="Set password and sign in").click()
    await page.wait_for_url("**/exhibitor")  # signed in at once: no second sign-in
    await look(page, "exhibitor-home")
    exhibitor = f"/exhibitor/{stand.exhibitor_id}"
    await go(page, exhibitor, "exhibitor-stand")
    assert "The fair" in await page.locator("main").inner_text()
    for url, name in (
        (f"{exhibitor}/profile", "exhibitor-profile"),
        (f"{exhibitor}/leads", "exhibitor-leads"),
        (f"{exhibitor}/scan", "exhibitor-scanner"),
    ):
        await go(page, url, name)
    # The scanner keeps the site header and a way back to the stand.
    await page.locator("#stand-setup").wait_for(state="visible")
    assert await page.locator(".app-header").is_visible()
    back = page.get_by_role("link", name="Rugby Borough Council Jobs")
    assert await back.is_visible()
    await back.click()
    await page.wait_for_url(f"**{exhibitor}")


async def test_the_council_journey(screen: Any) -> None:
    await _fair()
    page = screen
    await sign_in(page, (await recruiter(RUGBY))["email"])
    assert page.url.endswith(f"/council/{RUGBY}/leads")  # they land on their leads
    await look(page, "council-leads")
    main = await page.locator("main").inner_text()
    assert "Attendee 1" in main and "Home council" in main
    await page.get_by_role("link", name="Attendee 1").click()
    await look(page, "council-lead")
    words = await page.locator("main").inner_text()
    assert "Rugby Borough Council" in words and RUGBY not in words
    assert "Adult social care" in words
    await go(page, f"/council/{RUGBY}/webhook", "council-webhook")


async def test_the_exhibitor_filter_lines_up(screen: Any) -> None:
    fair = await _fair()
    await Exhibitor.update({Exhibitor.status: "approved"}).where(Exhibitor.id == fair["applied"])
    await Vacancy.insert(
        Vacancy(exhibitor=fair["applied"], title="Firefighter", job_family="planning"),
        Vacancy(
            exhibitor=fair["stand"].exhibitor_id, title="Social worker", job_family="social-work"
        ),
    )
    await go(screen, f"/events/{fair['event']['slug']}", "public-directory")
    select = await screen.locator("#job_family").bounding_box()
    button = await screen.get_by_role("button", name="Filter").bounding_box()
    assert select and button
    width = screen.viewport_size["width"]
    assert button["x"] + button["width"] <= width - 10  # inside the page's margin
    if width == 375:  # under the select, flush with it
        assert abs(button["x"] - select["x"]) < 1 and button["y"] >= select["y"] + select["height"]
    else:  # beside it, on its line
        assert abs((button["y"] + button["height"]) - (select["y"] + select["height"])) < 6


async def test_an_organiser_invites_a_door_volunteer_who_opens_the_scanner(screen: Any) -> None:
    """Issue 14: no command line. The organiser signs in with a security code, invites a
    volunteer to the door team; the volunteer sets a password from the email's link and
    opens the scanner. The organiser's people, audit log and account pages on the way."""
    page = screen
    org = await make_org("West Midlands Employers")
    event = await make_event(org, title="Coventry Careers Fair", starts_at=happening_now())
    slug = event["slug"]
    organiser = await make_user("organiser", org=org, name="Olu Adeyemi")
    await page.goto("/login")
    await page.get_by_label("Email address").fill(organiser["email"])
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/login/code")
    await look(page, "sign-in-security-code")
    await page.get_by_role("button", name="Continue").click()  # no code: the error
    await page.locator(".govuk-error-summary").wait_for()
    assert "Enter the security code" in await page.locator(".govuk-error-summary").inner_text()
    await look(page, "sign-in-security-code-error")
    await pass_second_step(page, organiser["email"])
    assert page.url.endswith("/organiser")
    await page.goto(f"/organiser/events/{slug}")
    await page.get_by_label("Their full name").fill("Dev Volunteer")
    address = f"dev{page.viewport_size['width']}@example.org"
    await page.get_by_label("Their email address").fill(address)
    await page.get_by_role("button", name="Send invitation").click()
    await page.wait_for_load_state()
    await go(page, "/organiser/people", "organiser-people")
    assert address in await page.locator("#people").inner_text()
    await go(page, "/organiser/audit", "organiser-audit")
    assert "door_staff_invited" in await page.locator("#audit").inner_text()
    await go(page, "/account", "own-account")

    [mail] = [row for row in await outbox("door_staff_invite") if row["recipient"] == address]
    link = re.search(r"https?://\S+(/password-reset/\S+)", text_of(mail))
    assert link
    await page.context.clear_cookies()
    await page.goto(link.group(1))
    await look(page, "volunteer-set-password")
    await page.get_by_label("Password", exact=True).fill("password123")
    await page.get_by_label("Type the password again").fill("password123")
    await page.get_by_role("button", name="Set password and sign in").click()
    await page.locator(".govuk-error-summary").wait_for()
    assert "too common" in await page.locator(".govuk-error-summary").inner_text()
    await page.get_by_label("Password", exact=True).fill("marmalade kettle lantern")
    await page.get_by_label("Type the password again").fill("marmalade kettle lantern")
    await page.get_by_role("button", name="Set password and sign in").click()
    await page.wait_for_url("**/door")
    await page.get_by_role("link", name=re.compile("Coventry Careers Fair")).first.click()
    await page.wait_for_load_state()
    await page.goto(f"/door/events/{slug}/scan")
    await page.get_by_label("Which door are you on?").wait_for()  # the scanner, full width
    # Optional for door staff: the set-up page shows the QR code and the key as text.
    await go(page, "/account/two-factor", "two-factor-setup")
    assert await page.locator(".fg-qr svg").count() == 1
    await page.get_by_text("I cannot scan the QR code").click()
    key = (await page.locator("#setup-key").inner_text()).replace(" ", "")
    await page.get_by_label("Security code").fill(pyotp.TOTP(key).now())
    await page.get_by_role("button", name="Turn on two-factor sign-in").click()
    await page.locator("#recovery-codes").wait_for()
    assert await page.locator("#recovery-codes li").count() == 10
    await look(page, "two-factor-recovery-codes")
