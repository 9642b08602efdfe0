"""Faults in the outbox: a mail server down for a while, workers killed mid-send.

Real parts only: aiosmtpd and an HTTP receiver on loopback, `fair worker` as a
subprocess (as in the Procfile) killed with SIGKILL, a raw TCP server for the
refusals aiosmtpd cannot make (a 421 greeting, 4xx to HELO).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from exhibitors.leads import webhooks
from exhibitors.leads.schemas import LeadIn
from exhibitors.leads.services import capture_lead
from exhibitors.leads.tables import WebhookSend
from fairground.mail import MAX_ATTEMPTS, PAUSE_MAX, Circuit, SmtpSender, mail_pause, send_due
from fairground.tables import OutboxMessage
from registrations.services import register_attendee
from tests.factories import council_id, login, make_event, make_user
from tests.leads.helpers import RUGBY, attendee, make_stand, route_all
from tests.registrations.helpers import parse_mime, person, register
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
LEASE = 8  # OUTBOX_LEASE_SECONDS for the workers here: a send is given up after 4 s


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts. With `hold_at`, the
    message of that number is held inside DATA (never answered 250, never kept)
    until `release` is set."""

    def __init__(self, hold_at: int | None = None) -> None:
        self.messages: list[bytes] = []
        self.lock = threading.Lock()
        self.hold_at = hold_at
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            number = len(self.messages) + 1
            hold = number == self.hold_at
            if not hold:
                self.messages.append(bytes(envelope.content))
        if hold:
            self.holding.set()
            await asyncio.to_thread(self.release.wait, 60)
            return "451 4.3.0 Not accepted"
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [str(parse_mime(data)["Message-ID"]) for data in self.messages]


class Refusing:
    """An aiosmtpd handler that refuses every message, at RCPT or at DATA."""

    def __init__(self, at: str) -> None:
        self.at = at

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.at == "RCPT":
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "554 5.6.0 Message refused"


@pytest.fixture
def smtp_server() -> Iterator[Callable[[Any, int], Controller]]:
    """Starts aiosmtpd controllers on demand; stops them all afterwards."""
    started: list[Controller] = []

    def start(handler: Any, port: int) -> Controller:
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        started.append(controller)
        return controller

    yield start
    for controller in started:
        controller.stop()


def start_worker(log: Path, **env: str) -> subprocess.Popen[bytes]:
    """`fair worker` as the Procfile runs it, its log in a file (a pipe could fill)."""
    variables = {**os.environ, "PYTHONUNBUFFERED": "1", "OUTBOX_LEASE_SECONDS": str(LEASE), **env}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "fairground.cli", "worker"],
            cwd=ROOT,
            env=variables,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop_worker(worker: subprocess.Popen[bytes]) -> int:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)
    return worker.returncode


