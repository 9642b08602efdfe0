"""Registration pages and API (filled by the registration issue)."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
