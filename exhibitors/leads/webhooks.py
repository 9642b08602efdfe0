"""Signed webhooks to councils: each delivery POSTed, retried with backoff until a 2xx.

The body is JSON; `X-Fairground-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`
with the council's secret. A send is claimed by a conditional update (like the mail
outbox), so two workers never POST the same one at once; the claim is a lease of
OUTBOX_LEASE_SECONDS and a POST is abandoned after half of it, so a live POST never
outlasts its claim. A worker killed after the council got a POST but before we
recorded the answer POSTs it again once the lease runs out: every POST of one send
carries the same `X-Fairground-Webhook-Id`, so the council can discard the repeat.
The body is built when sent, from the lead as it is then: erased personal data is
never sent later. Two kinds of event: `lead.delivered`, and `consent.withdrawn` when
the attendee withdraws the consent a delivered lead rested on (withdrawal.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import secrets
import socket
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx

from exhibitors.leads.delivery import council_lead
from exhibitors.leads.tables import CouncilWebhook, WebhookSend
from exhibitors.leads.withdrawal import DELIVERED, WITHDRAWN
from fairground.db import write_transaction
from fairground.errors import Invalid, NotFound
from fairground.mail import backoff, lease_seconds, send_timeout
from fairground.text import check_line

log = logging.getLogger("fairground.leads.webhooks")
Row = dict[str, Any]
MAX_ATTEMPTS = 12
MAX_URL = 500
TIMEOUT = 10.0  # per connect, read or write; the whole POST is bounded by send_timeout()
ID_HEADER = "X-Fairground-Webhook-Id"
BATCH = 50


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """What a receiver does (and our tests): check the HMAC and that `t` is recent."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    fresh = abs(time.time() - timestamp) <= tolerance
    return fresh and hmac.compare_digest(expected, parts.get("v1", ""))


def _private_allowed() -> bool:
    # Off in production: a council's URL must not reach our own network.
    return os.environ.get("WEBHOOK_ALLOW_PRIVATE", "").lower() in ("1", "true", "yes")


async def check_url(url: str) -> str:
    """An http(s) URL of up to 500 characters on one line (fairground.text) whose host
    resolves to public addresses only (no SSRF)."""
    errors: dict[str, str] = {}
    url = check_line(url, "url", "The web address", MAX_URL, errors)
    try:
        parts = urlsplit(url)
        port = parts.port or 443
        usable = parts.scheme in ("https", "http") and bool(parts.hostname) and " " not in url
    except ValueError:  # such as an unclosed [ in the host, or a port over 65535
        usable = False
    if errors or not usable:
        message = errors.get("url", "Enter a web address starting with https://")
        raise Invalid(message, fields={"url": message})
    if _private_allowed():
        return url
    try:
        infos = await anyio.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):  # unknown, or not a name at all (a label too long)
        raise Invalid("This address cannot be found", fields={"url": "Host not found"}) from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]))
        if not address.is_global:
            message = "The address must be on the public internet"
            raise Invalid(message, fields={"url": message})
    return url.strip()


async def set_webhook(council_id: int, url: str) -> str | None:
    """Register or change the council's URL; returns a new secret (to show once) when the
    council had none, else None (the secret stays until rotated)."""
    url = await check_url(url)
    async with write_transaction():
        existing = await CouncilWebhook.select().where(CouncilWebhook.council == council_id).first()
        if existing is not None:
            await CouncilWebhook.update(
                {CouncilWebhook.url: url, CouncilWebhook.active: True}
            ).where(CouncilWebhook.id == existing["id"])
            return None
        secret = "whsec_" + secrets.token_urlsafe(32)
        await CouncilWebhook.insert(CouncilWebhook(council=council_id, url=url, secret=secret))
        return secret


async def rotate_secret(council_id: int) -> str:
    secret = "whsec_" + secrets.token_urlsafe(32)
    updated = (
        await CouncilWebhook.update({CouncilWebhook.secret: secret})
        .where(CouncilWebhook.council == council_id)
        .returning(CouncilWebhook.id)
    )
    if not updated:
        raise NotFound("Register a webhook address first", code="webhook_not_found")
    return secret


async def remove_webhook(council_id: int) -> None:
    async with write_transaction():
        await CouncilWebhook.delete().where(CouncilWebhook.council == council_id)
        await WebhookSend.update({WebhookSend.status: "cancelled"}).where(
            (WebhookSend.council == council_id) & (WebhookSend.status == "pending")
        )


async def webhook_of(council_id: int) -> Row | None:
    return (
        await CouncilWebhook.select(
            CouncilWebhook.url, CouncilWebhook.active, CouncilWebhook.created_at
        )
        .where(CouncilWebhook.council == council_id)
        .first()
    )


async def recent_sends(council_id: int, limit: int = 50) -> list[Row]:
    return (
        await WebhookSend.select()
        .where(WebhookSend.council == council_id)
        .order_by(WebhookSend.id, ascending=False)
        .limit(limit)
    )


