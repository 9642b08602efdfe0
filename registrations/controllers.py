"""Registration routes: the JSON API (api.py) and the attendee pages (pages.py)."""

from __future__ import annotations

from typing import Any

from registrations.checkin_api import ROUTES as CHECKIN_ROUTES

ROUTES: list[Any] = [*CHECKIN_ROUTES]

try:  # each half lands on its own; both are always there once written
    from registrations.api import ROUTES as API_ROUTES

    ROUTES += API_ROUTES
except ModuleNotFoundError as exc:  # pragma: no cover
    if exc.name != "registrations.api":
        raise
try:
    from registrations.pages import ROUTES as PAGE_ROUTES

    ROUTES += PAGE_ROUTES
except ModuleNotFoundError as exc:  # pragma: no cover
    if exc.name != "registrations.pages":
        raise
