"""The database engine and the one way we write: short transactions.

On SQLite, concurrent writers make SQLite's busy handler sleep (seconds of
tail latency), so writes inside one process take turns on an asyncio lock and
open with BEGIN IMMEDIATE. On PostgreSQL, transactions run side by side and
rely on conditional updates and row locks.

When the database cannot be reached (PostgreSQL stopped or restarting, the
SQLite file locked by another process past the busy timeout) the engines raise
DatabaseUnavailable, which the web layer answers with 503 and Retry-After. A
failed transaction is rolled back and its connection handed back, so the app
recovers by itself when the database is back: the asyncpg pool replaces dead
connections, and the SQLite writer is reopened if it was left mid-transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import sqlite3
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

import aiosqlite
import asyncpg
from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.querystring import QueryString

from fairground.errors import Invalid

log = logging.getLogger("fairground.db")
T = TypeVar("T")

_write_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


NUL_DETAIL = "Text must not contain NUL characters"
# How long a write waits for SQLite's lock (held by another process) and, before
# that, for its turn among this process's writers. A door scanner gives up after
# 4 s and answers offline; a clear 503 soon after is better than a minute's wait.
BUSY_TIMEOUT_SECONDS = 5.0
RETRY_AFTER_SECONDS = 5  # what a 503 tells clients: a PostgreSQL restart takes a few


class DatabaseUnavailable(Exception):
    """The database cannot be reached just now: stopped, restarting, or locked by
    another process. The transaction that met it was rolled back."""


# The PostgreSQL errors that mean "no database here for the moment", as opposed to
# a bad query: connection failures (08xxx, and asyncpg's "connection was closed in
# the middle of operation"), shutdown and start-up (57P01-57P03), too many clients.
_PG_UNAVAILABLE = (
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
)
_SQLITE_UNAVAILABLE = ("database is locked", "database is busy", "unable to open database")


def is_unavailable(exc: BaseException) -> bool:
    """True for a driver error that says the database is away, not that a query is wrong."""
    if isinstance(exc, (DatabaseUnavailable, OSError, *_PG_UNAVAILABLE)):
        return True  # OSError: refused, reset or timed out while connecting
    if isinstance(exc, asyncpg.exceptions.InterfaceError):
        # "connection is closed", "pool is closed"; and the pool takes back a
        # connection that died inside a transaction: "… released back to the pool".
        return "closed" in str(exc) or "released back to the pool" in str(exc)
    if isinstance(exc, asyncpg.exceptions.InternalClientError):
        # A pooled connection the server has just terminated, caught between the
        # FATAL message and the socket closing ("cannot switch to state …").
        return not isinstance(exc, asyncpg.exceptions.OutdatedSchemaCacheError)
    if isinstance(exc, sqlite3.OperationalError):
        return str(exc).startswith(_SQLITE_UNAVAILABLE)
    return False


@contextlib.contextmanager
def unavailable_as_error() -> Iterator[None]:
    """Driver errors meaning "the database is away" become DatabaseUnavailable."""
    try:
        yield
    except DatabaseUnavailable:
        raise
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        raise DatabaseUnavailable(f"{type(exc).__name__}: {exc}") from exc


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
        with unavailable_as_error():
            return await super().run_querystring(querystring, in_pool)

    async def run_ddl(self, ddl: str, in_pool: bool = True) -> Any:
        with unavailable_as_error():
            return await super().run_ddl(ddl, in_pool)

    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        return _PostgresTransaction(engine=self, allow_nested=allow_nested)


class _PostgresTransaction(PostgresTransaction):
    """Piccolo's transaction, made safe for a connection that dies under it.

    Piccolo's own neither hands the connection back to the pool nor clears the
    current transaction when BEGIN, COMMIT or ROLLBACK raises: after a restart of
    the server a long-lived task (the worker) kept the dead transaction as its
    current one, and the error reported was the failed ROLLBACK's rather than the
    one that ended the transaction. Here both always happen; a failed ROLLBACK on a
    lost connection is ignored (the server rolled back when the connection died)."""

    async def __aenter__(self) -> PostgresTransaction:
        if self._parent is not None:
            return self._parent
        with unavailable_as_error():
            try:
                await self._begin()
            except Exception as exc:
                if not is_unavailable(exc):
                    raise
                # A pooled connection that died with a restart: nothing was sent
                # yet, so take another (the pool replaces dead ones) and begin again.
                await self._begin()
        self.context = self.engine.current_transaction.set(self)
        return self

    async def _begin(self) -> None:
        self.connection = await self.get_connection()  # type: ignore[no-untyped-call]
        try:
            self.transaction = self.connection.transaction()
            await self.begin()  # type: ignore[no-untyped-call]
        except BaseException:
            await self._hand_back()
            raise

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        try:
            with unavailable_as_error():
                await self._finish(exception is not None)
        finally:
            self.engine.current_transaction.reset(self.context)
            await self._hand_back()
        return exception is None

    async def _finish(self, failed: bool) -> None:
        if not failed:
            if not self._committed and not self._rolled_back:
                await self.commit()  # type: ignore[no-untyped-call]
            return
        if self._rolled_back:
            return
        try:
            await self.rollback()  # type: ignore[no-untyped-call]
        except Exception as exc:
            # On a lost connection the server has rolled back already: the error
            # that ended the transaction is the one to report, not this one.
            if not is_unavailable(exc):
                raise

    async def _hand_back(self) -> None:
        with contextlib.suppress(Exception):
            if self.engine.pool:
                await self.engine.pool.release(self.connection)
            else:
                await self.connection.close()


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
        asked = time.monotonic()
        try:
            async with asyncio.timeout(BUSY_TIMEOUT_SECONDS):
                await self._lock.acquire()
        except TimeoutError:
            # The writer ahead has been waiting on another process's lock all this time.
            raise DatabaseUnavailable("database is locked: no turn to write") from None
        try:
            if self.engine.locked_at > asked:
                # The writer ahead gave up on that lock while this one waited: so
                # would this one, after as long again.
                raise DatabaseUnavailable("database is locked")
            with unavailable_as_error():
                return await super().__aenter__()
        except DatabaseUnavailable:
            self.engine.locked_at = time.monotonic()
            self._lock.release()
            raise
        except BaseException:
            self._lock.release()
            raise

    async def get_connection(self) -> Any:
        return _KeepOpen(await self.engine.shared_connection("write"))

    async def __aexit__(self, *exc: Any) -> bool:
        if self._parent is not None:
            return await super().__aexit__(*exc)
        try:
            with unavailable_as_error():
                return await super().__aexit__(*exc)
        except BaseException:
            # COMMIT or ROLLBACK failed: Piccolo left this transaction current, and
            # the kept-open writer may still be inside it. Start the next one afresh.
            self.engine.current_transaction.reset(self.context)
            await self.engine.drop_connection("write")
            raise
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
        self.locked_at = -math.inf  # when a write last gave up on another process's lock
        self._connections: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[str, aiosqlite.Connection]
        ] = weakref.WeakKeyDictionary()

    async def run_querystring(self, querystring: QueryString, in_pool: bool = False) -> Any:
        refuse_nul(querystring.args)  # SQLite would keep it; the same rule as PostgreSQL
        with unavailable_as_error():
            return await super().run_querystring(querystring, in_pool)

    async def run_ddl(self, ddl: str, in_pool: bool = False) -> Any:
        with unavailable_as_error():
            return await super().run_ddl(ddl, in_pool)

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
                    transaction.connection, query, args, query_type, table
                )
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

    async def drop_connection(self, role: str) -> None:
        """Close a kept-open connection (rolling back whatever it was inside); the
        next query opens a fresh one."""
        connection = self._connections.get(asyncio.get_running_loop(), {}).pop(role, None)
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close()
            log.warning("reopening the SQLite %s connection after a failed transaction", role)

    async def close_connections(self) -> None:
        loop = asyncio.get_running_loop()
        for connection in self._connections.pop(loop, {}).values():
            await connection.close()


def make_engine(database_url: str) -> Engine[Any]:
    """Build the Piccolo engine for a DATABASE_URL."""
    if database_url.startswith("sqlite"):
        path = Path(unquote(database_url.removeprefix("sqlite:///")))
        path.parent.mkdir(parents=True, exist_ok=True)
        return PersistentSQLiteEngine(path=str(path), timeout=BUSY_TIMEOUT_SECONDS)
    parts = urlsplit(database_url)
    dsn = database_url.replace(f"{parts.scheme}://", "postgresql://", 1)
    return LoopPoolPostgresEngine(config={"dsn": dsn})


_engine: list[Engine[Any]] = []


def get_engine() -> Engine[Any]:
    """piccolo_conf's engine, found once per process (as Piccolo's tables keep theirs:
    engine_finder imports the configuration module on every call)."""
    if not _engine:
        engine = engine_finder()
        if engine is None:  # pragma: no cover - piccolo_conf always defines DB
            raise RuntimeError("No Piccolo engine is configured (piccolo_conf.DB)")
        _engine.append(engine)
    return _engine[0]


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


class _Pending:
    """One caller's work in a group commit, and where its outcome goes."""

    __slots__ = ("future", "taken", "work")

    def __init__(self, work: Callable[[sqlite3.Connection], Any], future: Any) -> None:
        self.work, self.future, self.taken = work, future, False


