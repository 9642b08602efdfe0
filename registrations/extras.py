"""What the apps above registrations add to an attendee's ticket page and emails.

registrations must not import the apps above it (exhibitors), so they register
here when imported: each hook is awaited with the registration (its row, with
`interests`) and the event row, and returns more template context. The plan for
the day (exhibitors.plan) adds `plan`. Without any hook the pages and emails
show what registrations alone knows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Row = dict[str, Any]
AttendeeExtra = Callable[[Row, Row], Awaitable[Row]]
ATTENDEE_EXTRAS: list[AttendeeExtra] = []


async def attendee_extras(registration: Row, event: Row) -> Row:
    found: Row = {}
    for extra in ATTENDEE_EXTRAS:
        found.update(await extra(registration, event))
    return found
