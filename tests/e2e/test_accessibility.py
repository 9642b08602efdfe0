"""Accessibility, measured, over every page as each audience sees it.

- axe-core (WCAG 2.0, 2.1 and 2.2 A and AA, and best practice): no serious or
  critical violations, on each page and on the forms' error states;
- reflow (WCAG 1.4.10): at 320 CSS px wide no page scrolls sideways, except
  inside a scroll container that a keyboard can reach (wide tables);
- keyboard: the skip link is the first tab stop, every tab stop shows the
  GOV.UK focus style, and every control of the scanners can be reached.

PAGES lists every GET route that renders a page, with the test that checks it:
test_every_page_route_is_checked fails when the app has a page that is not in
it, and each audience's test fails when it did not check all of its pages.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from events.services import get_slots, set_status
from exhibitors.leads.routing import subscribe
from exhibitors.leads.schemas import LeadIn
from exhibitors.leads.services import capture_lead
from exhibitors.leads.tables import LeadDelivery
from exhibitors.leads.webhooks import set_webhook
from fairground.accounts import start_password_reset
from fairground.seed import job_families
from fairground.tables import OutboxMessage
from registrations.checkin import Scan, check_in
from registrations.services import cancel_registration
from registrations.tables import Registration
from tests.exhibitors.helpers import apply, make_stand, make_subscriber
from tests.factories import (
    PASSWORD,
    add_door,
    add_staff,
    add_vacancy,
    council_id,
    future,
    happening_now,
    make_event,
    make_exhibitor,
    make_org,
    make_partner,
    make_user,
    pass_second_step,
)
from tests.leads.helpers import RUGBY, change_consent, route_all
from tests.registrations.helpers import register

pytestmark = pytest.mark.e2e
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
NARROW = 320  # CSS px: WCAG 1.4.10's width (1280 px at 400% zoom)

# Every GET route that renders an HTML page → the test (audience) that checks it.
PAGES: dict[str, str] = {
    # public: no account
    "/": "public",
    "/accessibility": "public",
    "/privacy": "public",
    "/events/{slug:str}": "public",
    "/events/{slug:str}/register": "public",
    "/events/{slug:str}/register/interests": "public",
    "/events/{slug:str}/register/access": "public",
    "/events/{slug:str}/register/equality": "public",
    "/events/{slug:str}/register/check": "public",
    "/events/{slug:str}/exhibit": "public",
    "/events/{slug:str}/exhibit/sent": "public",
    "/login": "public",
    "/password-reset": "public",
    "/password-reset/{token:str}": "public",
    # attendee: the pages reached by the manage link in their emails
    "/r/{manage_token:str}": "attendee",
    "/r/{manage_token:str}/confirmation": "attendee",
    "/r/{manage_token:str}/plan": "attendee",
    "/r/{manage_token:str}/cancel": "attendee",
    "/r/{manage_token:str}/cancelled": "attendee",
    "/r/{manage_token:str}/change": "attendee",
    "/r/{manage_token:str}/data": "attendee",
    "/r/{manage_token:str}/follow-up": "attendee",
    "/r/{manage_token:str}/follow-up/thanks": "attendee",
    "/r/{manage_token:str}/stand-consents": "attendee",
    "/r/{manage_token:str}/interviews": "attendee",
    "/r/{manage_token:str}/interviews/{booking_id:int}/move": "attendee",
    "/data-erased": "attendee",
    # door staff
    "/door": "door",
    "/door/events/{slug:str}": "door",
    "/door/events/{slug:str}/find": "door",
    "/door/events/{slug:str}/walk-up": "door",
    "/door/events/{slug:str}/scan": "door",
    "/door/events/{slug:str}/tickets/{reference:str}": "door",
    # organisers
    "/organiser": "organiser",
    "/organiser/events/new": "organiser",
    "/organiser/events/{slug:str}": "organiser",
    "/organiser/events/{slug:str}/edit": "organiser",
    "/organiser/events/{slug:str}/door": "organiser",
    # a fragment: checked inside the dashboard, after its script swapped it in
    "/organiser/events/{slug:str}/door/panel": "organiser",
    "/organiser/events/{slug:str}/access-requests": "organiser",
    "/organiser/events/{slug:str}/exhibitors": "organiser",
    "/organiser/events/{slug:str}/exhibitors/{exhibitor_id:int}": "organiser",
    "/organiser/events/{slug:str}/stands": "organiser",
    "/organiser/events/{slug:str}/routing": "organiser",
    "/organiser/events/{slug:str}/report": "organiser",
    "/organiser/events/{slug:str}/report/print": "organiser",
    "/organiser/outbox": "organiser",
    "/organiser/outbox/{message_id:int}": "organiser",
    "/organiser/subscribers": "organiser",
    "/organiser/events/{slug:str}/partners": "organiser",
    "/organiser/events/{slug:str}/funder-summary": "organiser",
    "/organiser/organisation": "organiser",
    "/account": "organiser",
    "/organiser/people": "organiser",
    "/organiser/audit": "organiser",
    "/login/code": "organiser",
    "/account/two-factor": "door",
    # exhibitor staff
    "/exhibitor": "exhibitor",
    "/exhibitor/{exhibitor_id:int}": "exhibitor",
    "/exhibitor/{exhibitor_id:int}/profile": "exhibitor",
    "/exhibitor/{exhibitor_id:int}/leads": "exhibitor",
    "/exhibitor/{exhibitor_id:int}/scan": "exhibitor",
    "/exhibitor/{exhibitor_id:int}/interviews": "exhibitor",
    # council recruiters
    "/council/{code:str}": "council",
    "/council/{code:str}/leads": "council",
    "/council/{code:str}/leads/{delivery_id:int}": "council",
    "/council/{code:str}/webhook": "council",
    # employability partners' staff
    "/partner": "partner",
    "/partner/events/{slug:str}": "partner",
}
# GET routes that are not pages, and why.
NOT_PAGE_PREFIXES = (
    "/api/",  # the JSON API
    "/schema",  # the OpenAPI document (JSON and YAML only)
    "/static/",  # our CSS, JavaScript and images
)
NOT_PAGES: dict[str, str] = {
    "/healthz": "JSON for load balancers",
    "/logos/{name:str}": "an exhibitor's logo (PNG)",
    "/door/sw.js": "the door scanner's service worker",
    "/exhibitor/sw.js": "the stand scanner's service worker",
    "/organiser/events/{slug:str}/door/events": "the dashboard's Server-Sent Events stream",
    "/r/{manage_token:str}/invite.ics": "calendar invite",
    "/r/{manage_token:str}/interviews/{booking_id:int}/invite.ics": "an interview's invite",
    "/r/{manage_token:str}/ticket.png": "QR ticket image",
    "/r/{manage_token:str}/ticket.svg": "QR ticket image",
    "/r/{manage_token:str}/data.json": "the attendee's data export",
    "/council/{code:str}/leads.csv": "leads export",
    "/council/{code:str}/leads.xlsx": "leads export",
    "/exhibitor/{exhibitor_id:int}/badges.pdf": "staff badges to print",
    "/r/{manage_token:str}/ticket.pdf": "the printable ticket (a tagged PDF)",
    "/partner/events/{slug:str}/poster.pdf": "a partner's poster to print (a tagged PDF)",
    "/partner/events/{slug:str}/referrals.csv": "a partner's referrals export",
    "/organiser/events/{slug:str}/partners/{code:str}/poster.pdf": "a partner's poster (PDF)",
}


def _pattern(route: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", route)
    regex = "".join(
        (r"\d+" if part.endswith(":int}") else "[^/]+") if part.startswith("{") else re.escape(part)
        for part in parts
    )
    return re.compile(regex)


PATTERNS = {route: _pattern(route) for route in PAGES}


def route_of(path: str) -> str | None:
    """The PAGES route a path belongs to; a fixed segment wins over a parameter."""
    matches = [route for route, pattern in PATTERNS.items() if pattern.fullmatch(path)]
    return min(matches, key=lambda route: route.count("{"), default=None)


def test_every_page_route_is_checked() -> None:
    from litestar.routes import HTTPRoute

    from app import create_app

    routes = {
        route.path
        for route in create_app().routes
        if isinstance(route, HTTPRoute)
        and "GET" in route.methods
        and not route.path.startswith(NOT_PAGE_PREFIXES)
    }
    unchecked = sorted(routes - PAGES.keys() - NOT_PAGES.keys())
    assert not unchecked, f"pages with no accessibility check (add them to PAGES): {unchecked}"
    gone = sorted((PAGES.keys() | NOT_PAGES.keys()) - routes)
    assert not gone, f"PAGES or NOT_PAGES name routes the app no longer has: {gone}"


# --- checking a page ------------------------------------------------------------------

# Screens a page's script shows later, made visible for the check by the URL's
# fragment: the stand scanner's lead form and what came of a lead, the door
# scanner's set-up, controls, camera problem and its three kinds of verdict.
VERDICT = """
    const panel = document.getElementById('scanner-verdict');
    panel.hidden = false;
    panel.dataset.tone = '%s';
    document.getElementById('verdict-mark').textContent = '%s';
    document.getElementById('verdict-title').textContent = '%s';
    document.getElementById('verdict-name').textContent = 'Amira Khan';
    const access = document.getElementById('verdict-access');
    access.hidden = false;
    access.textContent = 'Access needs: BSL interpreter';
    document.getElementById('verdict-detail').textContent = 'First checked in at 10:02';
