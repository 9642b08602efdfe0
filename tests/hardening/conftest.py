"""Hardening tests: the live server (uvicorn on loopback) is shared with the browser tests."""

from __future__ import annotations

from tests.e2e.conftest import live_server

__all__ = ["live_server"]
