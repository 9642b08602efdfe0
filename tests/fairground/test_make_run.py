"""`make run` serves the Procfile's web and worker side by side (honcho). Honcho gives
each process its own PORT (the worker's is PORT+100): every link the worker writes into
an email or a calendar invite must still point at the web process.

The test starts `make serve` (what `make run` runs after the set-up) on a free loopback
port with this run's database and a fresh VAR_DIR, registers through the app, lets the
worker write the email to var/mail/*.eml, and follows every link in it and in its
calendar invites (attached and linked) to a 200.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from icalendar import Calendar

from tests.factories import make_event
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(sys.executable).parent.parent
URL = re.compile(r"""https?://[^\s"'<>)]+""")
# Elsewhere on the web, not ours to follow (add-to-calendar helpers, maps).
EXTERNAL = ("calendar.google.com", "outlook.live.com", "www.openstreetmap.org")


@pytest.fixture
async def honcho(tmp_path: Path) -> AsyncIterator[tuple[str, Path]]:
    """`make serve` with PORT chosen here and BASE_URL left to the Makefile; yields
    the web's address on loopback and the processes' VAR_DIR."""
    port, var_dir = free_port(), tmp_path / "var"  # the worker's PORT+100 is never bound
    env = {k: v for k, v in os.environ.items() if k not in ("BASE_URL", "MAKEFLAGS", "MFLAGS")}
    env.update(
        PORT=str(port),
        HOST="127.0.0.1",
        VAR_DIR=str(var_dir),
        SECRET_KEY="s" * 40,
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    log = tmp_path / "honcho.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "serve", f"VENV={VENV}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: honcho, make, web, worker
        )
    try:
        await _wait_for_web(f"http://127.0.0.1:{port}", process, log)
        yield f"http://localhost:{port}", var_dir
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


async def _wait_for_web(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(300):  # 30 s
            if process.poll() is not None:
                break
            try:
                if (await http.get(f"{url}/healthz", timeout=1)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"make serve did not come up:\n{log.read_text(errors='replace')}")


async def _wait_for_email(mail_dir: Path, log: Path) -> EmailMessage:
    for _ in range(300):  # 30 s: the worker polls every 2 s
        files = sorted(mail_dir.glob("*.eml"))
        if files:
            message = email.message_from_bytes(files[0].read_bytes(), policy=default_policy)
            assert isinstance(message, EmailMessage)
            return message
        await asyncio.sleep(0.1)
    raise AssertionError(f"the worker wrote no email:\n{log.read_text(errors='replace')}")


def _links_in(text: str) -> set[str]:
    return {match.rstrip(".,;") for match in URL.findall(text.replace("&amp;", "&"))}


def _ics_links(data: bytes) -> set[str]:
    links: set[str] = set()
    for component in Calendar.from_ical(data).walk("VEVENT"):
        for name in ("URL", "DESCRIPTION"):
            links |= _links_in(str(component.get(name, "")))
    return links


def _email_links(message: EmailMessage) -> tuple[set[str], set[str]]:
    """Links in the text and HTML parts, and those in the attached invite."""
    links, invite_links = set(), set()
    for part in message.walk():
        ctype = part.get_content_type()
        if ctype in ("text/plain", "text/html"):
            links |= _links_in(str(part.get_content()))
        elif ctype == "text/calendar":
            invite_links |= _ics_links(part.get_payload(decode=True))
    return links, invite_links


async def test_every_link_the_worker_sends_answers_under_make_run(
    honcho: tuple[str, Path], tmp_path: Path
) -> None:
    base_url, var_dir = honcho
    event = await make_event(title="Links fair")
    async with httpx.AsyncClient(timeout=10) as http:
        answer = await http.post(
            f"{base_url}/api/v1/events/{event['slug']}/registrations",
            json={"name": "Amira Khan", "email": "amira@example.org", "postcode": "B1 2ND"},
        )
        assert answer.status_code == 201, answer.text
        token = answer.json()["manage_token"]
        message = await _wait_for_email(var_dir / "mail", tmp_path / "honcho.log")
        links, invite_links = _email_links(message)
        assert invite_links, "the attached invite has no links"
        linked_ics = {link for link in links if link.endswith(".ics")}
        linked_ics.add(base_url + answer.json()["links"]["ics"])  # the ticket page's
        for link in linked_ics:
            invite_links |= _ics_links((await http.get(link)).content)
        every = links | invite_links
        ours = {link for link in every if urlsplit(link).hostname not in EXTERNAL}
        assert ours, every
        wrong = sorted(link for link in ours if not link.startswith(f"{base_url}/"))
        assert not wrong, f"links that do not point at the web ({base_url}): {wrong}"
        for link in sorted(ours):
            status = (await http.get(link)).status_code
            assert status == 200, f"{link} answered {status}"
    manage = f"{base_url}/r/{token}"
    assert {manage, f"{manage}/cancel", f"{manage}/change"} <= links, links
    assert manage in invite_links, invite_links