"""
REVEAL = {
    "#lead-form": """
        document.getElementById('stand-sheet').hidden = false;
        document.body.classList.add('app-stand-sheet-open');
    """,
    "#lead-saved": """
        document.getElementById('stand-sheet').hidden = false;
        document.body.classList.add('app-stand-sheet-open');
        document.getElementById('stand-form').hidden = true;
        const panel = document.getElementById('stand-result');
        panel.hidden = false;
        panel.dataset.tone = 'ok';
        document.getElementById('stand-result-mark').textContent = '✓';
        document.getElementById('stand-result-title').textContent = 'Lead saved';
        for (const id of ['stand-result-name', 'stand-result-email', 'stand-result-note']) {
            const el = document.getElementById(id);
            el.hidden = false;
            el.textContent = 'Amira Khan, amira@example.org';
        }
    """,
    "#setup": "document.getElementById('scanner-setup').hidden = false",
    "#controls": """
        document.getElementById('scanner-setup').hidden = true;
        document.getElementById('scanner-camera').hidden = false;
        document.getElementById('scanner-controls').hidden = false;
        document.getElementById('scanner-torch').hidden = false;
        document.getElementById('scanner-door-label').textContent = 'Door: Main entrance';
    """,
    "#problem": """
        document.getElementById('scanner-problem').hidden = false;
        document.getElementById('scanner-denied-help').hidden = false;
    """,
    "#verdict-ok": VERDICT % ("ok", "✓", "Checked in"),
    "#verdict-warn": VERDICT % ("warn", "!", "Already checked in"),
    "#verdict-bad": VERDICT % ("bad", "✗", "Ticket for another event"),
}

# How far a page overflows at 320 px, and the elements that stick out (outside
# any scroll container), to name in the failure.
OVERFLOW = """
    () => {
        const root = document.documentElement;
        const width = root.clientWidth;
        if (root.scrollWidth <= width) return null;
        const scrolls = el => {
            for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
                const x = getComputedStyle(p).overflowX;
                if (x === 'auto' || x === 'scroll' || x === 'hidden') return true;
            }
            return false;
        };
        const wide = [...document.body.querySelectorAll('*')].filter(el => {
            const box = el.getBoundingClientRect();
            return box.width > 0 && box.right > width + 1 && !scrolls(el);
        });
        const found = wide.length ? wide : [...document.body.querySelectorAll('*')].filter(
            el => el.getBoundingClientRect().right > width + 1);
        const innermost = found.filter(el => !found.some(o => o !== el && el.contains(o)));
        const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
            + (el.classList.length ? '.' + [...el.classList].join('.') : '');
        return {by: root.scrollWidth - width, where: innermost.slice(0, 3).map(name)};
    }
