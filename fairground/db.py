"""The database engine and the one way we write: short transactions.

On SQLite, concurrent writers make SQLite's busy handler sleep (seconds of
tail latency), so writes inside one process take turns on an asyncio lock and
open with BEGIN IMMEDIATE. On PostgreSQL, transactions run side by side and
rely on conditional updates and row locks.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.querystring import QueryString

from fairground.errors import Invalid

_write_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


NUL_DETAIL = "Text must not contain NUL characters"


def refuse_nul(values: Any) -> None:
    """No text we store or look up holds a NUL: PostgreSQL text cannot (the driver
    raises), and no field of ours means one. Refused here as bad input, on both
    engines, whichever form, API or import it came in through."""
    for value in values:
        if isinstance(value, QueryString):
            refuse_nul(value.args)
        elif isinstance(value, str):
            if "\x00" in value:
                raise Invalid(NUL_DETAIL)
        elif isinstance(value, list | tuple):
            refuse_nul(value)


class LoopPoolPostgresEngine(PostgresEngine):
    """A PostgresEngine with one connection pool per event loop.

    asyncpg pools belong to the loop that made them. The test client runs the
    app in its own thread and loop while the tests query from theirs, and a
    worker may run beside the web app: each loop gets its own pool.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = (
            weakref.WeakKeyDictionary()
        )
        super().__init__(*args, **kwargs)

    @property
    def pool(self) -> Any:
        try:
            return self._pools.get(asyncio.get_running_loop())
        except RuntimeError:
            return None

    @pool.setter
    def pool(self, value: Any) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # set to None in __init__, before any loop runs
        if value is None:
            self._pools.pop(loop, None)
        else:
            self._pools[loop] = value

    async def run_querystring(self, querystring: QueryString, in_pool: bool = True) -> Any:
        refuse_nul(querystring.args)
        return await super().run_querystring(querystring, in_pool)


class _KeepOpen:
    """A shared connection lent to a transaction: Piccolo closes it afterwards, we don't."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    async def close(self) -> None:
        return None


class _SerialTransaction(SQLiteTransaction):
    """A transaction on the loop's writer connection, one at a time per loop."""

    engine: PersistentSQLiteEngine

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        self._lock = _write_lock()
        await self._lock.acquire()
        try:
            return await super().__aenter__()
        except BaseException:
            self._lock.release()
            raise

    async def get_connection(self) -> Any:
        return _KeepOpen(await self.engine.shared_connection("write"))

    async def __aexit__(self, *exc: Any) -> bool:
        if self._parent is not None:
            return await super().__aexit__(*exc)
        try:
            return await super().__aexit__(*exc)
        finally:
            self._lock.release()


class PersistentSQLiteEngine(SQLiteEngine):
    """SQLiteEngine keeping two connections open per event loop, one to read and
    one to write in transactions.

    Piccolo's engine opens a connection (and a thread) per query, and in WAL
    mode the last connection to close checkpoints the log: measured at ~330
    writes/s (shared/PERFORMANCE.md). Kept open, the same work runs 40-90%
    faster. Transactions take turns per loop, so they never share the writer.
    """

    def __init__(self, path: str, **connection_kwargs: Any) -> None:
        super().__init__(path=path, **connection_kwargs)
        self._connections: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[str, aiosqlite.Connection]
        ] = weakref.WeakKeyDictionary()

    async def run_querystring(self, querystring: QueryString, in_pool: bool = False) -> Any:
        refuse_nul(querystring.args)  # SQLite would keep it; the same rule as PostgreSQL
        return await super().run_querystring(querystring, in_pool)

    async def shared_connection(self, role: str) -> aiosqlite.Connection:
        loop = asyncio.get_running_loop()
        connections = self._connections.setdefault(loop, {})
        if role not in connections:
            pending = aiosqlite.connect(**self.connection_kwargs)
            # A kept-open connection must not keep a finished process alive
            # (piccolo's own CLI never closes the engine).
            pending._thread.daemon = True
            connection = await pending
            connection.row_factory = dict_factory  # type: ignore[assignment]
            await connection.execute("PRAGMA foreign_keys = 1")
            await connection.execute("PRAGMA synchronous = NORMAL")
            connections[role] = connection
        return connections[role]

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        if not query.lstrip()[:6].upper().startswith(("SELECT", "PRAGMA")):
            # A write outside a transaction goes to the writer, in turn: on the
            # reader it could meet a read snapshot older than the last commit and
            # fail at once with "database is locked" instead of waiting.
            async with self.transaction(TransactionType.immediate) as transaction:
                return await self._run_in_existing_connection(
                    transaction.connection, query, args, query_type, table)
        connection = await self.shared_connection("read")
        async with connection.execute(query, args or []) as cursor:
            return await cursor.fetchall()

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.deferred,
        allow_nested: bool = True,
    ) -> SQLiteTransaction:
        return _SerialTransaction(
            engine=self, transaction_type=transaction_type, allow_nested=allow_nested
        )

    async def close_connections(self) -> None:
        loop = asyncio.get_running_loop()
        for connection in self._connections.pop(loop, {}).values():
            await connection.close()


def make_engine(database_url: str) -> Engine[Any]:
    """Build the Piccolo engine for a DATABASE_URL."""
    if database_url.startswith("sqlite"):
        path = Path(unquote(database_url.removeprefix("sqlite:///")))
        path.parent.mkdir(parents=True, exist_ok=True)
        return PersistentSQLiteEngine(path=str(path), timeout=60)
    parts = urlsplit(database_url)
    dsn = database_url.replace(f"{parts.scheme}://", "postgresql://", 1)
    return LoopPoolPostgresEngine(config={"dsn": dsn})


def get_engine() -> Engine[Any]:
    engine = engine_finder()
    if engine is None:  # pragma: no cover - piccolo_conf always defines DB
        raise RuntimeError("No Piccolo engine is configured (piccolo_conf.DB)")
    return engine


def is_sqlite() -> bool:
    return isinstance(get_engine(), SQLiteEngine)


def _write_lock() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    lock = _write_locks.get(loop)
    if lock is None:
        lock = _write_locks[loop] = asyncio.Lock()
    return lock


@asynccontextmanager
async def write_transaction() -> AsyncIterator[None]:
    """One transaction for several writes, committed together or not at all."""
    engine = get_engine()
    if engine.current_transaction.get() is not None:
        yield  # already inside one: the outer transaction commits
        return
    if isinstance(engine, SQLiteEngine):
        async with engine.transaction(TransactionType.immediate):
            yield
    else:
        async with engine.transaction():
            yield


async def start_engine() -> None:
    """Open the pool on PostgreSQL; turn on WAL on SQLite."""
    engine = get_engine()
    if isinstance(engine, PostgresEngine):
        if engine.pool is None:
            await engine.start_connection_pool(min_size=2, max_size=20)
    else:
        await engine.run_ddl("PRAGMA journal_mode=WAL")


async def stop_engine() -> None:
    engine = get_engine()
    if isinstance(engine, PostgresEngine) and engine.pool is not None:
        await engine.close_connection_pool()
    if isinstance(engine, PersistentSQLiteEngine):
        await engine.close_connections()


async def ping() -> bool:
    """True when the database answers a trivial query."""
    try:
        await asyncio.wait_for(get_engine().run_ddl("SELECT 1"), timeout=3)
    except Exception:
        return False
    return True
