"""Live updates across processes over PostgreSQL LISTEN/NOTIFY, surviving restarts.

Litestar's AsyncPgChannelsBackend listens on one connection opened at start-up
and never opens another: after a restart of the database the live door
dashboard stayed silent until the web process was restarted too. It also opens
a connection per message published, and an error there ends the plugin's
publishing task for good. This backend keeps a listener connection, notices when
it dies and connects again (backing off while the database is down), listens
again on every channel, and then tells each channel's subscribers to catch up
(RESYNC), since what was published meanwhile is lost. Publishing reuses one
connection and drops a message it cannot send: a live update is a hint to
refresh, never the record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Iterable
from typing import Any

import asyncpg
from litestar.channels import ChannelsBackend

log = logging.getLogger("fairground.channels")

RESYNC = b'{"result": "resync"}'
CONNECT_TIMEOUT = 5.0
RETRY_FIRST, RETRY_MAX = 0.5, 10.0  # seconds between attempts while the database is down
PING_EVERY = 30.0  # a connection that died silently (no FIN) is found by a ping
_DEAD = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


class ResilientPgChannelsBackend(ChannelsBackend):
    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._channels: set[str] = set()
        self._queue: asyncio.Queue[tuple[str, bytes]] | None = None
        self._listener: asyncpg.Connection | None = None
        self._publisher: asyncpg.Connection | None = None
        self._lost = asyncio.Event()
        self._subscribing = asyncio.Lock()
        self._publishing = asyncio.Lock()
        self._watch: asyncio.Task[None] | None = None

    async def on_startup(self) -> None:
        self._queue = asyncio.Queue()
        self._watch = asyncio.create_task(self._keep_listening())

    async def on_shutdown(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        for connection in (self._listener, self._publisher):
            if connection is not None:
                with contextlib.suppress(Exception):
                    await connection.close(timeout=2)
        self._listener = self._publisher = None
        self._channels.clear()
        self._queue = None

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        payload, channels = data.decode("utf-8"), list(channels)
        async with self._publishing:
            for _ in range(2):  # the kept connection may have died since the last message
                try:
                    if self._publisher is None or self._publisher.is_closed():
                        self._publisher = await self._connect()
                    for channel in channels:
                        await self._publisher.execute("SELECT pg_notify($1, $2)", channel, payload)
                    return
                except _DEAD as exc:
                    self._publisher, error = None, exc
            log.warning("live update not sent, database unavailable (%s)", error)

    async def subscribe(self, channels: Iterable[str]) -> None:
        async with self._subscribing:
            for channel in set(channels) - self._channels:
                self._channels.add(channel)
                await self._listen(channel)

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        async with self._subscribing:
            for channel in set(channels) & self._channels:
                self._channels.discard(channel)
                if self._listener is not None:
                    with contextlib.suppress(*_DEAD):
                        await self._listener.remove_listener(channel, self._deliver)

    async def stream_events(self) -> AsyncGenerator[tuple[str, bytes], None]:
        if self._queue is None:
            raise RuntimeError("Backend not yet initialized. Did you forget to call on_startup?")
        while True:
            channel, message = await self._queue.get()
            if channel in self._channels:  # an UNLISTEN may have crossed this message
                yield channel, message

    async def get_history(self, channel: str, limit: int | None = None) -> list[bytes]:
        raise NotImplementedError

    # --- the listener connection --------------------------------------------------

    async def _connect(self) -> asyncpg.Connection:
        return await asyncpg.connect(dsn=self._dsn, timeout=CONNECT_TIMEOUT)

    async def _listen(self, channel: str) -> None:
        """LISTEN on the current connection; if it has died, the watcher reconnects."""
        if self._listener is None:
            return  # not connected: the watcher listens on every channel when it is
        try:
            await self._listener.add_listener(channel, self._deliver)
        except _DEAD:
            self._lost.set()

    async def _keep_listening(self) -> None:
        delay, first = RETRY_FIRST, True
        while True:
            try:
                await self._attach()
            except _DEAD as exc:
                log.warning("live updates paused, database unavailable (%s)", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
                continue
            if not first:
                log.info("live updates resumed")
                self._resync()
            delay, first = RETRY_FIRST, False
            await self._watch_connection()

    async def _attach(self) -> None:
        connection = await self._connect()
        # One event per connection: a late callback from the last one sets its own.
        lost = self._lost = asyncio.Event()
        connection.add_termination_listener(lambda _: lost.set())
        async with self._subscribing:
            try:
                for channel in self._channels:
                    await connection.add_listener(channel, self._deliver)
            except BaseException:
                connection.terminate()
                raise
            self._listener = connection

    async def _watch_connection(self) -> None:
        """Return once the listener connection is gone (closed, or no answer to a ping)."""
        listener, lost = self._listener, self._lost
        assert listener is not None
        while True:
            try:
                await asyncio.wait_for(lost.wait(), PING_EVERY)
                break
            except TimeoutError:
                pass
            try:
                await listener.execute("SELECT 1", timeout=CONNECT_TIMEOUT)
            except _DEAD:  # TimeoutError is an OSError
                break
        self._listener = None
        listener.terminate()

    def _resync(self) -> None:
        if self._queue is not None:
            for channel in self._channels:
                self._queue.put_nowait((channel, RESYNC))

    def _deliver(self, connection: Any, pid: int, channel: str, payload: object) -> None:
        if self._queue is not None and isinstance(payload, str):
            self._queue.put_nowait((channel, payload.encode("utf-8")))
