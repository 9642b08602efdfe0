"""The database goes away during a door rush (issue 7, "Faults").

A private database (its own PostgreSQL cluster, or its own SQLite file) with a
live server on it (tests/hardening/outage.py). While the database is away every
request that needs it is answered 503 with Retry-After and the API error shape,
never 500; scanners answer from their offline list and queue; when the database
is back the app recovers without a restart, the queues drain, every ticket is
admitted exactly once and the check-in log holds every scan exactly once.

On PostgreSQL the outage is a fast restart of the cluster (`pg_ctl restart -m
fast`) while check-ins are in flight: they are held on a table lock first, so
the restart always terminates queries mid-transaction. On SQLite it is another
process holding the write lock (BEGIN EXCLUSIVE) until the scanners have felt it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from piccolo.querystring import QueryString

from fairground.db import DatabaseUnavailable, LoopPoolPostgresEngine, make_engine
from tests.conftest import ENGINE
from tests.e2e.camera import camera_browser, write_camera_video
from tests.e2e.conftest import browser
from tests.e2e.test_door import scanner_page, sign_in, start_scanning, until, verdict_text
from tests.factories import PASSWORD
from tests.hardening.outage import Outage, fair_on_private_database

__all__ = ["browser"]  # Chromium for the dashboard test (tests/e2e/conftest.py)

TICKETS = 300
SCANNERS = 20
BURST = range(0, 240)  # tickets each test uses, so that the tests stay independent
BROWSER_TICKET, SSE_TICKETS, DASHBOARD_TICKET, SAMPLE_TICKET = 250, range(260, 270), 280, 290
RETRY_SECONDS = 0.2  # how often a scanner with a queue tries again (the page: 3 s)
DEADLINE = 60.0


@pytest.fixture(scope="module")
async def fault() -> AsyncIterator[Outage]:
    async with fair_on_private_database(ENGINE, TICKETS) as outage:
        yield outage


async def wait_for(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {DEADLINE}s for {what}")
        await asyncio.sleep(0.05)


def scan_body(world: dict[str, Any], ticket: int, door: str) -> dict[str, Any]:
    code = world["tickets"][ticket]["code"]
    return {"code": code, "event": world["slug"], "door": door, "client_id": str(uuid.uuid4())}


async def check_in_log(fault: Outage) -> list[dict[str, Any]]:
    return await fault.query(
        "SELECT client_id, registration, verdict, synced, scanned_at, door FROM check_in"
    )


async def registrations(fault: Outage) -> list[dict[str, Any]]:
    return await fault.query("SELECT id, email, checked_in_at, checked_in_door FROM registration")


def assert_unavailable(response: httpx.Response) -> None:
    """The 503 while the database is away: Retry-After, and the API error shape."""
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0
    body = response.json()
    assert body["error"] == "database_unavailable" and body["detail"], body


# --------------------------------------------------------------------------- the burst


@dataclass
class Scanner:
    """One door device, as static/js/scanner.js behaves: a scan the server cannot
    answer (503, or no answer at all) is queued with its client_id and the time it
    was scanned, and sent again, oldest first, until the server answers it."""

    number: int
    client: httpx.AsyncClient
    tickets: list[int]
    fault: Outage
    sent: dict[str, dict[str, Any]] = field(default_factory=dict)  # client_id → scan
    queue: list[dict[str, Any]] = field(default_factory=list)
    queued: set[str] = field(default_factory=set)
    statuses: Counter[int | str] = field(default_factory=Counter)
    answers: dict[str, str] = field(default_factory=dict)  # client_id → result

    async def post(self, scan: dict[str, Any]) -> bool:
        """True when the server answered the scan (200); anything else is counted."""
        try:
            response = await self.client.post("/api/v1/checkins", json=scan)
        except httpx.TransportError as exc:
            self.statuses[type(exc).__name__] += 1
            return False
        self.statuses[response.status_code] += 1
        if response.status_code == 503:
            assert_unavailable(response)
            return False
        assert response.status_code == 200, f"{response.text}\n{self.fault.server_log()}"
        self.answers[scan["client_id"]] = response.json()["result"]
        return True

    async def scan(self, ticket: int) -> None:
        scan = scan_body(self.fault.world, ticket, f"Door {self.number}")
        scan["device"] = f"scanner-{self.number}"
        self.sent[scan["client_id"]] = {**scan, "ticket": ticket}
        if not await self.post(scan):
            queued = {**scan, "scanned_at": datetime.now(UTC).isoformat()}
            self.queue.append(queued)
            self.queued.add(scan["client_id"])
            self.sent[scan["client_id"]]["scanned_at"] = queued["scanned_at"]

    async def sync(self) -> None:
        while self.queue and await self.post(self.queue[0]):
            self.queue.pop(0)

    async def run(self, gate: asyncio.Event, at_gate: Counter[str]) -> None:
        pause_at = len(self.tickets) // 3
        for index, ticket in enumerate(self.tickets):
            if index == pause_at:
                at_gate["waiting"] += 1
                await gate.wait()
            await self.sync()
            await self.scan(ticket)
        deadline = time.monotonic() + DEADLINE
        while self.queue and time.monotonic() < deadline:
            await asyncio.sleep(RETRY_SECONDS)
            await self.sync()


async def hold_then_restart(fault: Outage, gate: asyncio.Event, scanners: list[Scanner]) -> None:
    """PostgreSQL: check-ins pile up on a table lock, then a fast restart kills them."""
    assert fault.postgres is not None
    blocker = await asyncpg.connect(fault.url)
    watcher = await asyncpg.connect(fault.url)
    try:
        await blocker.execute("BEGIN; LOCK TABLE registration IN EXCLUSIVE MODE")
        gate.set()
        held = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"

        async def piled_up() -> bool:
            return int(await watcher.fetchval(held)) >= SCANNERS // 2

        await wait_for(piled_up, "check-ins waiting on the lock")
        await watcher.close()
        await asyncio.to_thread(fault.postgres.restart)
    finally:
        blocker.terminate()
        watcher.terminate()


async def lock_until_felt(fault: Outage, gate: asyncio.Event, scanners: list[Scanner]) -> None:
    """SQLite: another process holds the write lock until most scanners have queued."""
    await fault.begin()
    try:
        gate.set()

        async def felt() -> bool:
            return sum(1 for s in scanners if s.queued) >= SCANNERS // 2

        await wait_for(felt, "scanners to queue scans while the database is locked")
    finally:
        await fault.end()


async def door_rush(fault: Outage) -> list[Scanner]:
    world = fault.world
    tickets = list(BURST)
    headers = {"Authorization": f"Bearer {world['door_token']}"}
    async with httpx.AsyncClient(base_url=fault.base_url, headers=headers, timeout=60) as client:
        scanners = []
        for n in range(SCANNERS):
            own = tickets[n::SCANNERS]
            again = tickets[(n + 1) % SCANNERS :: SCANNERS][:2]  # another door's tickets
            scanners.append(Scanner(n, client, own + again, fault))
        gate, at_gate = asyncio.Event(), Counter[str]()
        running = [asyncio.create_task(s.run(gate, at_gate)) for s in scanners]

        async def all_at_gate() -> bool:
            return at_gate["waiting"] == SCANNERS

        await wait_for(all_at_gate, "every scanner to finish its first third")
        disrupt = hold_then_restart if fault.postgres is not None else lock_until_felt
        await disrupt(fault, gate, scanners)
        await asyncio.gather(*running)
    return scanners


def _utc(value: Any) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def test_door_rush_through_a_database_outage_logs_every_scan_once(fault: Outage) -> None:
    scanners = await door_rush(fault)

    statuses = sum((s.statuses for s in scanners), Counter[int | str]())
    assert set(statuses) <= {200, 503}, statuses  # never a 500, never a dropped connection
    assert statuses[503] >= SCANNERS // 2, statuses  # the outage was felt
    assert all(not s.queue for s in scanners), "a scanner still has unsynced scans"
    sent = {cid: scan for s in scanners for cid, scan in s.sent.items()}
    queued = set().union(*(s.queued for s in scanners))

    ids = {fault.world["tickets"][t]["id"] for t in BURST}
    log = [row for row in await check_in_log(fault) if row["registration"] in ids]
    # Every scan is in the log exactly once, by its client_id.
    assert sorted(r["client_id"] for r in log) == sorted(sent)
    # Every ticket admitted exactly once, at the door the log says.
    admitted = Counter(r["registration"] for r in log if r["verdict"] == "ok")
    assert set(admitted) == ids and set(admitted.values()) == {1}
    repeats = {r["verdict"] for r in log if r["verdict"] != "ok"}
    assert len(log) == len(ids) + 2 * SCANNERS and repeats == {"already_checked_in"}
    doors = {r["registration"]: r["door"] for r in log if r["verdict"] == "ok"}
    rows = [row for row in await registrations(fault) if row["id"] in ids]
    assert all(r["checked_in_at"] is not None for r in rows)
    assert {r["id"]: r["checked_in_door"] for r in rows} == doors
    # A 503 means nothing was written, so exactly the queued scans arrive as synced
    # from offline, with the time they were scanned at the door.
    assert {r["client_id"] for r in log if r["synced"]} == queued and queued
    for row in (r for r in log if r["synced"]):
        assert _utc(row["scanned_at"]) == _utc(sent[row["client_id"]]["scanned_at"])


# ------------------------------------------------------------------- single requests


async def _login_form(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    """The sign-in form's fields, filled in (its CSRF cookie stays in the client)."""
    form = await client.get("/login")
    token = form.text.split('name="_csrf_token" value="', 1)[1].split('"', 1)[0]
    return {"email": email, "password": PASSWORD, "_csrf_token": token}


