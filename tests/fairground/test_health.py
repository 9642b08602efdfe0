from __future__ import annotations

from typing import Any


async def test_healthz_reports_database_ok(client: Any) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_healthz_is_503_when_database_unreachable(client: Any, monkeypatch: Any) -> None:
    from fairground import controllers

    async def broken() -> bool:
        return False

    monkeypatch.setattr(controllers, "ping", broken)
    response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
