"""The leads app's worker jobs (fairground.worker loads `JOBS`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from exhibitors.leads.digest import send_digests
from exhibitors.leads.retention import erase_due_events
from exhibitors.leads.routing import route_due_leads
from exhibitors.leads.survey import send_follow_ups
from exhibitors.leads.webhooks import send_due_webhooks


async def _digests() -> int:
    return await send_digests()


async def _retention() -> int:
    return await erase_due_events()


# Routing first, so a pass's new deliveries go out by webhook in the same pass.
JOBS: list[Callable[[], Awaitable[int]]] = [
    route_due_leads,
    send_due_webhooks,
    _digests,
    send_follow_ups,
    _retention,
]
