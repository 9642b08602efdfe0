"""A Litestar store kept in the database, so every process shares sessions and counters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from litestar.stores.base import NamespacedStore

from fairground.tables import StoreEntry


def _now() -> datetime:
    return datetime.now(UTC)


def _expiry(expires_in: int | timedelta | None) -> datetime | None:
    if expires_in is None:
        return None
    seconds = expires_in.total_seconds() if isinstance(expires_in, timedelta) else expires_in
    return _now() + timedelta(seconds=seconds)


class DatabaseStore(NamespacedStore):
    """Key-value rows in `store_entry`; expired rows read as absent."""

    def __init__(self, namespace: str = "default") -> None:
        super().__init__()
        self.namespace = namespace

    def with_namespace(self, namespace: str) -> DatabaseStore:
        return DatabaseStore(f"{self.namespace}:{namespace}")

    def _key(self, key: str) -> str:
        return f"{self.namespace}:{key}"[:250]

    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        data = value.encode() if isinstance(value, str) else value
        full_key = self._key(key)
        await StoreEntry.insert(
            StoreEntry(key=full_key, value=data, expires_at=_expiry(expires_in))
        ).on_conflict(
            target=StoreEntry.key,
            action="DO UPDATE",
            values=[StoreEntry.value, StoreEntry.expires_at],
        )

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        row = (
            await StoreEntry.select(StoreEntry.value, StoreEntry.expires_at)
            .where(StoreEntry.key == self._key(key))
            .first()
        )
        if row is None:
            return None
        if row["expires_at"] is not None and row["expires_at"] <= _now():
            await self.delete(key)
            return None
        if renew_for is not None and row["expires_at"] is not None:
            await StoreEntry.update({StoreEntry.expires_at: _expiry(renew_for)}).where(
                StoreEntry.key == self._key(key)
            )
        return bytes(row["value"])

    async def delete(self, key: str) -> None:
        await StoreEntry.delete().where(StoreEntry.key == self._key(key))

    async def delete_all(self) -> None:
        await StoreEntry.delete().where(StoreEntry.key.like(f"{self.namespace}:%"))

    async def delete_expired(self) -> None:
        await StoreEntry.delete().where(StoreEntry.expires_at < _now())

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        row = (
            await StoreEntry.select(StoreEntry.expires_at)
            .where(StoreEntry.key == self._key(key))
            .first()
        )
        if row is None or row["expires_at"] is None:
            return None
        return max(0, int((row["expires_at"] - _now()).total_seconds()))
