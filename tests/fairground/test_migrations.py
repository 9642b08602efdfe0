"""Migrations run forwards from an empty database, on the engine under test."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg

from tests.conftest import ENGINE, PG_ADMIN

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = {
    "organisation",
    "staff_user",
    "api_token",
    "outbox_message",
    "audit_log",
    "event",
    "slot",
    "door_assignment",
    "registration",
    "exhibitor",
    "exhibitor_staff",
    "vacancy",
    "stand",
    "stand_allocation",
    "check_in",
}


async def _fresh_database(tmp_path: Path) -> str:
    if ENGINE != "postgres":
        return f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    name = f"fairground_empty_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


async def _tables(url: str) -> set[str]:
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {r["tablename"] for r in rows}
    finally:
        await conn.close()


async def test_migrations_run_forwards_from_empty(tmp_path: Path) -> None:
    url = await _fresh_database(tmp_path)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "VAR_DIR": str(tmp_path / "var"),
        "PYTHONPATH": str(ROOT),
    }
    for _ in range(2):  # and a second run is a no-op
        result = subprocess.run(
            [sys.executable, "-m", "fairground.cli", "migrate"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    tables = await _tables(url)
    assert tables >= EXPECTED
    if ENGINE == "postgres":
        conn = await asyncpg.connect(PG_ADMIN)
        try:
            await conn.execute(f'DROP DATABASE "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        finally:
            await conn.close()