_batches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, list[_Pending]] = (
    weakref.WeakKeyDictionary()
)


def _run_batch(
    conn: sqlite3.Connection, batch: list[_Pending], loop: asyncio.AbstractEventLoop
) -> bool:
    """In the writer's thread: BEGIN IMMEDIATE, each caller's work under a savepoint of
    its own (undone alone if it raises), one COMMIT for all. Every outcome reaches
    its caller's future, even if the task that ran the batch was cancelled meanwhile.
    True when the connection was left inside a transaction (to be reopened)."""

    def deliver(item: _Pending, result: Any = None, error: BaseException | None = None) -> None:
        def settle() -> None:
            if item.future.done():
                return
            if error is not None:
                item.future.set_exception(error)
            else:
                item.future.set_result(result)

        loop.call_soon_threadsafe(settle)

    try:
        conn.execute("BEGIN IMMEDIATE")
    except BaseException as exc:
        for item in batch:
            deliver(item, error=exc)
        return False
    outcomes: list[tuple[_Pending, Any, BaseException | None]] = []
    for item in batch:
        conn.execute("SAVEPOINT grouped")
        try:
            result = item.work(conn)
        except Exception as exc:
            conn.execute("ROLLBACK TO grouped")
            conn.execute("RELEASE grouped")
            outcomes.append((item, None, exc))
            continue
        conn.execute("RELEASE grouped")
        outcomes.append((item, result, None))
    try:
        conn.execute("COMMIT")
    except BaseException as exc:
        with contextlib.suppress(Exception):
            conn.execute("ROLLBACK")
        for item, _, _ in outcomes:  # all or nothing: none of them was saved
            deliver(item, error=exc)
        return conn.in_transaction
    for item, result, error in outcomes:
        deliver(item, result, error)
    return False


