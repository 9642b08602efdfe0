"""Periodic jobs for the worker (fairground.worker loads `JOBS`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from events.tables import Event, Slot
from fairground.db import write_transaction
from fairground.settings import get_settings
from registrations import emails
from registrations.tables import Registration

BATCH = 200


async def _due_events(now: datetime) -> list[dict[str, Any]]:
    horizon = now + timedelta(hours=get_settings().reminder_hours_before)
    return (
        await Event.select()
        .where(
            (Event.status == "published") & (Event.starts_at > now) & (Event.starts_at <= horizon)
        )
        .order_by(Event.starts_at)
    )


async def _remind(registration_id: int, event: dict[str, Any], now: datetime) -> bool:
    """Claim by a conditional update on reminded_at, and queue the email in the same
    transaction: two workers, or a worker killed and restarted, remind once."""
    async with write_transaction():
        claimed = (
            await Registration.update({Registration.reminded_at: now})
            .where(
                (Registration.id == registration_id)
                & Registration.reminded_at.is_null()
                & (Registration.status == "confirmed")
            )
            .returning(*Registration.all_columns())
        )
        if not claimed:
            return False
        row = claimed[0]
        slot = await Slot.select().where(Slot.id == row["slot"]).first() if row["slot"] else None
        await emails.send_reminder_email(row, event, slot)
    return True


async def send_reminders() -> int:
    """Remind confirmed attendees of published events starting within
    REMINDER_HOURS_BEFORE hours; at most BATCH per event per pass."""
    now = datetime.now(UTC)
    sent = 0
    for event in await _due_events(now):
        pending = (
            await Registration.select(Registration.id)
            .where(
                (Registration.event == event["id"])
                & (Registration.status == "confirmed")
                & Registration.reminded_at.is_null()
            )
            .order_by(Registration.id)
            .limit(BATCH)
        )
        for item in pending:
            sent += await _remind(item["id"], event, now)
    return sent


JOBS: list[Callable[[], Awaitable[int]]] = [send_reminders]
