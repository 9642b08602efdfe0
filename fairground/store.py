"""A Litestar store kept in the database, so every process shares sessions and counters."""

from __future__ import annotations

import json
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Allowance:
    """At most `limit` uses in any `window`, at least `gap` apart."""

    gap: timedelta
    window: timedelta
    limit: int

    def allows(self, uses: list[datetime], now: datetime) -> bool:
        recent = [used for used in uses if used > now - self.window]
        if len(recent) >= self.limit:
            return False
        return not recent or now - max(recent) >= self.gap


def _uses(raw: bytes | None, now: datetime, window: timedelta) -> list[datetime]:
    if not raw:
        return []
    uses = [datetime.fromisoformat(text) for text in json.loads(raw)]
    return [used for used in uses if used > now - window]


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

    async def take(self, key: str, allowance: Allowance, now: datetime | None = None) -> bool:
        """Use the allowance named `key` once, if it allows it now. Shared by every
        process without a race: the row changes only if no one changed it since it
        was read (a compare-and-swap on its value), and a lost race counts as used."""
        now = now or _now()
        full_key = self._key(key)
        row = await StoreEntry.select(StoreEntry.value).where(StoreEntry.key == full_key).first()
        old = bytes(row["value"]) if row is not None else None
        uses = _uses(old, now, allowance.window)
        if not allowance.allows(uses, now):
            return False
        new = json.dumps([used.isoformat() for used in [*uses, now]]).encode()
        expires_at = now + allowance.window
        if old is None:
            inserted = (
                await StoreEntry.insert(StoreEntry(key=full_key, value=new, expires_at=expires_at))
                .on_conflict(target=StoreEntry.key, action="DO NOTHING")
                .returning(StoreEntry.id)
            )
            return bool(inserted)
        updated = (
            await StoreEntry.update({StoreEntry.value: new, StoreEntry.expires_at: expires_at})
            .where((StoreEntry.key == full_key) & (StoreEntry.value == old))
            .returning(StoreEntry.id)
        )
        return bool(updated)