async def test_requests_get_503_while_the_database_is_away_and_work_after(fault: Outage) -> None:
    world = fault.world
    door = {"Authorization": f"Bearer {world['door_token']}"}
    registration = {"name": "Sam Lee", "email": "sam@example.org", "consent": {"councils": []}}
    register_url = f"/api/v1/events/{world['slug']}/registrations"
    async with httpx.AsyncClient(base_url=fault.base_url, timeout=60) as client:
        scan = scan_body(world, SAMPLE_TICKET, "Side door")
        login = await _login_form(client, world["door_email"])
        await fault.begin()
        try:
            checkin, registered, page, health = await asyncio.gather(
                client.post("/api/v1/checkins", json=scan, headers=door),
                client.post(register_url, json=registration),
                client.post("/login", data=login, headers={"Accept": "text/html"}),
                client.get("/healthz"),
            )
        finally:
            await fault.end()
        assert_unavailable(checkin)
        assert_unavailable(registered)
        # An HTML form: the error page, not a traceback or a blank 500.
        assert page.status_code == 503 and int(page.headers["retry-after"]) > 0
        assert "text/html" in page.headers["content-type"]
        assert "Sorry, the service is unavailable for a moment" in page.text
        # On SQLite the lock stops writes only; PostgreSQL stopped stops everything.
        assert health.status_code == (503 if fault.postgres is not None else 200)
        # Nothing half written: no log row, no registration.
        assert [r for r in await check_in_log(fault) if r["client_id"] == scan["client_id"]] == []
        assert "sam@example.org" not in {r["email"] for r in await registrations(fault)}

        # Back without a restart of the app: the same requests now work.
        again = await client.post("/api/v1/checkins", json=scan, headers=door)
        assert again.status_code == 200 and again.json()["result"] == "ok"
        registered = await client.post(register_url, json=registration)
        assert registered.status_code == 201, registered.text
        assert (await client.get("/healthz")).status_code == 200