async def wait_until(condition: Callable[[], Awaitable[bool] | bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if await result if isinstance(result, Awaitable) else result:
            return True
        await asyncio.sleep(0.1)
    return False


async def statuses() -> list[str]:
    return [r["status"] for r in await OutboxMessage.select(OutboxMessage.status)]


async def all_sent() -> bool:
    found = await statuses()
    return bool(found) and all(status == "sent" for status in found)


async def queued_message_ids() -> set[str]:
    rows = await OutboxMessage.select(OutboxMessage.payload)
    return {str(parse_mime(bytes(r["payload"]))["Message-ID"]) for r in rows}


async def queue_registrations(count: int) -> None:
    event = await make_event(capacity=count)
    for n in range(count):
        await register_attendee(event["slug"], person(n))
    assert await OutboxMessage.count() == count


def worker_log(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:]


async def test_smtp_outage_sends_every_email_once_when_the_server_is_back(
    tmp_path: Path, smtp_server: Callable[[Any, int], Controller]
) -> None:
    total = 10
    await queue_registrations(total)
    port = free_port()  # nothing listens here yet: connection refused
    log = tmp_path / "worker.log"
    worker = start_worker(log, SMTP_URL=f"smtp://127.0.0.1:{port}")
    try:

        async def failed_twice() -> bool:
            pause = await mail_pause()
            return pause is not None and pause["failures"] >= 2

        # It tried, paused, tried again after the pause and found the server still down.
        assert await wait_until(failed_twice, 30), worker_log(log)
        rows = await OutboxMessage.select(OutboxMessage.attempts, OutboxMessage.status)
        assert all(r["attempts"] == 0 and r["status"] != "failed" for r in rows)
        inbox = Inbox()
        smtp_server(inbox, port)
        assert await wait_until(all_sent, 40), (await statuses(), worker_log(log))
    finally:
        assert stop_worker(worker) == 0, worker_log(log)
    ids = inbox.message_ids()
    assert len(ids) == total and set(ids) == await queued_message_ids()
    rows = await OutboxMessage.select(OutboxMessage.attempts, OutboxMessage.last_error)
    assert all(r["attempts"] == 1 for r in rows)  # the outage charged no attempt
    assert any("SMTPConnectError" in r["last_error"] for r in rows)  # but it was tried
    assert await mail_pause() is None  # the outbox page no longer says paused


async def test_worker_killed_while_the_server_holds_a_message(
    tmp_path: Path, smtp_server: Callable[[Any, int], Controller]
) -> None:
    total, accepted = 8, 3
    await queue_registrations(total)
    inbox = Inbox(hold_at=accepted + 1)
    port = free_port()
    smtp_server(inbox, port)
    log = tmp_path / "worker.log"
    env = {"SMTP_URL": f"smtp://127.0.0.1:{port}"}
    worker = start_worker(log, **env)
    try:
        assert await wait_until(inbox.holding.is_set, 30), worker_log(log)
        worker.kill()  # SIGKILL while it waits for the 250 that never comes
        assert worker.wait(timeout=10) == -signal.SIGKILL
        assert len(inbox.message_ids()) == accepted
        found = await statuses()
        assert (found.count("sent"), found.count("sending")) == (accepted, 1)
        inbox.hold_at = None  # the server accepts everything from now on
        inbox.release.set()
        worker = start_worker(log, **env)
        # The held message waits for its claim to lapse (LEASE), then goes out.
        assert await wait_until(all_sent, 40), (await statuses(), worker_log(log))
    finally:
        inbox.release.set()
        stop_worker(worker)
    ids = inbox.message_ids()
    assert len(ids) == total and set(ids) == await queued_message_ids()
    attempts = [r["attempts"] for r in await OutboxMessage.select(OutboxMessage.attempts)]
    assert attempts == [1] * total


class Receiver:
    """A council's webhook receiver: records every POST (id header, body, signature
    check) and answers 200, except that the POST of number `hold_at` is held
    unanswered until `release` is set."""

    def __init__(self, hold_at: int) -> None:
        self.secret = ""
        self.posts: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.hold_at = hold_at
        self.holding = threading.Event()
        self.release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                signature = self.headers.get("X-Fairground-Signature", "")
                with receiver.lock:
                    receiver.posts.append(
                        {
                            "id": self.headers.get(webhooks.ID_HEADER),
                            "body": body,
                            "valid": webhooks.verify(receiver.secret, signature, body),
                        }
                    )
                    hold = len(receiver.posts) == receiver.hold_at
                if hold:
                    receiver.holding.set()
                    receiver.release.wait(30)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        return Handler


async def _leads_for_rugby(count: int) -> None:
    event = await make_event()
    stand = await make_stand(event)
    for n in range(count):
        person_ = await attendee(
            event, n, home_council=RUGBY, consent={"councils": [RUGBY], "job_alerts": False}
        )
        data = LeadIn(code=person_.ticket_code, notes=f"Lead {n}", consent_given=True)
        await capture_lead(stand.exhibitor_id, data, stand.staff["id"])
    await route_all()


async def _webhooks_sent() -> bool:
    rows = await WebhookSend.select(WebhookSend.status)
    return bool(rows) and all(r["status"] == "sent" for r in rows)


async def test_worker_killed_mid_webhook_post_repeats_it_with_the_same_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "1")
    total, answered = 6, 2
    receiver = Receiver(hold_at=answered + 1)
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    log = tmp_path / "worker.log"
    worker: subprocess.Popen[bytes] | None = None
    try:
        secret = await webhooks.set_webhook(await council_id(RUGBY), receiver.url)
        assert secret
        receiver.secret = secret
        await _leads_for_rugby(total)
        send_ids = {str(r["id"]) for r in await WebhookSend.select(WebhookSend.id)}
        assert len(send_ids) == total
        worker = start_worker(log)
        assert await wait_until(receiver.holding.is_set, 30), worker_log(log)
        worker.kill()  # the council has the POST; we never hear its answer
        assert worker.wait(timeout=10) == -signal.SIGKILL
        receiver.release.set()
        worker = start_worker(log)
        assert await wait_until(_webhooks_sent, 40), worker_log(log)
    finally:
        receiver.release.set()
        if worker is not None:
            stop_worker(worker)
        receiver.server.shutdown()
        receiver.server.server_close()
    posts = receiver.posts
    assert all(p["valid"] for p in posts)
    ids = [p["id"] for p in posts]
    assert set(ids) == send_ids and len(ids) == total + 1
    [repeated] = [i for i in send_ids if ids.count(i) == 2]
    first, again = (p for p in posts if p["id"] == repeated)
    assert json.loads(first["body"]) == json.loads(again["body"])  # the council can discard it
    rows = await WebhookSend.select(WebhookSend.status, WebhookSend.attempts)
    assert [(r["status"], r["attempts"]) for r in rows] == [("sent", 1)] * total


@pytest.mark.parametrize("at", ["RCPT", "DATA"])
async def test_a_refused_message_is_charged_and_fails_in_the_end(
    at: str, smtp_server: Callable[[Any, int], Controller]
) -> None:
    port = free_port()
    smtp_server(Refusing(at), port)
    await register(await make_event())
    sender = SmtpSender(f"smtp://127.0.0.1:{port}", timeout=10)
    assert await send_due(sender) == 0
    row = await OutboxMessage.select().first()
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert ("550" if at == "RCPT" else "554") in row["last_error"]
    assert sender.circuit.allows() and await mail_pause() is None  # the server is fine
    await OutboxMessage.update(
        {OutboxMessage.attempts: MAX_ATTEMPTS - 1, OutboxMessage.next_attempt_at: datetime.now(UTC)}
    ).where(OutboxMessage.id == row["id"])
    assert await send_due(sender) == 0
    row = await OutboxMessage.select().first()
    assert (row["status"], row["attempts"]) == ("failed", MAX_ATTEMPTS)


async def _raw_smtp(greeting: bytes, answer: bytes) -> asyncio.Server:
    """A server that greets with `greeting` and answers every command with `answer`."""

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(greeting)
        await writer.drain()
        while line := await reader.readline():
            writer.write(b"221 Bye\r\n" if line.upper().startswith(b"QUIT") else answer)
            await writer.drain()
        writer.close()

    return await asyncio.start_server(session, "127.0.0.1", 0)


@pytest.mark.parametrize(
    ("greeting", "answer", "error"),
    [
        (b"421 4.3.2 Too busy, come back later\r\n", b"", "421"),
        (b"220 mx.test ESMTP\r\n", b"451 4.3.0 Try again later\r\n", "451"),
    ],
    ids=["421-at-connect", "451-at-helo"],
)
async def test_a_server_refusing_at_connect_or_helo_pauses_without_charging(
    greeting: bytes, answer: bytes, error: str
) -> None:
    await register(await make_event())
    server = await _raw_smtp(greeting, answer)
    port = server.sockets[0].getsockname()[1]
    try:
        sender = SmtpSender(f"smtp://127.0.0.1:{port}", timeout=10)
        assert await send_due(sender) == 0
        assert await send_due(sender) == 0  # paused: not even tried
    finally:
        server.close()
        await server.wait_closed()
    row = await OutboxMessage.select().first()
    assert (row["status"], row["attempts"]) == ("pending", 0)
    assert error in row["last_error"]
    assert not sender.circuit.allows() and sender.circuit.failures == 1
    pause = await mail_pause()
    assert pause is not None and error in pause["error"]


def test_the_pause_doubles_from_two_seconds_to_a_minute() -> None:
    circuit = Circuit()
    delays = [circuit.trip() for _ in range(8)]
    assert delays == [2, 4, 8, 16, 32, PAUSE_MAX, PAUSE_MAX, PAUSE_MAX]
    assert circuit.since is not None and not circuit.allows()
    assert circuit.reset() and circuit.allows() and circuit.since is None


async def test_outbox_page_says_while_the_mail_server_is_unreachable(
    client: Any, smtp_server: Callable[[Any, int], Controller]
) -> None:
    await register(await make_event())
    await login(client, await make_user("superuser"))
    port = free_port()
    sender = SmtpSender(f"smtp://127.0.0.1:{port}", timeout=10)
    assert await send_due(sender) == 0
    page = await client.get("/organiser/outbox")
    assert 'data-testid="mail-paused"' in page.text and "unreachable since" in page.text
    inbox = Inbox()
    smtp_server(inbox, port)
    assert await wait_until(sender.circuit.allows, 10)
    assert await send_due(sender) == 1
    page = await client.get("/organiser/outbox")
    assert 'data-testid="mail-paused"' not in page.text
    assert len(inbox.messages) == 1
