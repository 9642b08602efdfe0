"""The raw ceilings: bare Litestar endpoints doing our two hot writes in plain SQL.

    check-in      POST /checkin {"code", "door"}: one conditional
                  UPDATE registration … WHERE ticket_code = ? AND checked_in_at IS NULL RETURNING
    registration  POST /register/{event_id} {"name", "email"}: in one transaction
                  (BEGIN IMMEDIATE on SQLite) the capacity-guarded UPDATE of the event's
                  count, then the INSERT of the registration

SQLite: one kept-open aiosqlite connection per worker (WAL, synchronous=NORMAL, as
ours), each request's statements in one call to its thread. PostgreSQL: one
asyncpg pool per worker. No ORM, no middleware, no validation beyond msgspec's:
this is what the stack itself can do on this box, the figure every benchmark
reports ours against (`raw` in the tables). The Piccolo ceilings in
bench/checkin.py and bench/registration_burst.py stay as secondary references.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from typing import Any

import msgspec

CHECKIN_APP = "bench.raw:make_checkin_app"
REGISTRATION_APP = "bench.raw:make_registration_app"


class ScanIn(msgspec.Struct):
    code: str
    door: str = ""


class RegisterIn(msgspec.Struct):
    name: str
    email: str


_CHECKIN = (
    "UPDATE registration SET checked_in_at = {p}, checked_in_door = {p} "
    "WHERE ticket_code = {p} AND checked_in_at IS NULL RETURNING id"
)
_TAKE = (
    "UPDATE event SET confirmed_count = confirmed_count + 1 "
    "WHERE id = {p} AND confirmed_count < capacity RETURNING id"
)
_INSERT = (
    "INSERT INTO registration (event, slot, reference, manage_token, name, email, phone, "
    "postcode, home_council, interests, access_needs, consent_councils, consent_job_alerts, "
    "language, status, ticket_code, ics_sequence, checked_in_at, checked_in_door, reminded_at, "
    "created_at, cancelled_at) VALUES ({p}, NULL, {p}, {p}, {p}, {p}, '', '', '', '[]', '', "
    "'[]', false, 'en', {p}, NULL, 0, NULL, '', NULL, {p}, NULL)"
)


def _sql(template: str, postgres: bool) -> str:
    """The statement with `?` placeholders (SQLite) or `$1, $2, …` (PostgreSQL)."""
    parts = template.split("{p}")
    if not postgres:
        return "?".join(parts)
    last = len(parts)
    return "".join(part + (f"${i}" if i < last else "") for i, part in enumerate(parts, 1))


class _Database:
    """One kept-open aiosqlite connection, or one asyncpg pool, opened at start-up."""

    def __init__(self) -> None:
        self.url = os.environ["DATABASE_URL"]
        self.postgres = not self.url.startswith("sqlite")
        self.sqlite: Any = None
        self.pool: Any = None

    async def start(self) -> None:
        if self.postgres:
            import asyncpg

            dsn = self.url.replace("postgres://", "postgresql://", 1)
            self.pool = await asyncpg.create_pool(dsn, min_size=2, max_size=20)
        else:
            import aiosqlite

            path = self.url.removeprefix("sqlite:///")
            self.sqlite = await aiosqlite.connect(path, timeout=5, isolation_level=None)
            await self.sqlite.execute("PRAGMA journal_mode = WAL")
            await self.sqlite.execute("PRAGMA synchronous = NORMAL")

    async def in_thread(self, work: Any) -> Any:
        """work(sqlite3 connection) in the connection's own thread: one hand-off
        between the event loop and aiosqlite's thread for the lot (as ours does),
        where execute, fetch and close through aiosqlite's cursor make three. The
        thread runs one call at a time, so transactions never interleave."""
        conn = self.sqlite
        return await conn._execute(work, conn._conn)

    async def stop(self) -> None:
        if self.pool is not None:
            await self.pool.close()
        if self.sqlite is not None:
            await self.sqlite.close()


def make_checkin_app() -> Any:
    from litestar import Litestar, post

    db = _Database()
    sql = _sql(_CHECKIN, db.postgres)

    @post("/checkin", status_code=200)
    async def check_in(data: ScanIn) -> dict[str, Any]:
        now = datetime.now(UTC)
        if db.postgres:
            row = await db.pool.fetchrow(sql, now, data.door, data.code)
        else:
            args = (now.isoformat(), data.door, data.code)
            row = await db.in_thread(lambda conn: conn.execute(sql, args).fetchone())
        return {"result": "ok" if row else "already_checked_in"}

    return Litestar([check_in], on_startup=[db.start], on_shutdown=[db.stop])


def make_registration_app() -> Any:
    from litestar import Litestar, post

    db = _Database()
    take, insert = _sql(_TAKE, db.postgres), _sql(_INSERT, db.postgres)

    @post("/register/{event_id:int}")
    async def register(event_id: int, data: RegisterIn) -> dict[str, Any]:
        token, reference = secrets.token_urlsafe(32), secrets.token_hex(6)
        now = datetime.now(UTC)
        if db.postgres:
            async with db.pool.acquire() as conn, conn.transaction():
                taken = await conn.fetchrow(take, event_id)
                status = "confirmed" if taken else "waitlisted"
                args = (event_id, reference, token, data.name, data.email, status, now)
                await conn.execute(insert, *args)
        else:

            def transaction(conn: Any) -> str:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    taken = conn.execute(take, (event_id,)).fetchone()
                    status = "confirmed" if taken else "waitlisted"
                    args = (event_id, reference, token, data.name, data.email, status)
                    conn.execute(insert, (*args, now.isoformat()))
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                return status

            status = await db.in_thread(transaction)
        return {"reference": reference, "status": status, "manage_token": token}

    return Litestar([register], on_startup=[db.start], on_shutdown=[db.stop])
