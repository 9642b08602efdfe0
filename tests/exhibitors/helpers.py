"""Shared helpers for the exhibitor tests: subscribers, applications, stands, outbox."""

from __future__ import annotations

import email
import io
from datetime import date
from email.policy import default as default_policy
from typing import Any

from PIL import Image

from exhibitors.applications import apply_for_stand
from exhibitors.services import Decision, decide_exhibitor
from exhibitors.stands import create_stand
from fairground.tables import Organisation, OutboxMessage

FAR_FUTURE = date(2099, 12, 31)


async def make_subscriber(
    name: str = "Coventry City Council",
    ref: str = "WMJ-0042",
    domains: str = "coventry.gov.uk",
    until: date | None = FAR_FUTURE,
) -> int:
    """An organisation with a subscriber reference (updating a seeded council by name)."""
    existing = await Organisation.select(Organisation.id).where(Organisation.name == name).first()
    values: dict[Any, Any] = {
        Organisation.subscriber_ref: ref,
        Organisation.email_domains: domains,
        Organisation.subscriber_until: until,
    }
    if existing:
        await Organisation.update(values).where(Organisation.id == existing["id"])
        return int(existing["id"])
    rows = await Organisation.insert(
        Organisation(
            name=name,
            kind="other",
            subscriber_ref=ref,
            email_domains=domains,
            subscriber_until=until,
        )
    ).returning(Organisation.id)
    return int(rows[0]["id"])


def application(**overrides: Any) -> dict[str, Any]:
    """An API-shaped application body."""
    body: dict[str, Any] = {
        "organisation": "Coventry City Council",
        "subscriber_ref": "WMJ-0042",
        "contact": {"name": "Sam Patel", "email": "recruitment@coventry.gov.uk", "phone": ""},
        "needs": {"power": True, "tables": 1, "staff": 3, "notes": ""},
        "vacancies": [
            {
                "title": "Social Worker",
                "job_family": "social-care",
                "url": "https://jobs.example.org/1",
            }
        ],
    }
    body.update(overrides)
    return body


async def apply(event: dict[str, Any], **overrides: Any) -> int:
    return (await apply_for_stand(event["slug"], application(**overrides))).id


async def approve(event: dict[str, Any], exhibitor_id: int, actor: int, stand: str = "") -> None:
    await decide_exhibitor(event["id"], exhibitor_id, Decision("approve", stand), actor)


async def make_stand(event_id: int, code: str = "A1", x: int = 0, y: int = 0) -> int:
    fields = {"code": code, "width": 3, "depth": 2, "x": x, "y": y, "power": False}
    return await create_stand(event_id, fields)


async def outbox(template: str | None = None) -> list[dict[str, Any]]:
    query = OutboxMessage.select().order_by(OutboxMessage.id)
    if template:
        query = query.where(OutboxMessage.template == template)
    return await query


def text_of(row: dict[str, Any]) -> str:
    """The plain-text part of a queued email."""
    message = email.message_from_bytes(row["payload"], policy=default_policy)
    body = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    return str(body.get_content())


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (120, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (0, 98, 94)).save(out, format=fmt)
    return out.getvalue()