"""


class Checker:
    """One audience's browser page: checks each page and remembers which routes it saw."""

    def __init__(self, page: Any, audience: str) -> None:
        self.page = page
        self.audience = audience
        self.seen: set[str] = set()
        self.found: list[str] = []

    async def visit(self, url: str, status: int = 200) -> None:
        if "#" in url:  # a new load, even when only the fragment differs
            await self.page.goto("about:blank")
        response = await self.page.goto(url)
        # An error page would pass in place of the page meant.
        assert response.status == status, f"{url}: {response.status}, not {status}"
        for fragment, script in REVEAL.items():
            if url.endswith(fragment):
                await self.page.evaluate(f"() => {{ {script} }}")
        await self.check(url)

    async def submit(self, button: str, status: int = 200, label: str = "") -> None:
        """Press a form's button (by its name), then check the page that comes back."""
        async with self.page.expect_navigation() as navigation:
            await self.page.get_by_role("button", name=button, exact=True).click()
        response = await navigation.value
        assert response.status == status, f"{self.page.url}: {response.status}, not {status}"
        if status == 400:
            await self.page.locator(".govuk-error-summary").wait_for()
        await self.check(label or urlsplit(self.page.url).path)

    async def check(self, label: str) -> None:
        route = route_of(urlsplit(self.page.url).path)
        if route:
            self.seen.add(route)
        self.found += [f"{label}: {v}" for v in await self._axe()]
        overflow = await self._reflow()
        if overflow:
            self.found.append(f"{label}: scrolls sideways at {NARROW}px: {overflow}")

    async def _axe(self, rules: list[str] | None = None) -> list[str]:
        run_only = f"{{type: 'rule', values: {rules}}}" if rules else str(AXE_TAGS)
        # Only violations are wanted: axe then skips the detail of what passed.
        options = f"{{runOnly: {run_only}, resultTypes: ['violations']}}"
        result = await self.page.evaluate(f"axe.run(document, {options})")
        return [
            f"{v['id']} ({v['impact']}) {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]

    async def _reflow(self) -> str:
        """Sideways scrolling at 320 px; wide content must scroll inside a container
        that a keyboard can reach (axe's scrollable-region-focusable, at that width)."""
        size = self.page.viewport_size
        await self.page.set_viewport_size({"width": NARROW, "height": size["height"]})
        try:
            overflow = await self.page.evaluate(OVERFLOW)
            trapped = await self._axe(["scrollable-region-focusable"])
        finally:
            await self.page.set_viewport_size(size)
        problems = [f"by {overflow['by']}px at {overflow['where']}"] if overflow else []
        return "; ".join(problems + trapped)

    def assert_all_good(self) -> None:
        mine = {route for route, audience in PAGES.items() if audience == self.audience}
        missed = sorted(mine - self.seen)
        assert not missed, f"{self.audience} pages not checked: {missed}"
        assert not self.found, "\n".join(self.found)


@pytest.fixture
async def checker(request: Any, browser: Any, live_server: str) -> AsyncIterator[Checker]:
    # bypass_csp lets axe's own script run; the pages themselves are unchanged.
    context = await browser.new_context(
        base_url=live_server, bypass_csp=True, viewport={"width": 1024, "height": 800}
    )
    await context.add_init_script(path=str(AXE))
    page = await context.new_page()
    page.set_default_timeout(8000)
    audience = request.node.name.removeprefix("test_").removesuffix("_pages")
    try:
        yield Checker(page, audience)
    finally:
        await context.close()


# Resolves once every service worker of the page's origin has finished activating.
SETTLE_WORKERS = """async () => {
  const registrations = await navigator.serviceWorker.getRegistrations();
  await Promise.all(registrations.map((r) => {
    const worker = r.installing || r.waiting || r.active;
    if (!worker || worker.state === "activated") return null;
    return new Promise((done) => worker.addEventListener("statechange", () => {
      if (worker.state === "activated" || worker.state === "redundant") done();
    }));
  }));
}"""


async def sign_in(checker: Checker, email: str, lands_on: str) -> None:
    page = checker.page
    # A scanner's service worker, while activating, fetches its page to keep a copy.
    # Were the cookies cleared first, that answer would set a new CSRF cookie behind
    # the sign-in form's back (a 403): let it finish.
    if page.url.startswith("http"):
        await page.evaluate(SETTLE_WORKERS)
    await page.context.clear_cookies()
    await page.goto("/login")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    async with page.expect_navigation():
        await page.get_by_role("button", name="Sign in").click()
    await pass_second_step(page, email)
    assert urlsplit(page.url).path == lands_on, page.url


# --- the world each audience sees -----------------------------------------------------


async def fair(org: int | None = None, **overrides: Any) -> dict[str, Any]:
    """A published fair with two arrival slots."""
    start = overrides.pop("starts_at", future())
    hour = timedelta(hours=1)
    slots = [
        {"starts_at": start, "ends_at": start + hour, "capacity": 50},
        {"starts_at": start + hour, "ends_at": start + 2 * hour, "capacity": 50},
    ]
    return await make_event(org, starts_at=start, slots=overrides.pop("slots", slots), **overrides)


async def amira(event: dict[str, Any], **overrides: Any) -> Any:
    """A confirmed attendee who asked for an interpreter and let Rugby contact her."""
    slots = await get_slots(event["id"])
    return await register(
        event,
        name="Amira Khan",
        email=overrides.pop("email", "amira@example.org"),
        access_needs="BSL interpreter",
        home_council=RUGBY,
        slot_id=slots[0]["id"] if slots else None,
        consent={"councils": [RUGBY], "job_alerts": False},
        **overrides,
    )


async def stand_with_lead(event: dict[str, Any], ticket: Any, staff: dict[str, Any]) -> int:
    """An approved exhibitor whose staff scanned `ticket`, the lead routed to Rugby."""
    exhibitor_id = await make_exhibitor(event["id"], await make_org("Rugby Jobs Ltd"))
    await add_staff(exhibitor_id, staff["id"])
    lead = LeadIn(code=ticket.ticket_code, consent_given=True, rating=5, notes="Qualified")
    await capture_lead(exhibitor_id, lead, staff["id"])
    await route_all()
    return exhibitor_id


# --- the tests, one per audience ------------------------------------------------------


async def test_public_pages(checker: Checker) -> None:
    event = await fair(access_notes="Step-free entrance")
    slug = event["slug"]
    await make_stand(event["id"], "A1")
    await make_exhibitor(event["id"], await make_org("Rugby Borough Council Jobs"))  # listed
    full = await make_event(capacity=1)
    await register(full, name="First In", email="first@example.org")
    closed = await make_event()
    await set_status(closed["slug"], "closed")
    staff = await make_user("organiser", email="pat@example.org")
    reset = await start_password_reset(staff["email"])
    assert reset is not None
    await checker.visit(f"/events/{slug}")
    assert await checker.page.get_by_text("Rugby Borough Council Jobs").count()  # directory
    for url in (
        "/",
        "/accessibility",
        "/privacy",
        f"/events/{full['slug']}",
        f"/events/{full['slug']}/register",  # says a place means the waiting list
        f"/events/{closed['slug']}",
        f"/events/{closed['slug']}/register",  # registration closed
    ):
        await checker.visit(url)
    await checker.visit("/no-such-page", status=404)
    await checker.visit("/password-reset")
    await checker.page.fill("#email", "pat@example.org")
    await checker.submit("Send the link", label="password reset, link sent")
    [slot, *_] = await get_slots(event["id"])
    await register(event, name="Zofia Wiśniewska", email="zofia@example.org", slot_id=slot["id"])
    await _registration_journey(checker, slug)
    await _exhibitor_application(checker, slug)
    await _sign_in_errors(checker)
    await checker.visit(f"/password-reset/{reset[1]}")
    await checker.page.fill("#password", "one long password")
    await checker.page.fill("#confirm", "another long password")
    await checker.submit("Change password and sign in", 400, "password reset, passwords differ")
    checker.assert_all_good()


async def _registration_journey(checker: Checker, slug: str) -> None:
    """Every step, sent empty where that shows errors; Zofia has a place already, so
    the last step says so (the confirmation is on the attendees' list)."""
    page = checker.page
    await checker.visit(f"/events/{slug}/register")
    await checker.submit("Continue", 400, "registration details, empty")
    await page.fill("#name", "Zofia Wiśniewska")
    await page.fill("#email", "zofia@example.org")
    await page.select_option("#home_council", RUGBY)
    await page.locator("input[name=slot_id]").first.check()
    await checker.submit("Continue")
    await checker.submit("Continue", 400, "registration interests, empty")
    await page.get_by_label("No", exact=True).check()
    await checker.submit("Continue")
    await page.get_by_label("British Sign Language (BSL) interpreter").check()
    await checker.submit("Continue")
    await checker.submit("Skip this section")
    await checker.submit("Register", 409, "registration, already registered")


async def _exhibitor_application(checker: Checker, slug: str) -> None:
    page = checker.page
    await checker.visit(f"/events/{slug}/exhibit")
    await checker.submit("Send application", 400, "exhibitor application, empty")
    await page.get_by_label("Organisation name").fill("Rugby Careers Ltd")
    await page.get_by_label("Full name").fill("Sam Patel")
    await page.get_by_label("Work email address").fill("sam@rugbycareers.example.org")
    await checker.submit("Send application")


async def _sign_in_errors(checker: Checker) -> None:
    """A wrong password shows the error; five for one account bring the 429 page."""
    page = checker.page
    await checker.visit("/login")
    for attempt in range(5):
        await page.fill("#email", "nobody@example.org")
        await page.fill("#password", "not the password")
        if attempt == 0:
            await checker.submit("Sign in", 400, "sign in, wrong password")
        else:
            async with page.expect_navigation():
                await page.get_by_role("button", name="Sign in").click()
    await page.fill("#password", "not the password")
    await checker.submit("Sign in", 429, "sign in, too many attempts")


async def test_attendee_pages(checker: Checker) -> None:
    event = await fair()
    # On every attendee's plan for the day (they chose no job families): stand A1.
    employer = await make_exhibitor(event["id"], await make_org("Coventry City Council Jobs"))
    await add_vacancy(employer, "Social Worker", "social-care", "https://jobs.example.org/1", "A1")
    ticket = await amira(event)
    # Referred by a partner: the manage page shows who, with consent and removal buttons.
    referrer = await make_partner("Rugby Refugee Support", "refugee", invite_to=event["id"])
    await Registration.update({Registration.referred_by: referrer["id"]}).where(
        Registration.manage_token == ticket.manage_token
    )
    cancelled = await amira(event, email="kofi@example.org")
    await cancel_registration(cancelled.manage_token)
    full = await make_event(capacity=1)
    await register(full, name="First In", email="first@example.org")
    waiting = await register(full, name="Sam Patel", email="sam@example.org")
    past = await make_event()
    former = await amira(past, email="former@example.org")
    await set_status(past["slug"], "closed")
    r, done = f"/r/{ticket.manage_token}", f"/r/{former.manage_token}"
    for url in (
        r,
        f"{r}/confirmation",
        f"{r}/plan",
        f"{r}/follow-up",  # before the fair: not yet open
        f"/r/{waiting.manage_token}",
        f"/r/{waiting.manage_token}/confirmation",
        f"/r/{cancelled.manage_token}",
        f"/r/{cancelled.manage_token}/cancelled",
        done,
        f"{done}/follow-up",
    ):
        await checker.visit(url)
    page = checker.page
    await page.get_by_label("I agree that", exact=False).check()
    await checker.submit("Send my answers")
    await _change_page(checker, r)
    await stand_with_lead(event, ticket, await make_user("exhibitor"))
    withdraw = "Withdraw consent for Rugby Jobs Ltd"
    await checker.visit(f"{r}/stand-consents")
    await page.locator("input[name=exhibitor]").evaluate("(el) => { el.value = '0'; }")
    await checker.submit(withdraw, 400, "withdraw stand consent, stale choice")
    await checker.visit(f"{r}/stand-consents")
    await checker.submit(withdraw, label="withdraw stand consent, are you sure")
    await checker.submit("Yes, withdraw my consent", label="stand consent withdrawn")
    await _interview_pages(checker, event, r)
    await checker.visit(f"{r}/data")
    await checker.submit("Erase my data", 400, "erase data, not confirmed")
    await checker.visit(f"{r}/cancel")
    await checker.submit("Yes, cancel my place")
    await checker.visit(f"{done}/data")
    await page.get_by_label("I want my data erased").check()
    await checker.submit("Erase my data")
    checker.assert_all_good()


async def _interview_pages(checker: Checker, event: dict[str, Any], r: str) -> None:
    """Booking an interview (and a full time refused), the ticket page's "Your
    interviews", and choosing a new time."""
    from exhibitors.interviews import services as interviews
    from exhibitors.tables import Exhibitor

    exhibitor = await Exhibitor.select(Exhibitor.id).where(Exhibitor.event == event["id"]).first()
    start = event["starts_at"]
    plan = interviews.ScheduleInput(starts_at=start, ends_at=start + timedelta(hours=1), parallel=2)
    await interviews.publish_schedule(exhibitor["id"], plan, None)
    await checker.visit(f"{r}/interviews")
    button = checker.page.locator(".app-slot__form button").first
    async with checker.page.expect_navigation():
        await button.click()
    await checker.check("interview booked, the ticket page")
    await checker.visit(f"{r}/interviews")
    first = checker.page.locator(".app-slot__form button").first
    async with checker.page.expect_navigation() as navigation:
        await first.click()  # the same time again: overlaps
    assert (await navigation.value).status == 400
    await checker.check("interview refused, overlaps")
    booking = checker.page.url  # the choose page again
    await checker.visit(r)
    link = checker.page.get_by_role("link", name="Change the time", exact=False).first
    await checker.visit(str(await link.get_attribute("href")))
    assert booking


async def _change_page(checker: Checker, r: str) -> None:
    """The change page, its errors (a phone number that is not one), and the saved
    banner on the ticket page; the councils' areas open."""
    page = checker.page
    await checker.visit(f"{r}/change")
    await page.fill("#phone", "call me")
    await checker.submit("Save changes", 400, "change details, bad phone")
    await page.fill("#phone", "07700 900982")
    closed = page.locator("details.app-council-area:not([open]) summary")
    while await closed.count():
        await closed.first.click()
    await checker.check("change details, every area open")
    await checker.submit("Save changes", label="change details, saved")


async def test_door_pages(checker: Checker) -> None:
    event = await fair(starts_at=happening_now())  # on now: its door is open
    slug = event["slug"]
    door = await make_user("door")
    await add_door(event["id"], door["id"])
    await amira(event)
    await sign_in(checker, door["email"], "/door")
    scan = f"/door/events/{slug}/scan"
    for url in (
        "/door",
        f"/door/events/{slug}",
        scan,
        *(f"{scan}#{state}" for state in ("setup", "controls", "problem")),
        *(f"{scan}#verdict-{tone}" for tone in ("ok", "warn", "bad")),
        "/account/two-factor",  # optional for door staff: the QR code and the setup key
        f"/door/events/{slug}/walk-up",
    ):
        await checker.visit(url)
    await checker.submit("Register and check in", 400, "walk-up, empty")
    await checker.page.fill("#name", "Sam Walker")
    await checker.submit("Register and check in", label="walk-up without an email: the ticket")
    await checker.visit(f"/door/events/{slug}/find")
    await checker.page.fill("#q", "amira")
    await checker.submit("Search", label="find an attendee, results")
    await checker.submit("Check in Amira Khan", label="find an attendee, checked in")
    await checker.visit("/organiser", status=403)
    checker.assert_all_good()


async def test_organiser_pages(checker: Checker) -> None:
    org = await make_org("West Midlands Employers")
    organiser = await make_user("organiser", org=org)
    event = await fair(org, starts_at=happening_now())  # on now: Amira is checked in
    slug = event["slug"]
    ticket = await amira(event)
    await check_in(Scan(code=ticket.ticket_code, event=slug, door="Main entrance"))
    await add_door(event["id"], (await make_user("door"))["id"])  # the door team, listed
    await make_subscriber()
    await make_stand(event["id"], "A1")
    await make_stand(event["id"], "A2", x=4)
    free = await make_stand(event["id"], "B1", y=4)
    application = await apply(event, organisation="Rugby Careers Ltd", subscriber_ref="")
    await stand_with_lead(event, ticket, await make_user("exhibitor"))
    [family, *_] = await job_families()
    await subscribe(event["id"], RUGBY, family["code"])
    message = await OutboxMessage.select(OutboxMessage.id).first()
    # The password, then the security code page: empty first (its error), then the code.
    await checker.page.context.clear_cookies()
    await checker.page.goto("/login")
    await checker.page.fill("#email", organiser["email"])
    await checker.page.fill("#password", PASSWORD)
    async with checker.page.expect_navigation():
        await checker.page.get_by_role("button", name="Sign in").click()
    await checker.visit("/login/code")
    await checker.submit("Continue", 400, "security code, empty")
    await pass_second_step(checker.page, organiser["email"])
    base = f"/organiser/events/{slug}"
    for url in (
        "/organiser",
        f"{base}",
        f"{base}/edit",
        f"{base}/access-requests",
        f"{base}/exhibitors",
        f"{base}/stands",
        f"{base}/stands?stand={free}",
        f"{base}/routing",
        f"{base}/report",
        f"{base}/report/print",
        "/organiser/outbox",
        f"/organiser/outbox/{message['id']}",
        "/account",
        "/organiser/people",
        "/organiser/audit",
        "/organiser/audit?action=login",
    ):
        await checker.visit(url)
    await _door_dashboard(checker, base)
    await checker.visit(f"{base}/exhibitors/{application}")
    await checker.submit("Save decision", 400, "exhibitor decision, none chosen")
    await checker.visit("/organiser/subscribers")
    await checker.page.fill("#text", SUBSCRIBERS_CSV)
    await checker.submit("Preview changes", label="subscribers import preview")
    await checker.visit("/organiser/events/new")
    await checker.submit("Save event", 400, "new event, empty")
    await checker.visit("/organiser/organisation")
    await checker.page.fill("#contact_email", "not an address")
    await checker.submit("Save", 400, "contact address, not an address")
    await make_partner("Rugby Jobcentre Plus", "jobcentre", invite_to=event["id"])
    await make_partner("Coventry Refugee and Migrant Centre", "refugee")
    await checker.visit(f"{base}/funder-summary")
    await checker.visit(f"{base}/partners")
    await checker.page.fill("#partner", "Nobody by this name")
    await checker.submit("Invite", 400, "partner invitation, unknown partner")
    checker.assert_all_good()


SUBSCRIBERS_CSV = (
    "organisation,subscriber reference,email domains,active until\n"
    "Coventry City Council,WMJ-0042,coventry.gov.uk,2099-12-31\n"
    "Warwick District Council,WMJ-0107,warwickdc.gov.uk,2099-12-31\n"
    "Nowhere Ltd,,not a domain,yesterday\n"
)


async def _door_dashboard(checker: Checker, base: str) -> None:
    """The dashboard, then again with the panel fetched from /door/panel and swapped
    in, as its script does on each check-in."""
    await checker.visit(f"{base}/door")
    swapped = await checker.page.evaluate(
        """async () => {
            const panel = document.getElementById('door-panel');
            const response = await fetch(panel.dataset.src, {headers: {Accept: 'text/html'}});
            panel.innerHTML = await response.text();
            return response.url;
        }"""
    )
    route = route_of(urlsplit(swapped).path)
    assert route, swapped
    checker.seen.add(route)
    await checker.check(f"{base}/door with a fresh panel")


async def test_exhibitor_pages(checker: Checker) -> None:
    event = await fair()
    ticket = await amira(event)
    staff = await make_user("exhibitor")
    exhibitor_id = await stand_with_lead(event, ticket, staff)
    await sign_in(checker, staff["email"], "/exhibitor")
    base = f"/exhibitor/{exhibitor_id}"
    for url in (
        "/exhibitor",
        f"{base}/profile",
        f"{base}/leads",
        f"{base}/scan",
        f"{base}/scan#lead-form",
        f"{base}/scan#lead-saved",
        base,
        f"{base}/interviews",
    ):
        await checker.visit(url)
    await checker.submit("Publish", label="interview times published")
    await checker.page.fill("#code", "not a ticket")
    await checker.submit("Book the next free time", 400, "walk-in, not a ticket")
    await checker.visit(base)
    await checker.submit("Send invitation", 400, "staff invitation, empty")
    checker.assert_all_good()


async def test_council_pages(checker: Checker, monkeypatch: pytest.MonkeyPatch) -> None:
    event = await fair()
    ticket = await amira(event)
    rugby = await council_id(RUGBY)
    # No DNS here: the address is taken as it is (only in this process).
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "1")
    await set_webhook(rugby, "https://ats.rugby.example.org/fairground")
    exhibitor_id = await stand_with_lead(event, ticket, await make_user("exhibitor"))
    [delivery] = await LeadDelivery.select(LeadDelivery.id)  # and a webhook send
    gone = await amira(event, email="kofi@example.org")
    await capture_lead(exhibitor_id, LeadIn(code=gone.ticket_code, consent_given=True), None)
    await route_all()
    await change_consent(gone.manage_token)  # a withdrawn lead, marked on the pages
    withdrawn = await LeadDelivery.select(LeadDelivery.id).where(LeadDelivery.id != delivery["id"])
    council = await make_user("council", org=rugby)
    await sign_in(checker, council["email"], f"/council/{RUGBY}/leads")
    for url in (f"/council/{RUGBY}", f"/council/{RUGBY}/leads"):
        await checker.visit(url)
    await checker.visit(f"/council/{RUGBY}/leads/{delivery['id']}")
    await checker.visit(f"/council/{RUGBY}/leads/{withdrawn[0]['id']}")
    await checker.visit(f"/council/{RUGBY}/webhook")
    await checker.page.fill("#url", "not a web address")
    await checker.submit("Save address", 400, "webhook, bad address")
    checker.assert_all_good()


