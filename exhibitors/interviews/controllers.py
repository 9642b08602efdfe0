"""Interview routes: the JSON API and the pages of jobseekers and stand staff."""

from __future__ import annotations

from typing import Any

from exhibitors.interviews.api import ROUTES as API_ROUTES
from exhibitors.interviews.pages import ROUTES as PAGE_ROUTES

ROUTES: list[Any] = [*API_ROUTES, *PAGE_ROUTES]