async def run_on_sqlite_writer(work: Callable[[sqlite3.Connection], T]) -> T:
    """Run `work(connection)` in the SQLite writer's own thread, inside a
    BEGIN IMMEDIATE … COMMIT: one hand-off between the event loop and the aiosqlite
    thread, where a Piccolo transaction makes two or three per statement. For hot
    paths with pre-built SQL (registrations.checkin).

    Group commit: calls that arrive while the writer is busy wait together, and the
    first of them to get its turn runs them all in one transaction, each under a
    savepoint of its own: a call whose work raises is undone alone and gets its
    exception; if the COMMIT fails, every one of them gets the error and none was
    saved. So each stays all-or-nothing for its caller. Turns are taken among this
    process's writers (write_transaction's too) with the same busy rules; not to be
    nested in a Piccolo transaction."""
    engine = get_engine()
    assert isinstance(engine, PersistentSQLiteEngine)
    if engine.current_transaction.get() is not None:
        raise RuntimeError("run_on_sqlite_writer inside a Piccolo transaction")
    loop = asyncio.get_running_loop()
    mine = _Pending(work, loop.create_future())
    _batches.setdefault(loop, []).append(mine)
    lock = _write_lock()
    asked = time.monotonic()
    try:
        async with asyncio.timeout(BUSY_TIMEOUT_SECONDS):
            await lock.acquire()
    except TimeoutError:
        if not mine.taken:  # nobody ran it: withdraw it
            _batches[loop].remove(mine)
            raise DatabaseUnavailable("database is locked: no turn to write") from None
        with unavailable_as_error():
            return await mine.future
    except asyncio.CancelledError:
        if not mine.taken:
            _batches[loop].remove(mine)
        raise
    try:
        if not mine.taken:  # the first of the waiting ones: run them all
            batch, _batches[loop] = _batches[loop], []
            for item in batch:
                item.taken = True
            if engine.locked_at > asked:
                error = DatabaseUnavailable("database is locked")  # see _SerialTransaction
                for item in batch:
                    item.future.set_exception(error)
            else:
                await _run_taken(engine, batch, loop)
    finally:
        lock.release()
    with unavailable_as_error():
        return await mine.future


