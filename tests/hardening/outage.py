"""A database that can be taken away, with a live server on it.

On PostgreSQL: a private cluster (initdb into a temporary directory, a free
port, its own socket directory), stopped, started and restarted with pg_ctl.
The machine's main cluster on port 5432 is never touched. On SQLite: a private
file, made unavailable by another process holding its write lock (BEGIN
EXCLUSIVE). Either way the database is migrated and seeded by
tests/hardening/fault_seed.py in a subprocess, and served by `uvicorn app:app`
(tests/e2e/conftest.py serve_app) pointed at it.
"""

from __future__ import annotations

import asyncio
import glob
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from tests.e2e.conftest import ROOT, serve_app
from tests.servers import free_port as _free_port

SEED_TIMEOUT = 120


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"no PostgreSQL {name} under /usr/lib/postgresql/*/bin")
    return found[-1]


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the postgres OS user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class PrivatePostgres:
    """A throwaway PostgreSQL cluster of our own, on a free port."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.port = _free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/fairground"
        if os.geteuid() == 0:
            shutil.chown(root, "postgres")
        initdb = [_pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust"]
        self._run([*initdb, "-E", "UTF8", "--locale=C", "--no-sync"])

    def _run(self, command: list[str]) -> None:
        subprocess.run(_as_postgres(command), check=True, capture_output=True, timeout=60)

    def _control(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.root / "postgres.log")
        command = [_pg_bin("pg_ctl"), "-D", str(self.data), "-l", log, "-w", "-t", "60"]
        self._run([*command, "-o", options, *extra, action])

    def start(self) -> None:
        self._control("start")

    def stop(self) -> None:
        """Fast shutdown: sessions are terminated, queries in flight fail."""
        self._control("stop", "-m", "fast")

    def restart(self) -> None:
        self._control("restart", "-m", "fast")

    async def create_database(self) -> None:
        connection = await asyncpg.connect(self.url.rsplit("/", 1)[0] + "/postgres")
        try:
            await connection.execute("CREATE DATABASE fairground")
        finally:
            await connection.close()

    def destroy(self) -> None:
        subprocess.run(
            _as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]),
            capture_output=True,
            timeout=60,
            check=False,
        )


class SqliteLock:
    """Another process that takes and holds the SQLite file's write lock on request."""

    SCRIPT = (
        "import sqlite3, sys\n"
        "db = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)\n"
        "print('ready', flush=True)\n"
        "for line in sys.stdin:\n"
        "    db.execute('BEGIN EXCLUSIVE' if line.strip() == 'lock' else 'COMMIT')\n"
        "    print('done', flush=True)\n"
    )

    def __init__(self, path: Path) -> None:
        self.path = path
        self.process: asyncio.subprocess.Process | None = None

    async def _say(self, line: str) -> None:
        assert self.process is not None and self.process.stdin and self.process.stdout
        if line:
            self.process.stdin.write(f"{line}\n".encode())
            await self.process.stdin.drain()
        answer = await asyncio.wait_for(self.process.stdout.readline(), 60)
        assert answer.strip() in (b"ready", b"done"), answer

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            self.SCRIPT,
            str(self.path),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        await self._say("")

    async def take(self) -> None:
        await self._say("lock")

    async def release(self) -> None:
        await self._say("release")

    async def close(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


@dataclass
class Outage:
    """What a test needs: the database, how to take it away, and the seeded fair."""

    engine: str
    url: str
    var_dir: Path
    world: dict[str, Any] = field(default_factory=dict)
    base_url: str = ""
    postgres: PrivatePostgres | None = None
    lock: SqliteLock | None = None

    async def begin(self) -> None:
        """The database goes away (PostgreSQL stopped; SQLite locked)."""
        if self.postgres is not None:
            await asyncio.to_thread(self.postgres.stop)
        else:
            assert self.lock is not None
            await self.lock.take()

    async def end(self) -> None:
        if self.postgres is not None:
            await asyncio.to_thread(self.postgres.start)
        else:
            assert self.lock is not None
            await self.lock.release()

    def server_log(self, lines: int = 60) -> str:
        """The end of the live server's log (tests/e2e/conftest.py serve_app), for failures."""
        port = self.base_url.rsplit(":", 1)[-1]
        log = Path(os.environ["VAR_DIR"]).parent / f"live-server-{port}.log"
        text = log.read_text(errors="replace") if log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    async def query(self, sql: str) -> list[dict[str, Any]]:
        """Read the private database directly (not through the app under test)."""
        if self.postgres is None:
            with sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=30) as db:
                db.row_factory = sqlite3.Row
                return [dict(row) for row in db.execute(sql)]
        connection = await asyncpg.connect(self.url)
        try:
            return [dict(row) for row in await connection.fetch(sql)]
        finally:
            await connection.close()


def _env(outage: Outage) -> dict[str, str]:
    keys = str(outage.var_dir / "keys")
    return {
        "DATABASE_URL": outage.url,
        "VAR_DIR": str(outage.var_dir),
        "TICKET_SIGNING_KEY_DIR": keys,
    }


def _seed(outage: Outage, tickets: int) -> dict[str, Any]:
    out = outage.var_dir.parent / "world.json"
    subprocess.run(
        [sys.executable, "-m", "tests.hardening.fault_seed", str(tickets), str(out)],
        cwd=ROOT,
        env={**os.environ, **_env(outage)},
        check=True,
        timeout=SEED_TIMEOUT,
    )
    world: dict[str, Any] = json.loads(out.read_text())
    return world


@asynccontextmanager
async def private_database(engine: str) -> AsyncIterator[Outage]:
    """A fresh private database for `engine` ("postgres" or "sqlite"), torn down after."""
    root = Path(tempfile.mkdtemp(prefix="fairground-fault-"))
    outage = Outage(engine, f"sqlite:///{root / 'fault.sqlite3'}", root / "var")
    try:
        if engine == "postgres":
            root.chmod(0o755)  # the postgres OS user works in root/pg
            (root / "pg").mkdir()
            outage.postgres = await asyncio.to_thread(PrivatePostgres, root / "pg")
            outage.url = outage.postgres.url
            await asyncio.to_thread(outage.postgres.start)
            await outage.postgres.create_database()
        else:
            outage.lock = SqliteLock(Path(outage.url.removeprefix("sqlite:///")))
            await outage.lock.start()
        yield outage
    finally:
        if outage.postgres is not None:
            await asyncio.to_thread(outage.postgres.destroy)
        if outage.lock is not None:
            await outage.lock.close()
        shutil.rmtree(root, ignore_errors=True)


@asynccontextmanager
async def fair_on_private_database(engine: str, tickets: int) -> AsyncIterator[Outage]:
    """private_database, migrated and seeded with a fair of `tickets` confirmed
    tickets, and served by uvicorn (outage.base_url)."""
    async with private_database(engine) as outage:
        outage.world = await asyncio.to_thread(_seed, outage, tickets)
        with serve_app(**_env(outage)) as url:
            outage.base_url = url
            yield outage
