"""Email through the outbox to a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fairground.mail import SmtpSender, send_due
from fairground.tables import OutboxMessage
from fairground.worker import run_once
from registrations.services import register_attendee
from registrations.tickets import verify_ticket
from tests.factories import make_event
from tests.registrations.helpers import (
    assert_invite,
    decode_png,
    parse_mime,
    parts,
    person,
    register,
)
from tests.servers import free_port, smtp_server

ROOT = Path(__file__).resolve().parents[2]


class Inbox:
    """An aiosmtpd handler that keeps every message; an optional hook runs on each."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.lock = threading.Lock()
        self.on_message: Callable[[int], None] | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), bytes(envelope.content)))
            count = len(self.messages)
        if self.on_message:
            self.on_message(count)
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [str(parse_mime(data)["Message-ID"]) for _, data in self.messages]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        yield inbox, port


async def test_confirmation_over_smtp(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    event = await make_event(title="Fair with ünïcode")
    result = await register(event, name="王小明", access_needs="Step-free access")
    assert await send_due(SmtpSender(f"smtp://127.0.0.1:{port}")) == 1
    [(recipients, data)] = inbox.messages
    assert recipients == ["amira@example.org"]
    message = parse_mime(data)
    assert message["Subject"] == "Your ticket for Fair with ünïcode"
    assert message.get_content_type() == "multipart/mixed"
    found = parts(message)
    assert "王小明" in found["text"] and "王小明" in found["html"]
    assert f"cid:{found['png_cid']}" in found["html"]
    assert decode_png(found["png"]) == result.ticket_code
    assert verify_ticket(decode_png(found["png"])) is not None
    assert "method=REQUEST" in found["ics_type"].replace('"', "")
    vevent = assert_invite(found["ics"], "REQUEST", _uid(found["ics"]), 0)
    assert vevent["ATTENDEE"].params["CN"] == "王小明"
    row = await OutboxMessage.select().first()
    assert row["status"] == "sent" and row["attempts"] == 1


def _uid(data: bytes) -> str:
    from tests.registrations.helpers import parse_ics

    return str(parse_ics(data)[1]["UID"])


async def test_unreachable_server_retries_later() -> None:
    event = await make_event()
    await register(event)
    sender = SmtpSender(f"smtp://127.0.0.1:{free_port()}")
    assert await send_due(sender) == 0
    row = await OutboxMessage.select().first()
    # The server's fault, not the message's: no attempt is charged, the sender pauses.
    assert row["status"] == "pending" and row["attempts"] == 0 and row["last_error"]
    assert not sender.circuit.allows() and sender.circuit.failures == 1


async def test_worker_pass_sends_via_smtp(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    event = await make_event(capacity=1)
    await register(event, email="one@example.org")
    await register(event, email="two@example.org")
    assert await run_once(SmtpSender(f"smtp://127.0.0.1:{port}")) == 2
    subjects = sorted(str(parse_mime(d)["Subject"]) for _, d in inbox.messages)
    assert subjects[0].startswith("You are on the waiting list")
    assert subjects[1].startswith("Your ticket for")


def _start_worker(port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SMTP_URL": f"smtp://127.0.0.1:{port}", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "fairground.cli", "worker"],  # `fair worker`, as in the Procfile
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def _wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.1)
    return condition()


async def test_worker_killed_mid_batch_sends_each_message_once(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    event = await make_event(capacity=20)
    for n in range(30):
        await register_attendee(event["slug"], person(n))
    total = await OutboxMessage.count()
    assert total == 30
    worker = _start_worker(port)

    def kill_at_seventh(count: int) -> None:
        # SIGKILL while the 7th message is being accepted: the worker never hears
        # "250" and never marks the row sent: the worst moment to die.
        if count == 7:
            os.kill(worker.pid, signal.SIGKILL)

    inbox.on_message = kill_at_seventh
    try:
        assert await _wait_for(lambda: worker.poll() is not None, 60), "worker was not killed"
        assert worker.returncode == -signal.SIGKILL
        inbox.on_message = None
        worker = _start_worker(port)
        assert await _wait_for(lambda: len(inbox.messages) >= total, 60), (
            len(inbox.messages),
            worker.stderr.read1() if worker.poll() is not None else b"",  # type: ignore[union-attr]
        )
        await asyncio.sleep(1.5)  # a duplicate, if any, would arrive now
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=20)
    ids = inbox.message_ids()
    assert len(ids) == total and len(set(ids)) == total
    statuses = [r["status"] for r in await OutboxMessage.select(OutboxMessage.status)]
    # The message in flight at the kill stays claimed until its claim expires.
    assert statuses.count("sent") == total - 1 and statuses.count("sending") == 1