async def _run_taken(
    engine: PersistentSQLiteEngine, batch: list[_Pending], loop: asyncio.AbstractEventLoop
) -> None:
    try:
        connection = await engine.shared_connection("write")
        broken = await connection._execute(_run_batch, connection._conn, batch, loop)  # type: ignore[no-untyped-call]
    except BaseException as exc:
        for item in batch:
            if not item.future.done():
                item.future.set_exception(exc)
        await engine.drop_connection("write")  # it may be inside the batch's transaction
        raise
    await asyncio.sleep(0)  # let the thread's call_soon_threadsafe settle the futures
    if broken:
        await engine.drop_connection("write")
    if any(
        f.done()
        and not f.cancelled()
        and f.exception() is not None
        and is_unavailable(f.exception())
        for f in (item.future for item in batch)
    ):
        engine.locked_at = time.monotonic()


def postgres_pool() -> Any:
    """The asyncpg pool of this event loop (PostgreSQL only), for pre-built SQL."""
    engine = get_engine()
    assert isinstance(engine, PostgresEngine)
    return engine.pool


async def fetch_one(sqlite_sql: str, postgres_sql: str, *args: Any) -> dict[str, Any] | None:
    """One row of a pre-built read (`?` placeholders on SQLite, `$n` on PostgreSQL), or
    None: on SQLite one hand-off to the kept-open reader's thread (execute, fetch and
    close together, where aiosqlite's cursor makes three), on PostgreSQL one pooled
    fetchrow. For hot paths where Piccolo's query building shows in the profile."""
    refuse_nul(args)
    engine = get_engine()
    with unavailable_as_error():
        if isinstance(engine, PersistentSQLiteEngine):
            connection = await engine.shared_connection("read")
            raw = connection._conn

            def read() -> Any:
                return raw.execute(sqlite_sql, args).fetchone()

            row: Any = await connection._execute(read)  # type: ignore[no-untyped-call]
            return dict(row) if row is not None else None
        pool = postgres_pool()
        if pool is None:  # a process without the web app's pool (a worker, a test): one
            assert isinstance(engine, PostgresEngine)
            conn = await engine.get_new_connection()
            try:
                row = await conn.fetchrow(postgres_sql, *args)
            finally:
                await conn.close()
        else:
            row = await pool.fetchrow(postgres_sql, *args)
        return dict(row) if row is not None else None
