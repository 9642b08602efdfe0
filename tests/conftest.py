"""Test set-up: one real database per run (SQLite or PostgreSQL), migrated from empty.

`TEST_DATABASE=postgres make test` (or `make test`, which runs both) picks the
engine. The schema is made once per session by running the migrations forwards,
and every table is emptied after each test.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

ENGINE = os.environ.get("TEST_DATABASE", "sqlite")
PG_ADMIN = os.environ.get("TEST_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")
PG_NAME = f"fairground_test_{os.getpid()}"
_TMP = Path(tempfile.mkdtemp(prefix="fairground-test-"))


def _configure_environment() -> None:
    os.environ["VAR_DIR"] = str(_TMP / "var")
    os.environ.setdefault("RATE_LIMIT_PER_MINUTE", "0")
    os.environ["BASE_URL"] = "http://testserver.local"
    os.environ["MAIL_FROM"] = "Fairground <fairground@example.org>"
    os.environ.pop("SMTP_URL", None)
    if ENGINE == "postgres":
        os.environ["DATABASE_URL"] = PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_NAME
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{_TMP / 'test.sqlite3'}"


async def _create_pg_database() -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}"')
        await conn.execute(f'CREATE DATABASE "{PG_NAME}"')
    finally:
        await conn.close()


async def _drop_pg_database() -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
    finally:
        await conn.close()


_configure_environment()


def _cheap_password_hashing() -> None:
    # Real argon2, at its cheapest: the tests make many users and sign in often.
    from argon2 import PasswordHasher

    from fairground import accounts

    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    # The stand-in an unknown email is checked against, at the same (cheap) cost.
    accounts._DUMMY_HASH = accounts._hasher.hash("not anyone's password")


_cheap_password_hashing()
if ENGINE == "postgres":
    asyncio.run(_create_pg_database())


def pytest_report_header() -> str:
    return f"fairground test database: {ENGINE} ({os.environ['DATABASE_URL']})"


@pytest.fixture(scope="session", autouse=True)
async def migrated_database() -> AsyncIterator[None]:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from fairground.seed import seed_reference_data

    with contextlib.redirect_stdout(io.StringIO()):
        result = await run_forwards(app_name="all")
    assert result.success, result.message
    await seed_reference_data()
    from fairground.db import start_engine, stop_engine

    await start_engine()  # the tests' own pool, in the tests' loop
    yield
    await stop_engine()
    if ENGINE == "postgres":
        await _drop_pg_database()
    shutil.rmtree(_TMP, ignore_errors=True)


def all_tables() -> list[type]:
    from piccolo.conf.apps import Finder
    from piccolo.table import sort_table_classes

    return sort_table_classes(Finder().get_table_classes())


@pytest.fixture(autouse=True)
async def clean_database(migrated_database: None) -> AsyncIterator[None]:
    yield
    from fairground.db import get_engine, is_sqlite
    from fairground.seed import seed_reference_data

    tables = all_tables()
    if is_sqlite():
        for table in reversed(tables):
            await table.delete(force=True)
    else:
        names = ", ".join(f'"{t._meta.tablename}"' for t in tables)
        await get_engine().run_ddl(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    await seed_reference_data()
    mail_dir = Path(os.environ["VAR_DIR"]) / "mail"
    shutil.rmtree(mail_dir, ignore_errors=True)


@pytest.fixture
async def client() -> AsyncIterator[object]:
    from litestar.testing import AsyncTestClient

    from app import create_app

    async with AsyncTestClient(app=create_app(), base_url="http://testserver.local") as test_client:
        test_client.follow_redirects = False
        yield test_client


@pytest.fixture
def var_dir() -> Iterator[Path]:
    yield Path(os.environ["VAR_DIR"])
