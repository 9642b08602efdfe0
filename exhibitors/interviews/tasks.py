"""The worker's interview job: a reminder before each booked interview."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from exhibitors.interviews import emails
from exhibitors.interviews.tables import InterviewBooking, InterviewSlot
from fairground.db import write_transaction
from fairground.settings import get_settings

BATCH = 200


async def send_interview_reminders(moment: datetime | None = None) -> int:
    """Booked interviews starting within REMINDER_HOURS_BEFORE hours, each reminded
    once: claimed by a conditional update on reminded_at with the email queued in
    the same transaction (two workers remind once)."""
    moment = moment or datetime.now(UTC)
    horizon = moment + timedelta(hours=get_settings().reminder_hours_before)
    due = (
        await InterviewBooking.select(InterviewBooking.id, InterviewBooking.ics_sequence)
        .where(
            (InterviewBooking.status == "booked")
            & InterviewBooking.reminded_at.is_null()
            & InterviewBooking.slot.is_in(
                InterviewSlot.select(InterviewSlot.id).where(
                    (InterviewSlot.starts_at > moment) & (InterviewSlot.starts_at <= horizon)
                )
            )
        )
        .order_by(InterviewBooking.id)
        .limit(BATCH)
    )
    sent = 0
    for row in due:
        async with write_transaction():
            claimed = (
                await InterviewBooking.update({InterviewBooking.reminded_at: moment})
                .where(
                    (InterviewBooking.id == row["id"])
                    & InterviewBooking.reminded_at.is_null()
                    & (InterviewBooking.status == "booked")
                )
                .returning(InterviewBooking.ics_sequence)
            )
            if claimed:
                await emails.send_booking_email(
                    "interview_reminder", row["id"], claimed[0]["ics_sequence"], "booked"
                )
                sent += 1
    return sent


async def _job() -> int:
    return await send_interview_reminders()


JOBS: list[Callable[[], Awaitable[int]]] = [_job]
