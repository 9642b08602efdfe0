"""Browser tests: a live server and headless Chromium.

`live_server` runs `uvicorn app:app` in a subprocess on a free loopback port
with the test run's environment (DATABASE_URL, VAR_DIR, … set by
tests/conftest.py), so rows that factories write in a test are what the server
reads. `browser` is Playwright's Chromium from /usr/bin/chromium (or
CHROMIUM_PATH): without it the e2e tests are skipped locally, and fail in CI
(CI=true), where a missing browser is a broken build rather than a choice.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
START_TIMEOUT = 20.0


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the live server exited:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(
        f"the live server did not answer /healthz:\n{log.read_text(errors='replace')}"
    )


@pytest.fixture(scope="session")
def live_server(migrated_database: None) -> Iterator[str]:
    """The app under uvicorn, sharing the test database; yields its base URL."""
    with serve_app() as url:
        yield url


@contextmanager
def serve_app(**env_overrides: str) -> Iterator[str]:
    """Run `uvicorn app:app` on a free loopback port with the test run's environment
    changed by env_overrides (another DATABASE_URL, VAR_DIR…); yields its base URL.
    The log (access log included) goes to live-server-<port>.log beside VAR_DIR."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # Links in pages and emails point at the live server, not the test client's host.
    env = {**os.environ, "BASE_URL": url, "RATE_LIMIT_PER_MINUTE": "0", **env_overrides}
    log = Path(os.environ["VAR_DIR"]).parent / f"live-server-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_healthy(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _chromium_or_skip() -> str:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"Chromium is required in CI but {CHROMIUM} does not exist")
    pytest.skip(f"no Chromium at {CHROMIUM} (set CHROMIUM_PATH); browser tests skipped")


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    """Headless Chromium, one per test run (pages are per test)."""
    executable = _chromium_or_skip()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def phone(browser: Any, live_server: str) -> AsyncIterator[Any]:
    """A fresh page at a 375px-wide phone viewport, failing on console errors
    (a CSP violation from an inline script or style shows up there)."""
    context = await browser.new_context(
        viewport={"width": 375, "height": 812}, base_url=live_server, device_scale_factor=2
    )
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(5000)
    try:
        yield page
        assert not errors, f"browser console errors: {errors}"
    finally:
        await context.close()
