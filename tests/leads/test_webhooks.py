"""Signed webhooks received by a real HTTP server on 127.0.0.1, with retries."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from exhibitors.leads import webhooks
from exhibitors.leads.schemas import LeadIn
from exhibitors.leads.services import capture_lead
from exhibitors.leads.tables import WebhookSend
from fairground.errors import Invalid
from tests.factories import council_id, make_event
from tests.leads.helpers import RUGBY, attendee, make_stand, route_all


class Receiver:
    """Answers with the next status in `statuses` (then 200) and checks each signature."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.secret = ""
        self.received: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                signature = self.headers.get("X-Fairground-Signature", "")
                valid = webhooks.verify(receiver.secret, signature, body)
                receiver.received.append({"valid": valid, "body": json.loads(body)})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status if valid else 401)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "1")
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


async def _lead_for_rugby() -> None:
    event = await make_event()
    stand = await make_stand(event)
    person = await attendee(
        event, home_council=RUGBY, consent={"councils": [RUGBY], "job_alerts": False}
    )
    data = LeadIn(code=person.ticket_code, notes="Keen", consent_given=True)
    await capture_lead(stand.exhibitor_id, data, stand.staff["id"])
    await route_all()


async def _due_now() -> None:
    await WebhookSend.update({WebhookSend.next_attempt_at: datetime.now(UTC)}).where(
        WebhookSend.id > 0
    )


async def test_signed_webhook_retried_until_2xx(receiver: Receiver) -> None:
    secret = await webhooks.set_webhook(await council_id(RUGBY), receiver.url)
    assert secret and secret.startswith("whsec_")
    receiver.secret = secret
    receiver.statuses = [500, 503]
    await _lead_for_rugby()
    assert await webhooks.send_due_webhooks() == 1
    [send] = await WebhookSend.select()
    assert (send["status"], send["attempts"], send["last_status_code"]) == ("pending", 1, 500)
    assert send["next_attempt_at"] > datetime.now(UTC)  # backed off
    assert await webhooks.send_due_webhooks() == 0  # not due yet
    await _due_now()
    await webhooks.send_due_webhooks()
    await _due_now()
    await webhooks.send_due_webhooks()
    [send] = await WebhookSend.select()
    assert (send["status"], send["attempts"], send["last_status_code"]) == ("sent", 3, 200)
    assert len(receiver.received) == 3 and all(r["valid"] for r in receiver.received)
    lead = receiver.received[-1]["body"]["lead"]
    assert lead["name"] == "Attendee 1" and lead["rule"] == "home_council"
    assert lead["consent_basis"] == "consent_councils"


async def test_resend_and_a_wrong_secret(receiver: Receiver) -> None:
    rugby = await council_id(RUGBY)
    await webhooks.set_webhook(rugby, receiver.url)
    receiver.secret = "whsec_not-the-one"
    await _lead_for_rugby()
    await webhooks.send_due_webhooks()
    [send] = await WebhookSend.select()
    assert send["last_status_code"] == 401 and send["status"] == "pending"
    receiver.secret = await webhooks.rotate_secret(rugby)
    await webhooks.resend(rugby, send["id"])
    await webhooks.send_due_webhooks()
    [send] = await WebhookSend.select()
    assert send["status"] == "sent"
    with pytest.raises(Exception, match="no such webhook"):
        await webhooks.resend(await council_id("E08000026"), send["id"])


async def test_private_addresses_are_refused() -> None:
    with pytest.raises(Invalid) as caught:
        await webhooks.set_webhook(await council_id(RUGBY), "http://127.0.0.1:9/hook")
    assert "url" in caught.value.fields
    with pytest.raises(Invalid):
        await webhooks.set_webhook(await council_id(RUGBY), "ftp://example.org/")


def test_signature_format() -> None:
    header = webhooks.sign("s3cret", 1_700_000_000, b'{"a":1}')
    assert header.startswith("t=1700000000,v1=") and len(header.split("v1=")[1]) == 64
    assert not webhooks.verify("s3cret", header, b'{"a":1}')  # too old