# ------------------------------------------------------------- the scanner in Chromium


# The page's clock is paused and moved on by the test, so that its timers (the
# decoder's frames, the retry) run only when told. The old 15 s sync timer never
# comes due (the page's clock moves on 14 s at most), so the sync must come from
# the scanner's own retry.
REAL_STEP_MS = 100


async def advance_until(page: Any, selector: str, step_ms: int, at_most_ms: int) -> None:
    """Move the page's clock on a step at a time until selector is visible."""
    locator = page.locator(selector)
    for _ in range(at_most_ms // step_ms):
        if await locator.is_visible():
            return
        await page.clock.run_for(step_ms)
        await page.wait_for_timeout(REAL_STEP_MS)  # real time, for fetches and IndexedDB
    assert await locator.is_visible(), f"{selector} still not shown"


@pytest.mark.e2e
async def test_scanner_answers_offline_while_the_database_is_away_then_syncs(
    fault: Outage, tmp_path: Path
) -> None:
    world = fault.world
    ticket = world["tickets"][BROWSER_TICKET]
    video = write_camera_video(ticket["code"], tmp_path / "ticket.y4m")
    async with (
        camera_browser(video) as chromium,
        scanner_page(chromium, fault.base_url, allow_offline_errors=True) as page,
    ):
        await sign_in(page, {"email": world["door_email"]})
        now = datetime.now(UTC)  # the scan's time is the device's: keep it true
        await page.clock.install(time=now)
        await page.clock.pause_at(now + timedelta(seconds=1))
        await page.goto(f"/door/events/{world['slug']}/scan")
        await until(page, "navigator.serviceWorker.controller !== null")
        await page.locator('#scanner-bundle:not([data-count="0"])').wait_for()

        await fault.begin()
        try:
            await start_scanning(page, "Back door")
            await advance_until(page, '#scanner-verdict[data-result="ok"]', 100, 6000)
            assert "Checked on this device while offline" in await verdict_text(page, "ok")
            await page.locator('#scanner-unsynced[data-count="1"]').wait_for()
            await page.locator('#scanner-online[data-online="no"]').wait_for()
            # Camera off (the door form again), so the ticket is not scanned twice.
            await page.keyboard.press("Escape")  # the verdict, whose timer is paused
            await page.locator("#scanner-change-door").click()
        finally:
            await fault.end()
        # No reload, no "online" event: the scanner finds the server again by itself.
        await advance_until(page, '#scanner-unsynced[data-count="0"]', 500, 8000)
        await page.locator('#scanner-online[data-online="yes"]').wait_for()

    rows = [r for r in await check_in_log(fault) if r["registration"] == ticket["id"]]
    assert [(r["verdict"], r["door"]) for r in rows] == [("ok", "Back door")]


# --------------------------------------------------------- the engine, in one task


@pytest.mark.skipif(ENGINE != "postgres", reason="a PostgreSQL restart (SQLite: the lock above)")
async def test_a_long_lived_task_carries_on_after_a_restart(fault: Outage) -> None:
    """The worker runs in one task for days: a transaction that dies with the server
    must not stay current in that task, nor keep its pooled connection."""
    assert fault.postgres is not None
    engine = make_engine(fault.url)
    assert isinstance(engine, LoopPoolPostgresEngine)
    await engine.start_connection_pool(min_size=1, max_size=1)
    one = QueryString("SELECT 1 AS one")
    try:
        with pytest.raises(DatabaseUnavailable):
            async with engine.transaction():
                await engine.run_querystring(one)
                await asyncio.to_thread(fault.postgres.restart)
                await engine.run_querystring(one)
        assert engine.current_transaction.get() is None
        for _ in range(3):  # the pool's one connection is back each time
            async with engine.transaction():
                rows = await asyncio.wait_for(engine.run_querystring(one), 10)
                assert [dict(row) for row in rows] == [{"one": 1}]
    finally:
        await engine.close_connection_pool()


# -------------------------------------------------- live updates (door dashboard)


async def _next_line(lines: AsyncIterator[str], wanted: str) -> None:
    async def read() -> None:
        async for line in lines:
            if wanted in line:
                return
        raise AssertionError(f"the stream ended before {wanted!r}")

    await asyncio.wait_for(read(), DEADLINE)


@pytest.mark.skipif(ENGINE != "postgres", reason="LISTEN/NOTIFY is PostgreSQL's (SQLite: memory)")
async def test_live_updates_survive_a_postgresql_restart(fault: Outage) -> None:
    world = fault.world
    assert fault.postgres is not None
    organiser = {"Authorization": f"Bearer {world['organiser_token']}"}
    door = {"Authorization": f"Bearer {world['door_token']}"}
    url = f"/organiser/events/{world['slug']}/door/events"
    async with (
        httpx.AsyncClient(base_url=fault.base_url, timeout=DEADLINE) as client,
        client.stream("GET", url, headers=organiser) as stream,
    ):
        lines = stream.aiter_lines()
        await _next_line(lines, ": connected")
        await asyncio.to_thread(fault.postgres.restart)
        # The listener connection died with the server: it comes back by itself and
        # tells the dashboard to catch up on what it missed.
        await _next_line(lines, "resync")
        for ticket in SSE_TICKETS:  # the first scans after a restart may still 503
            scan = await client.post(
                "/api/v1/checkins", json=scan_body(world, ticket, "Hall"), headers=door
            )
            assert scan.status_code in (200, 503), scan.text
            if scan.status_code == 200:
                break
        assert scan.status_code == 200
        await _next_line(lines, '"result": "ok"')


@pytest.mark.e2e
async def test_dashboard_opens_its_stream_again_after_a_refusal(
    fault: Outage, browser: Any
) -> None:
    """A stream answered 503 (its database restarting) makes the browser give up for
    good; the dashboard opens it again, and live updates resume."""
    world = fault.world
    context = await browser.new_context(base_url=fault.base_url)
    page = await context.new_page()
    refused: list[str] = []

    async def refuse(route: Any) -> None:
        refused.append(route.request.url)
        await route.fulfill(status=503, headers={"Retry-After": "5"}, body="")

    try:
        await sign_in(
            page,
            {"email": world["organiser_email"], "totp_secret": world["organiser_totp_secret"]},
        )
        await page.route("**/door/events", refuse)
        await page.goto(f"/organiser/events/{world['slug']}/door/")
        await page.locator('#door-live[data-state="reconnecting"]').wait_for(timeout=10_000)
        assert refused
        await page.unroute("**/door/events")
        await page.locator('#door-live[data-state="live"]').wait_for(timeout=20_000)

        headers = {"Authorization": f"Bearer {world['door_token']}"}
        async with httpx.AsyncClient(base_url=fault.base_url, headers=headers) as client:
            body = scan_body(world, DASHBOARD_TICKET, "Dashboard door")
            assert (await client.post("/api/v1/checkins", json=body)).status_code == 200
        await page.locator("#door-by-door", has_text="Dashboard door").wait_for(timeout=10_000)
    finally:
        await context.close()
