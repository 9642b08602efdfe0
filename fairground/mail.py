"""The outbox: emails are rows written with the change that causes them.

`queue_email` renders a message from templates/email/<name>/ and inserts it
inside the caller's transaction; the worker (`send_due`) sends it later, by
SMTP when SMTP_URL is set and otherwise as an .eml file under var/mail/.
Each row is claimed by a conditional update before it is sent and marked sent
straight after, so a worker killed and restarted does not send it again. The
claim is a lease (OUTBOX_LEASE_SECONDS): a worker killed mid-send leaves its
row to be taken again once the lease runs out, and a send is abandoned after
half the lease, so no live send ever outlasts its claim.

A failure of the mail server as a whole (unreachable, timing out, refusing at
connect or HELO, 421) is no message's fault: it pauses the sender (the
`Circuit`, 2 s doubling to 60 s) and charges no attempt, so mail queued during
an outage goes out once, as soon as the server is back. Only a refusal of the
message itself (to MAIL, RCPT or DATA) counts towards MAX_ATTEMPTS.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import textwrap
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from fairground import i18n
from fairground.redact import redact
from fairground.settings import Settings, get_settings
from fairground.store import DatabaseStore
from fairground.tables import OutboxMessage
from fairground.templating import render

log = logging.getLogger("fairground.mail")

MAX_ATTEMPTS = 12
PAUSE_FIRST = 2.0  # seconds the sender waits after the server first fails
PAUSE_MAX = 60.0
PAUSE_KEY = "paused"
_status_store = DatabaseStore("mail")


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str  # "text/calendar; method=REQUEST", "image/png"
    data: bytes
    content_id: str | None = None  # set for an inline image in the HTML part


class MailPolicy(EmailPolicy):
    """Python's folding writes an ASCII subject that fits on a line of its own, but not
    after "Subject: ", as "Subject:" and the subject on the next line; readers (Python's
    own among them) then see it with a leading space. We fold such a subject at its
    spaces ourselves."""

    def _plain(self, name: str, value: str) -> bool:
        return name.lower() == "subject" and value.isascii() and value.isprintable()

    def _wrapped(self, name: str, value: str) -> str:
        width = self.max_line_length or 78
        lines = textwrap.wrap(
            f"{name}: {value}", width=width, subsequent_indent=" ", break_long_words=False
        )
        return self.linesep.join(lines) + self.linesep

    def fold(self, name: str, value: str) -> str:
        return self._wrapped(name, value) if self._plain(name, value) else super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        if self._plain(name, value):
            return self._wrapped(name, value).encode("ascii")
        return super().fold_binary(name, value)


MAIL_POLICY = MailPolicy()


def build_email(
    template: str, to: str, context: dict[str, Any], attachments: tuple[Attachment, ...] = ()
) -> EmailMessage:
    """A multipart message with text and HTML parts from templates/email/<template>/."""
    settings = get_settings()
    ctx = {"base_url": settings.base_url, **context}
    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = render(f"email/{template}/subject.txt", **ctx).strip()
    message["From"] = settings.mail_from
    message["To"] = to
    if context.get("reply_to"):  # the organising organisation's contact address
        message["Reply-To"] = context["reply_to"]
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=urlsplit(settings.base_url).hostname)
    message.set_content(render(f"email/{template}/body.txt", **ctx))
    message.add_alternative(render(f"email/{template}/body.html", **ctx), subtype="html")
    html_part: Any = message.get_payload()[1]  # type: ignore[index]
    for item in attachments:
        maintype, _, rest = item.content_type.partition("/")
        subtype, _, params = rest.partition(";")
        if item.content_id:
            html_part.add_related(
                item.data,
                maintype=maintype,
                subtype=subtype.strip(),
                cid=f"<{item.content_id}>",
                filename=item.filename,
            )
            continue
        message.add_attachment(
            item.data,
            maintype=maintype,
            subtype=subtype.strip(),
            filename=item.filename,
            params=dict(p.strip().split("=", 1) for p in params.split(";") if "=" in p),
        )
    # After the parts: set_content() and friends clear the Content-* headers.
    message["Content-Language"] = i18n.language().code
    return message


async def queue_email(
    template: str, to: str, context: dict[str, Any], attachments: tuple[Attachment, ...] = ()
) -> int:
    """Render and queue one email; call inside the transaction of the change. These
    are staff emails, so English (attendees' are deferred and built in theirs)."""
    with i18n.use(i18n.DEFAULT):
        message = build_email(template, to, context, attachments)
    rows = await OutboxMessage.insert(
        OutboxMessage(
            kind="email",
            template=template,
            recipient=to,
            subject=str(message["Subject"]),
            payload=message.as_bytes(),
        )
    ).returning(OutboxMessage.id)
    return int(rows[0]["id"])


Builder = Callable[[dict[str, Any]], Awaitable[EmailMessage | None]]
BUILDERS: dict[str, Builder] = {}


def register_builder(kind: str, builder: Builder) -> None:
    """A function that builds a deferred message from its params (None: nothing to send)."""
    BUILDERS[kind] = builder


async def queue_deferred_email(kind: str, to: str, params: dict[str, Any]) -> int:
    """Queue a message by intent: the worker renders it (QR, invite, MIME) before
    sending, so the request that causes it stays short. Call inside the change's
    transaction, with params pinning what must not drift (e.g. the invite SEQUENCE)."""
    rows = await OutboxMessage.insert(
        OutboxMessage(kind="email", template=kind, recipient=to, payload=b"", params=params)
    ).returning(OutboxMessage.id)
    return int(rows[0]["id"])


async def build_message(row_id: int) -> bytes | None:
    """The MIME bytes of a message, building and storing a deferred one first (so a
    retry sends the very same bytes). None when there is nothing to send any more."""
    row = (
        await OutboxMessage.select(
            OutboxMessage.payload, OutboxMessage.template, OutboxMessage.params
        )
        .where(OutboxMessage.id == row_id)
        .output(load_json=True)
        .first()
    )
    if row is None:
        return None
    if row["payload"]:
        return bytes(row["payload"])
    builder = BUILDERS.get(row["template"])
    if builder is None:
        raise LookupError(f"no builder for deferred message {row['template']!r}")
    message = await builder(row["params"])
    if message is None:
        await OutboxMessage.update({OutboxMessage.status: "skipped"}).where(
            OutboxMessage.id == row_id
        )
        return None
    payload = message.as_bytes()
    await OutboxMessage.update(
        {OutboxMessage.payload: payload, OutboxMessage.subject: str(message["Subject"])}
    ).where(OutboxMessage.id == row_id)
    return payload


async def build_pending(limit: int = 1000) -> int:
    """Build every deferred message not built yet (for previews and tests)."""
    rows = (
        await OutboxMessage.select(OutboxMessage.id)
        .where((OutboxMessage.payload == b"") & (OutboxMessage.status == "pending"))
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    for row in rows:
        await build_message(row["id"])
    return len(rows)


class MailServerDown(Exception):
    """The sender as a whole cannot take mail now; no message is to blame."""


def lease_seconds() -> int:
    """How long a claim on a row lasts (OUTBOX_LEASE_SECONDS)."""
    return get_settings().outbox_lease_seconds


def send_timeout(lease: float) -> float:
    """The most one send may take: half its lease, so it ends while the claim holds."""
    return lease / 2


@dataclass(slots=True)
class Circuit:
    """The circuit breaker of one sender: open (paused) after a server-level failure,
    for PAUSE_FIRST seconds doubling to PAUSE_MAX; closed again by any answer from
    the server about a message."""

    delay: float = 0.0
    retry_at: float = 0.0  # time.monotonic()
    failures: int = 0
    since: datetime | None = None

    def allows(self) -> bool:
        return time.monotonic() >= self.retry_at

    def trip(self) -> float:
        self.delay = min(max(self.delay * 2, PAUSE_FIRST), PAUSE_MAX)
        self.retry_at = time.monotonic() + self.delay
        self.failures += 1
        self.since = self.since or datetime.now(UTC)
        return self.delay

    def reset(self) -> bool:
        """Close the circuit; True when it had been open."""
        was_open = self.since is not None
        self.delay, self.retry_at, self.failures, self.since = 0.0, 0.0, 0, None
        return was_open


class Sender(Protocol):
    circuit: Circuit

    async def send(self, row_id: int, recipient: str, payload: bytes) -> None: ...


class FileSender:
    """The embedded default: each message becomes var/mail/<id>.eml."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.circuit = Circuit()

    async def send(self, row_id: int, recipient: str, payload: bytes) -> None:
        path = self.directory / f"{row_id:08d}.eml"
        tmp = path.with_suffix(".tmp")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(payload)
            tmp.replace(path)
        except OSError as exc:  # a full disk is not the message's fault
            raise MailServerDown(f"cannot write {path}: {exc.strerror}") from exc


# Refusals of one message: counted against it. Everything else the server or the
# network says (and any 421, "service not available") pauses the whole sender.
_MESSAGE_ERRORS = (
    aiosmtplib.SMTPSenderRefused,
    aiosmtplib.SMTPRecipientRefused,
    aiosmtplib.SMTPRecipientsRefused,
    aiosmtplib.SMTPDataError,
    ValueError,
)


def is_server_failure(exc: Exception) -> bool:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [refusal.code for refusal in exc.recipients]
    else:
        codes = [getattr(exc, "code", 0)]
    if 421 in codes:
        return True
    if isinstance(exc, _MESSAGE_ERRORS):
        return False
    return isinstance(exc, aiosmtplib.SMTPException | OSError | TimeoutError)


class SmtpSender:
    """SMTP via aiosmtplib: smtp://user:pass@host:port?starttls=1 or smtps://host."""

    def __init__(self, url: str, timeout: float = 20.0) -> None:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        self.timeout = timeout
        self.circuit = Circuit()
        self.options: dict[str, Any] = {
            "hostname": parts.hostname,
            "port": parts.port or (465 if parts.scheme == "smtps" else 25),
            "use_tls": parts.scheme == "smtps",
            "start_tls": query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
            "username": unquote(parts.username) if parts.username else None,
            "password": unquote(parts.password) if parts.password else None,
            "timeout": timeout,
        }

    async def send(self, row_id: int, recipient: str, payload: bytes) -> None:
        """One message, all of it within `timeout` (aiosmtplib's own is per command)."""
        try:
            async with asyncio.timeout(self.timeout):
                await self._deliver(recipient, payload)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            if is_server_failure(exc):
                raise MailServerDown(f"{type(exc).__name__}: {exc}") from exc
            raise

    async def _deliver(self, recipient: str, payload: bytes) -> None:
        sender = get_settings().mail_from.rsplit("<", 1)[-1].rstrip(">").strip()
        client = aiosmtplib.SMTP(**self.options)
        await client.connect()  # greeting, STARTTLS and login: closes itself on failure
        try:
            await client.sendmail(sender, [recipient], payload)
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await client.quit()  # the message is accepted: a failed goodbye is no matter
        finally:
            client.close()


def sender_for(settings: Settings) -> Sender:
    if settings.smtp_url:
        return SmtpSender(settings.smtp_url, send_timeout(settings.outbox_lease_seconds))
    return FileSender(settings.mail_dir)


def backoff(attempts: int) -> timedelta:
    """30s, 1m, 2m, 4m … capped at an hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


async def mail_pause() -> dict[str, Any] | None:
    """The pause a worker last reported (since, error, failures, retry_at), or None."""
    raw = await _status_store.get(PAUSE_KEY)
    if raw is None:
        return None
    state: dict[str, Any] = json.loads(raw)
    for key in ("since", "retry_at"):
        state[key] = datetime.fromisoformat(state[key])
    return state


async def _pause(circuit: Circuit, error: str) -> None:
    delay = circuit.trip()
    log.warning("mail server unavailable (%s); pausing %.0f s", redact(error), delay)
    now = datetime.now(UTC)
    state = {
        "since": (circuit.since or now).isoformat(),
        "retry_at": (now + timedelta(seconds=delay)).isoformat(),
        "failures": circuit.failures,
        "error": error[:500],
    }
    # Expires by itself if the worker stops while paused; refreshed at every retry.
    await _status_store.set(PAUSE_KEY, json.dumps(state), expires_in=int(PAUSE_MAX * 3))


async def _resume(circuit: Circuit) -> None:
    if circuit.reset():
        log.info("mail server available again")
        await _status_store.delete(PAUSE_KEY)


def _due(now: datetime) -> Any:
    return (OutboxMessage.kind == "email") & (
        ((OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now))
        | ((OutboxMessage.status == "sending") & (OutboxMessage.claimed_until < now))
    )


async def _claim(now: datetime) -> dict[str, Any] | None:
    """Take the oldest due message; the conditional update makes the claim exclusive."""
    candidate = (
        await OutboxMessage.select(OutboxMessage.id)
        .where(_due(now))
        .order_by(OutboxMessage.id)
        .first()
    )
    if candidate is None:
        return None
    claimed = (
        await OutboxMessage.update(
            {
                OutboxMessage.status: "sending",
                OutboxMessage.claimed_until: now + timedelta(seconds=lease_seconds()),
            }
        )
        .where((OutboxMessage.id == candidate["id"]) & _due(now))
        .returning(OutboxMessage.id, OutboxMessage.recipient, OutboxMessage.attempts)
    )
    return claimed[0] if claimed else {"id": None}


async def _finish(row: dict[str, Any], error: str | None) -> None:
    now = datetime.now(UTC)
    if error is None:
        values: dict[Any, Any] = {
            OutboxMessage.status: "sent",
            OutboxMessage.sent_at: now,
            OutboxMessage.attempts: row["attempts"] + 1,
        }
    else:
        attempts = row["attempts"] + 1
        values = {
            OutboxMessage.status: "failed" if attempts >= MAX_ATTEMPTS else "pending",
            OutboxMessage.attempts: attempts,
            OutboxMessage.last_error: error[:2000],
            OutboxMessage.next_attempt_at: now + backoff(attempts),
        }
    await OutboxMessage.update(values).where(OutboxMessage.id == row["id"])


async def _release(row: dict[str, Any], error: str) -> None:
    """Give a claimed row back untouched but for the error: the server failed, not it."""
    await OutboxMessage.update(
        {
            OutboxMessage.status: "pending",
            OutboxMessage.claimed_until: None,
            OutboxMessage.last_error: error[:2000],
        }
    ).where((OutboxMessage.id == row["id"]) & (OutboxMessage.status == "sending"))


async def _send_row(sender: Sender, row: dict[str, Any]) -> bool | None:
    """Send one claimed row: True sent, False not (counted), None the server is down."""
    payload = await build_message(row["id"])
    if payload is None:
        return False
    try:
        await sender.send(row["id"], row["recipient"], payload)
    except MailServerDown as exc:
        await _release(row, str(exc))
        await _pause(sender.circuit, str(exc))
        return None
    except (aiosmtplib.SMTPException, OSError, TimeoutError, ValueError) as exc:
        log.warning("outbox message %s not sent: %s", row["id"], redact(exc))
        await _finish(row, f"{type(exc).__name__}: {exc}")
        await _resume(sender.circuit)
        return False
    await _finish(row, None)
    await _resume(sender.circuit)
    return True


async def send_due(sender: Sender, limit: int = 100, deadline: float | None = None) -> int:
    """Send up to `limit` due emails, one claim at a time; returns how many were sent.
    Does nothing while the sender is paused, and stops at a server-level failure."""
    sent = 0
    for _ in range(limit):
        if not sender.circuit.allows():
            break
        if deadline is not None and time.monotonic() > deadline:
            break
        row = await _claim(datetime.now(UTC))
        if row is None:
            break
        if row["id"] is None:  # another worker took it first
            continue
        result = await _send_row(sender, row)
        if result is None:
            break
        sent += int(result)
    return sent