async def test_partner_pages(checker: Checker) -> None:
    event = await fair()
    partner = await make_partner("Rugby Jobcentre Plus", "jobcentre", invite_to=event["id"])
    ticket = await amira(event)
    await Registration.update(
        {Registration.referred_by: partner["id"], Registration.partner_consent: True}
    ).where(Registration.manage_token == ticket.manage_token)
    staff = await make_user("partner", org=partner["id"])
    await sign_in(checker, staff["email"], "/partner")
    await checker.visit("/partner")
    await checker.visit(f"/partner/events/{event['slug']}")
    checker.assert_all_good()


async def test_accessibility_statement(client: Any) -> None:
    """The GOV.UK model statement's parts, and an address to report problems to."""
    response = await client.get("/accessibility")
    assert response.status_code == 200
    for heading in (
        "Compliance status",
        "Non-accessible content",
        "Non-compliance with the accessibility regulations",
        "Preparation of this accessibility statement",
        "Feedback and contact information",
        "Enforcement procedure",
    ):
        assert f">{heading}</h" in response.text, heading
    assert 'href="mailto:fairground@example.org"' in response.text  # MAIL_FROM's address


# --- the keyboard ---------------------------------------------------------------------

# What has keyboard focus: whether it shows the GOV.UK focus style (yellow #ffdd00
# as outline, background, border or shadow; on a GOV.UK checkbox or radio, on its
# label's drawn box; on a floor-plan stand, its fill) and can be seen.
FOCUSED = """
    () => {
        const el = document.activeElement;
        if (!el || el === document.body) return null;
        const yellow = 'rgb(255, 221, 0)';
        const styles = [getComputedStyle(el)];
        if (el.matches('.govuk-checkboxes__input, .govuk-radios__input') && el.labels.length) {
            styles.push(getComputedStyle(el.labels[0], '::before'));
        }
        const drawn = el.querySelector('rect');
        const yellowIn = s => (s.outlineStyle !== 'none' && s.outlineColor === yellow)
            || [s.backgroundColor, s.borderTopColor, s.boxShadow, s.fill].some(
                value => (value || '').includes(yellow));
        const shown = el.matches('.govuk-checkboxes__input, .govuk-radios__input')
            ? el.labels[0] : el;
        const box = shown.getBoundingClientRect();
        // Not hidden under something else, such as a full-screen layer (WCAG 2.4.11).
        const top = document.elementFromPoint(
            Math.min(Math.max(box.left + box.width / 2, 0), innerWidth - 1),
            Math.min(Math.max(box.top + box.height / 2, 0), innerHeight - 1));
        const uncovered = top !== null && (shown.contains(top) || top.contains(shown)
            || el.contains(top));
        const text = (el.getAttribute('aria-label') || el.innerText || el.value || '').trim();
        return {
            name: `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} "${text.slice(0, 40)}"`,
            key: el.dataset.a11yKey,
            styled: styles.some(yellowIn) || (drawn !== null && yellowIn(getComputedStyle(drawn))),
            seen: box.width > 0 && box.height > 0 && box.bottom > 0 && box.top < innerHeight
                && uncovered,
            skip: el.matches('.govuk-skip-link'),
        };
    }
"""
# Every control a person can see, numbered so the tab stops can be matched to them
# (one radio stands for its group: Tab reaches a group once).
CONTROLS = """
    () => {
        const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary,'
            + ' [tabindex]:not([tabindex="-1"])';
        const groups = new Set();
        const keys = [];
        document.querySelectorAll(selector).forEach((el, n) => {
            const radio = el.type === 'radio';
            const shown = radio ? el.labels[0] : el;
            const box = shown.getBoundingClientRect();
            if (el.disabled || box.width === 0 || box.height === 0) return;
            if (shown.closest('[hidden], [inert]')) return;
            if (getComputedStyle(shown).visibility === 'hidden') return;
            el.dataset.a11yKey = radio ? 'radio:' + el.name : String(n);
            if (radio) {
                document.querySelectorAll(`input[type=radio][name="${el.name}"]`)
                    .forEach(r => { r.dataset.a11yKey = 'radio:' + el.name; });
                if (groups.has(el.name)) return;
                groups.add(el.name);
            }
            keys.push({key: el.dataset.a11yKey, name: el.outerHTML.slice(0, 80)});
        });
        return keys;
    }
"""
MAX_TAB_STOPS = 120


