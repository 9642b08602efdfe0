"""Interview test set-up: a fair with an exhibitor, its staff and a schedule."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from exhibitors.interviews import services
from exhibitors.interviews.tables import InterviewSlot
from registrations.services import register_attendee
from tests.factories import add_staff, future, make_event, make_exhibitor, make_org, make_user
from tests.registrations.helpers import person


async def fair(**overrides: Any) -> dict[str, Any]:
    event = await make_event(capacity=overrides.pop("capacity", 3000), **overrides)
    org = await make_org("Warwick Hospital Trust")
    exhibitor_id = await make_exhibitor(event["id"], org)
    staff = await make_user("exhibitor", org=org)
    await add_staff(exhibitor_id, staff["id"])
    return {"event": event, "exhibitor_id": exhibitor_id, "staff": staff, "org": org}


async def schedule(exhibitor_id: int, starts_at: datetime, **overrides: Any) -> dict[str, Any]:
    data = services.ScheduleInput(
        starts_at=starts_at,
        ends_at=overrides.pop("ends_at", starts_at + timedelta(hours=2)),
        **{"slot_minutes": 20, "gap_minutes": 5, "parallel": 1, **overrides},
    )
    return await services.publish_schedule(exhibitor_id, data, None)


async def slot_ids(schedule_id: int) -> list[int]:
    rows = (
        await InterviewSlot.select(InterviewSlot.id)
        .where(InterviewSlot.schedule == schedule_id)
        .order_by(InterviewSlot.starts_at)
    )
    return [r["id"] for r in rows]


async def attendee(event: dict[str, Any], n: int) -> str:
    result = await register_attendee(event["slug"], person(n))
    return result.manage_token


__all__ = ["future"]
