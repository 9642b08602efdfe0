"""fairground.db.run_on_sqlite_writer: writes waiting for the SQLite writer share one
transaction, and each stays all-or-nothing for its caller."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from fairground.db import run_on_sqlite_writer, write_transaction
from fairground.tables import Organisation
from tests.conftest import ENGINE

pytestmark = pytest.mark.skipif(ENGINE != "sqlite", reason="SQLite's writer only")


def _insert(name: str, fail_after: bool = False) -> object:
    def work(conn: sqlite3.Connection) -> str:
        conn.execute("INSERT INTO organisation (name, kind) VALUES (?, 'other')", (name,))
        if fail_after:
            raise ValueError(name)
        return name

    return work


async def _names() -> set[str]:
    return {row["name"] for row in await Organisation.select(Organisation.name)}


async def test_waiting_writes_share_a_transaction_and_fail_alone() -> None:
    # Hold the writer so that the calls below queue up and run as one batch.
    release = asyncio.Event()

    async def hold() -> None:
        async with write_transaction():
            await release.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0.05)
    names = [f"Group {i}" for i in range(6)]
    calls = [
        asyncio.create_task(run_on_sqlite_writer(_insert(name, fail_after=(i == 2))))  # type: ignore[arg-type]
        for i, name in enumerate(names)
    ]
    await asyncio.sleep(0.05)
    release.set()
    await holder
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert isinstance(results[2], ValueError)  # its own error, and its insert undone
    assert [r for i, r in enumerate(results) if i != 2] == [
        n for i, n in enumerate(names) if i != 2
    ]
    stored = await _names()
    assert names[2] not in stored
    assert set(names) - {names[2]} <= stored


async def test_a_unique_violation_reaches_its_caller_only() -> None:
    await run_on_sqlite_writer(_insert("Only once"))  # type: ignore[arg-type]
    again, other = await asyncio.gather(
        run_on_sqlite_writer(_insert("Only once")),  # type: ignore[arg-type]
        run_on_sqlite_writer(_insert("Someone else")),  # type: ignore[arg-type]
        return_exceptions=True,
    )
    assert isinstance(again, sqlite3.IntegrityError)
    assert other == "Someone else"
    assert {"Only once", "Someone else"} <= await _names()
    # The writer is usable afterwards, by Piccolo's transactions too.
    async with write_transaction():
        await Organisation.insert(Organisation(name="After", kind="other"))
    assert "After" in await _names()
