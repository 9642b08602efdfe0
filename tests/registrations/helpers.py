"""Shared helpers for the registration tests: input, outbox, QR and ICS decoding."""

from __future__ import annotations

import email
import io
import re
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import zxingcpp
from icalendar import Calendar
from PIL import Image, ImageDraw

from fairground.mail import build_pending
from fairground.tables import OutboxMessage
from registrations.services import RegistrationInput, register_attendee, validate_registration

NAMES = {
    "arabic": "أميرة خان",
    "polish": "Zażółć Gęślą-Jaźń",
    "chinese": "王小明",
    "emoji": "Sam 🎉👩🏽‍💻",
}


def raw(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Amira Khan",
        "email": "amira@example.org",
        "phone": "",
        "postcode": "CV21 2AA",
        "home_council": "",
        "interests": [],
        "access_needs": "",
        "slot_id": None,
        "consent": {"councils": [], "job_alerts": False},
    }
    body.update(overrides)
    return body


async def register(event: dict[str, Any], **overrides: Any) -> Any:
    data = await validate_registration(event, raw(**overrides))
    return await register_attendee(event["slug"], data)


def person(n: int, slot_id: int | None = None) -> RegistrationInput:
    return RegistrationInput(name=f"Person {n}", email=f"p{n}@example.org", slot_id=slot_id)


async def outbox(template: str | None = None, to: str | None = None) -> list[EmailMessage]:
    await build_pending()  # what the worker builds before sending (deferred messages)
    query = OutboxMessage.select().order_by(OutboxMessage.id)
    rows = await query
    messages = []
    for row in rows:
        if template and row["template"] != template:
            continue
        if to and row["recipient"] != to:
            continue
        messages.append(parse_mime(bytes(row["payload"])))
    return messages


def parse_mime(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=default_policy)
    assert isinstance(message, EmailMessage)
    return message


def parts(message: EmailMessage) -> dict[str, Any]:
    """text, html, the inline PNG (bytes) with its Content-ID, and the .ics (bytes)."""
    found: dict[str, Any] = {}
    for part in message.walk():
        ctype = part.get_content_type()
        if ctype == "text/plain" and "text" not in found:
            found["text"] = part.get_content()
        elif ctype == "text/html" and "html" not in found:
            found["html"] = part.get_content()
        elif ctype == "image/png":
            found["png"] = part.get_content()
            found["png_cid"] = str(part["Content-ID"]).strip("<>")
        elif ctype == "text/calendar":
            found["ics"] = (
                part.get_content().encode()
                if isinstance(part.get_content(), str)
                else part.get_content()
            )
            found["ics_type"] = str(part["Content-Type"])
    return found


def decode_png(data: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(data)))
    assert len(results) == 1, "expected exactly one QR code in the image"
    return str(results[0].text)


def rasterise_svg(svg: bytes, scale: int = 8) -> Image.Image:
    """Draw our SVG (one rect background, one path of h/v runs) with PIL: the geometry
    comes from parsing the SVG text, not from the generator's matrix."""
    text = svg.decode("ascii")
    size = int(re.search(r'viewBox="0 0 (\d+) (\d+)"', text).group(1))  # type: ignore[union-attr]
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    path = re.search(r'<path[^>]* d="([^"]+)"', text).group(1)  # type: ignore[union-attr]
    for x, y, w in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", path):
        x0, y0 = int(x) * scale, int(y) * scale
        draw.rectangle([x0, y0, x0 + int(w) * scale - 1, y0 + scale - 1], fill=0)
    return image


def decode_svg(svg: bytes) -> str:
    results = zxingcpp.read_barcodes(rasterise_svg(svg))
    assert len(results) == 1
    return str(results[0].text)


def parse_ics(data: bytes) -> tuple[Calendar, Any]:
    calendar = Calendar.from_ical(data)
    events = [c for c in calendar.walk() if c.name == "VEVENT"]
    assert len(events) == 1
    return calendar, events[0]


def assert_invite(data: bytes, method: str, uid: str, sequence: int) -> Any:
    """The parts every invite must have; returns the VEVENT for further checks."""
    calendar, vevent = parse_ics(data)
    assert str(calendar["METHOD"]) == method
    assert next(c for c in calendar.walk() if c.name == "VTIMEZONE")["TZID"] == "Europe/London"
    assert str(vevent["UID"]) == uid
    assert int(vevent["SEQUENCE"]) == sequence
    for prop in ("DTSTART", "DTEND"):
        assert vevent[prop].params["TZID"] == "Europe/London"
        assert f"{prop};TZID=Europe/London:" in data.decode()
    assert str(vevent["ORGANIZER"]).startswith("mailto:")
    attendee = vevent["ATTENDEE"]
    assert attendee.params["RSVP"] == "FALSE"
    assert vevent["LOCATION"]
    return vevent
