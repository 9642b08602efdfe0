"""Registration routes: the JSON API, the attendee pages and check-in."""

from __future__ import annotations

from typing import Any

from registrations.api import ROUTES as API_ROUTES
from registrations.change_pages import ROUTES as CHANGE_ROUTES
from registrations.checkin_api import ROUTES as CHECKIN_ROUTES
from registrations.door_pages import ROUTES as DOOR_PAGE_ROUTES
from registrations.organiser_pages import ROUTES as ORGANISER_ROUTES
from registrations.pages import ROUTES as PAGE_ROUTES

ROUTES: list[Any] = [
    *API_ROUTES,
    *PAGE_ROUTES,
    *CHANGE_ROUTES,
    *ORGANISER_ROUTES,
    *CHECKIN_ROUTES,
    *DOOR_PAGE_ROUTES,
]
