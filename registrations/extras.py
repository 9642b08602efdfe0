"""What the apps above registrations add to an attendee's ticket page and emails.

registrations must not import the apps above it (exhibitors), so they register
here: each hook is awaited with the registration (its row, with `interests`)
and the event row, and returns more template context. The plan for the day
(exhibitors.plan) adds `plan`, the interviews (exhibitors.interviews.pages)
`interviews` and `interviews_offered`. The modules in PROVIDERS are imported by name the
first time extras are wanted, so every process that renders a ticket page or
builds an email (the web app, the worker, a CLI command, a test) has them; one
that is not installed is skipped, and the pages and emails show what
registrations alone knows.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from typing import Any

Row = dict[str, Any]
AttendeeExtra = Callable[[Row, Row], Awaitable[Row]]
ATTENDEE_EXTRAS: list[AttendeeExtra] = []
PROVIDERS = ("exhibitors.plan", "exhibitors.interviews.pages")
_loaded: list[bool] = []


def load_providers() -> None:
    if _loaded:
        return
    for name in PROVIDERS:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise
    _loaded.append(True)


async def attendee_extras(registration: Row, event: Row) -> Row:
    load_providers()
    found: Row = {}
    for extra in ATTENDEE_EXTRAS:
        found.update(await extra(registration, event))
    return found