async def tab_through(page: Any, label: str, fresh: bool = True) -> list[str]:
    """Tab from the top of the page to its end: the skip link comes first, every stop
    shows the focus style and can be seen, and every control is reached. A page that
    a script changed (not `fresh`) is tabbed through from its skip link."""
    controls = await page.evaluate(CONTROLS)
    if not fresh:  # Tab would go on from wherever the script left focus
        await page.focus(".govuk-skip-link")
    problems: list[str] = []
    reached: set[str] = set()
    for stop in range(MAX_TAB_STOPS):
        if fresh or stop > 0:
            await page.keyboard.press("Tab")
        focused = await page.evaluate(FOCUSED)
        if focused is None or focused["key"] in reached:
            break  # past the last control, back to the browser (or round again)
        if stop == 0 and not focused["skip"]:
            problems.append(f"{label}: the first tab stop is {focused['name']}, not the skip link")
        if not (focused["styled"] and focused["seen"]):
            problems.append(f"{label}: no visible focus on {focused['name']}")
        if focused["key"]:
            reached.add(focused["key"])
    missed = [c["name"] for c in controls if c["key"] not in reached]
    if missed:
        problems.append(f"{label}: not reachable by keyboard: {missed}")
    return problems


async def test_keyboard(checker: Checker) -> None:
    """A sample of pages of each audience, and every state of both scanners."""
    org = await make_org()
    event = await fair(org)
    slug = event["slug"]
    ticket = await amira(event)
    await make_stand(event["id"], "A1")
    organiser = await make_user("organiser", org=org)
    door = await make_user("door")
    await add_door(event["id"], door["id"])
    staff = await make_user("exhibitor")
    exhibitor_id = await stand_with_lead(event, ticket, staff)
    page, problems = checker.page, []

    async def sample(url: str) -> None:
        await page.goto(url)
        problems.extend(await tab_through(page, url))

    for url in ("/", f"/events/{slug}", f"/events/{slug}/register", "/login"):
        await sample(url)
    await page.get_by_role("button", name="Sign in").click()
    await page.locator(".govuk-error-summary").wait_for()
    problems += await tab_through(page, "sign in, with errors", fresh=False)
    await sign_in(checker, organiser["email"], "/organiser")
    for url in (f"/organiser/events/{slug}", f"/organiser/events/{slug}/stands"):
        await sample(url)
    await sign_in(checker, door["email"], "/door")
    await sample(f"/door/events/{slug}/scan")  # asks which door
    await page.fill("#scanner-door", "Main entrance")
    await page.press("#scanner-door", "Enter")
    await page.locator("#scanner-controls").wait_for()
    problems += await tab_through(page, "door scanner, scanning", fresh=False)
    await page.evaluate(f"() => {{ {REVEAL['#problem']} }}")
    problems += await tab_through(page, "door scanner, no camera", fresh=False)
    await page.evaluate(f"() => {{ {REVEAL['#verdict-bad']} }}")
    problems += await tab_through(page, "door scanner, a verdict", fresh=False)
    await sign_in(checker, staff["email"], "/exhibitor")
    await sample(f"/exhibitor/{exhibitor_id}/scan")
    await page.evaluate(f"() => {{ {REVEAL['#lead-form']} }}")
    problems += await tab_through(page, "stand scanner, the lead form", fresh=False)
    assert not problems, "\n".join(problems)
