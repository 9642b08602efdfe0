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


BACKFILL = """
import asyncio
from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.engine.finder import engine_finder

async def main():
    await run_forwards(app_name="fairground", migration_id="2026-12-04T21:00:00:000000")
    engine = engine_finder()
    for name in ("Walsall Jobs Club", "Walsall  Jobs-Club!", "Ośrodek Pomocy", "مركز"):
        await engine.run_ddl(
            "INSERT INTO organisation (name, kind, email_domains, contact_email, partner_kind)"
            f" VALUES ('{name}', 'other', '', '', '')"
        )
    await run_forwards(app_name="all")
    rows = await engine.run_ddl("SELECT name, short_code FROM organisation ORDER BY id")
    print({r["name"]: r["short_code"] for r in rows})

asyncio.run(main())
"""


async def test_existing_organisations_get_short_codes(tmp_path: Path) -> None:
    """The migration derives a unique short code for every organisation already there."""
    url = await _fresh_database(tmp_path)
    env = {**os.environ, "DATABASE_URL": url, "VAR_DIR": str(tmp_path / "var")}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-c", BACKFILL],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    codes = result.stdout.strip().splitlines()[-1]
    assert "'Walsall Jobs Club': 'walsall-jobs-club'" in codes
    assert "'Walsall  Jobs-Club!': 'walsall-jobs-club-2'" in codes
    assert "'Ośrodek Pomocy': 'osrodek-pomocy'" in codes and "'مركز': 'org'" in codes
    if ENGINE == "postgres":
        conn = await asyncpg.connect(PG_ADMIN)
        try:
            await conn.execute(f'DROP DATABASE "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        finally:
            await conn.close()


async def test_seeded_councils_get_short_codes() -> None:
    from fairground.tables import Organisation

    missing = await Organisation.count().where(Organisation.short_code.is_null())
    assert missing == 0
    coventry = (
        await Organisation.select(Organisation.short_code)
        .where(Organisation.code == "E08000026")
        .first()
    )
    assert coventry is not None and coventry["short_code"] == "coventry-city-council"