async def resend(council_id: int, send_id: int) -> None:
    """Send again now (a failed send, or one the council lost)."""
    updated = await WebhookSend.update(
        {WebhookSend.status: "pending", WebhookSend.next_attempt_at: datetime.now(UTC),
         WebhookSend.attempts: 0}
    ).where(
        (WebhookSend.id == send_id) & (WebhookSend.council == council_id)
        & (WebhookSend.status != "sending")
    ).returning(WebhookSend.id)  # fmt: skip
    if not updated:
        raise NotFound("There is no such webhook delivery", code="webhook_send_not_found")


async def _claim(now: datetime) -> Row | None:
    """Take the oldest due send; the conditional update makes the claim exclusive."""
    due = ((WebhookSend.status == "pending") & (WebhookSend.next_attempt_at <= now)) | (
        (WebhookSend.status == "sending") & (WebhookSend.claimed_until < now)
    )
    candidate = await WebhookSend.select(WebhookSend.id).where(due).order_by(WebhookSend.id).first()
    if candidate is None:
        return None
    claimed = (
        await WebhookSend.update(
            {WebhookSend.status: "sending",
             WebhookSend.claimed_until: now + timedelta(seconds=lease_seconds())}
        )
        .where((WebhookSend.id == candidate["id"]) & due)
        .returning(WebhookSend.id, WebhookSend.delivery, WebhookSend.attempts,
                   WebhookSend.council, WebhookSend.kind)
    )  # fmt: skip
    return claimed[0] if claimed else {"id": None}


def _jsonable(value: Any) -> Any:
    return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else value


async def build_body(code: str, delivery_id: int, kind: str = DELIVERED) -> bytes | None:
    """The JSON a council receives for one delivery: `lead.delivered` while it is active,
    `consent.withdrawn` (the lead as the council sees it then: marked withdrawn, no
    contact details) while it is withdrawn; None when that is no longer true."""
    try:
        lead = await council_lead(code, delivery_id)
    except NotFound:
        return None
    if lead["withdrawn"] != (kind == WITHDRAWN):
        return None
    payload = {
        "type": kind,
        "council": code,
        "lead": {key: _jsonable(value) for key, value in lead.items()},
    }
    return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()


async def _post(url: str, secret: str, body: bytes, send_id: int) -> tuple[int | None, str]:
    """(status code or None, error text or "") of one POST, all within send_timeout()."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Fairground-Webhooks/1",
        "X-Fairground-Signature": sign(secret, int(time.time()), body),
        ID_HEADER: str(send_id),
    }
    limit = send_timeout(lease_seconds())
    try:
        async with asyncio.timeout(limit):
            await check_url(url)  # again at send time: DNS may have changed since
            async with httpx.AsyncClient(
                timeout=min(TIMEOUT, limit), follow_redirects=False
            ) as client:
                response = await client.post(url, content=body, headers=headers)
    except (httpx.HTTPError, Invalid, TimeoutError) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    if 200 <= response.status_code < 300:
        return response.status_code, ""
    return response.status_code, f"HTTP {response.status_code}: {response.text[:200]}"


async def _finish(row: Row, values: dict[Any, Any]) -> None:
    await WebhookSend.update(values).where(WebhookSend.id == row["id"])


async def _send_one(row: Row) -> bool:
    hook = (
        await CouncilWebhook.select(
            CouncilWebhook.url, CouncilWebhook.secret, CouncilWebhook.council.code.as_alias("code")
        )
        .where((CouncilWebhook.council == row["council"]) & CouncilWebhook.active.eq(True))
        .first()
    )
    body = await build_body(hook["code"], row["delivery"], row["kind"]) if hook else None
    if hook is None or body is None:
        await _finish(row, {WebhookSend.status: "cancelled"})
        return False
    status, error = await _post(hook["url"], hook["secret"], body, row["id"])
    attempts, now = row["attempts"] + 1, datetime.now(UTC)
    values: dict[Any, Any] = {WebhookSend.attempts: attempts, WebhookSend.last_status_code: status}
    if not error:
        values |= {WebhookSend.status: "sent", WebhookSend.sent_at: now, WebhookSend.last_error: ""}
    else:
        log.warning("webhook send %s failed: %s", row["id"], error)
        values |= {
            WebhookSend.status: "failed" if attempts >= MAX_ATTEMPTS else "pending",
            WebhookSend.last_error: error[:2000],
            WebhookSend.next_attempt_at: now + backoff(attempts),
        }
    await _finish(row, values)
    return not error


async def send_due_webhooks() -> int:
    """The worker's job: POST due sends, one claim at a time; returns how many were tried."""
    tried = 0
    for _ in range(BATCH):
        row = await _claim(datetime.now(UTC))
        if row is None:
            break
        if row["id"] is None:  # another worker took it first
            continue
        await _send_one(row)
        tried += 1
    return tried
