"""Registration burst: N registrations against a capacity, 32 clients at once.

    .venv/bin/python bench/registration_burst.py [--postgres] [-n 5000] [--capacity 2000]

For each engine (SQLite always, PostgreSQL with --postgres) it makes a fresh
database, runs the migrations, starts the app under uvicorn (one worker,
RATE_LIMIT_PER_MINUTE=0) on a free loopback port, and fires N registrations
from C concurrent httpx clients at one event. Then it starts a bare Litestar
app against the same database whose one endpoint does one comparable insert
through Piccolo in the same kind of transaction (the ceiling), fires the same
burst, and prints both side by side with the ratio. Loopback only; every run
is bounded by --timeout seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import msgspec

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")


# ---------------------------------------------------------------- the ceiling app


class Body(msgspec.Struct):
    name: str
    email: str


def make_ceiling_app() -> Any:
    """A bare Litestar app: parse a small JSON body, one insert, answer 201."""
    from litestar import Litestar, post

    from fairground.db import start_engine, stop_engine, write_transaction
    from registrations.tables import Registration

    @post("/register/{event_id:int}")
    async def register(event_id: int, data: Body) -> dict[str, Any]:
        token = secrets.token_urlsafe(32)
        async with write_transaction():
            rows = await Registration.insert(
                Registration(
                    event=event_id,
                    reference=secrets.token_hex(6),
                    manage_token=token,
                    name=data.name,
                    email=data.email,
                    status="confirmed",
                )
            ).returning(Registration.id)
        return {"id": rows[0]["id"], "manage_token": token}

    return Litestar([register], on_startup=[start_engine], on_shutdown=[stop_engine])


# ---------------------------------------------------------------- set-up, in a subprocess


async def _setup(capacity: int) -> None:
    """Reference data and three events (ours, a warm-up, the ceiling's); prints slug:id."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from events.services import create_event, get_event
    from fairground.seed import seed_reference_data
    from fairground.tables import Organisation

    result = await run_forwards(app_name="all")
    assert result.success, result.message
    await seed_reference_data()
    org = await Organisation.insert(Organisation(name="Bench", kind="other")).returning(
        Organisation.id
    )
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    ids = []
    for title in ("Registration burst", "Warm-up", "Ceiling"):
        slug = await create_event(
            org[0]["id"],
            {
                "title": title,
                "venue_name": "Library of Birmingham",
                "venue_postcode": "B1 2ND",
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=5),
                "capacity": capacity,
                "status": "published",
            },
        )
        ids.append(f"{slug}:{(await get_event(slug))['id']}")
    print(" ".join(ids))


# ---------------------------------------------------------------- running things


@dataclass
class Burst:
    label: str
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]
    confirmed: int

    @property
    def ok(self) -> int:
        return sum(n for code, n in self.statuses.items() if 200 <= code < 300)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(int(len(ordered) * p), len(ordered) - 1)] * 1000

    @property
    def errors_5xx(self) -> int:
        return sum(n for code, n in self.statuses.items() if code >= 500 or code == 0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(database_url: str, var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SMTP_URL",)}
    env.update(
        DATABASE_URL=database_url,
        VAR_DIR=str(var_dir),
        RATE_LIMIT_PER_MINUTE="0",
        BASE_URL="http://127.0.0.1",
        PYTHONPATH=str(ROOT),
    )
    return env


def _uvicorn(
    app: str, port: int, env: dict[str, str], factory: bool = False
) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    if factory:
        command.append("--factory")
    return subprocess.Popen(command, cwd=ROOT, env=env)


async def _wait_up(port: int, path: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                await client.get(f"http://127.0.0.1:{port}{path}")
                return
            except httpx.HTTPError:
                await asyncio.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not start")


async def _fire(
    url: str, n: int, concurrency: int, seconds: float, prefix: str
) -> tuple[float, list[float], dict[int, int]]:
    """n POSTs from `concurrency` clients, each with its own connection, closed loop."""
    counter = iter(range(n))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    deadline = time.monotonic() + seconds

    async def client_loop() -> None:
        async with httpx.AsyncClient(timeout=60) as client:
            for i in counter:
                if time.monotonic() > deadline:
                    return
                body = {"name": f"Attendee {i}", "email": f"{prefix}{i}@example.org"}
                started = time.perf_counter()
                try:
                    code = (await client.post(url, json=body)).status_code
                except httpx.HTTPError:
                    code = 0
                latencies.append(time.perf_counter() - started)
                statuses[code] = statuses.get(code, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies, statuses


async def _confirmed(port: int, slug: str) -> int:
    async with httpx.AsyncClient() as client:
        body = (await client.get(f"http://127.0.0.1:{port}/api/v1/events/{slug}")).json()
    return int(body["counts"]["confirmed"])


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def _run_app(args: argparse.Namespace, env: dict[str, str], slug: str, warmup: str) -> Burst:
    port = free_port()
    server = _uvicorn("app:app", port, env)
    try:
        await _wait_up(port, "/healthz")
        warm = f"http://127.0.0.1:{port}/api/v1/events/{warmup}/registrations"
        await _fire(warm, 50, 8, args.timeout, "warmup")  # another event: caches, connections
        url = f"http://127.0.0.1:{port}/api/v1/events/{slug}/registrations"
        seconds, latencies, statuses = await _fire(url, args.n, args.concurrency, args.timeout, "a")
        confirmed = await _confirmed(port, slug)
    finally:
        _stop(server)
    return Burst("fairground", seconds, latencies, statuses, confirmed)


async def _run_ceiling(args: argparse.Namespace, env: dict[str, str], event_id: int) -> Burst:
    port = free_port()
    server = _uvicorn("bench.registration_burst:make_ceiling_app", port, env, factory=True)
    try:
        await _wait_up(port, "/")
        url = f"http://127.0.0.1:{port}/register/{event_id}"
        await _fire(url, 50, 8, args.timeout, "warmup")
        seconds, latencies, statuses = await _fire(url, args.n, args.concurrency, args.timeout, "c")
    finally:
        _stop(server)
    return Burst("ceiling", seconds, latencies, statuses, confirmed=-1)


# ---------------------------------------------------------------- per engine


async def _pg_database(name: str, create: bool) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def run_engine(engine: str, args: argparse.Namespace) -> tuple[Burst, Burst]:
    tmp = Path(tempfile.mkdtemp(prefix=f"fairground-bench-{engine}-"))
    pg_name = f"fairground_bench_{os.getpid()}"
    if engine == "postgres":
        await _pg_database(pg_name, create=True)
        database_url = PG_ADMIN.rsplit("/", 1)[0] + "/" + pg_name
    else:
        database_url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    env = _env(database_url, tmp / "var")
    try:
        setup = subprocess.run(  # noqa: ASYNC221 - set-up, before any timing
            [sys.executable, __file__, "--setup", "--capacity", str(args.capacity)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        ours, warmup, ceiling = setup.stdout.strip().splitlines()[-1].split()
        app = await _run_app(args, env, ours.split(":")[0], warmup.split(":")[0])
        bare = await _run_ceiling(args, env, int(ceiling.split(":")[1]))
    finally:
        if engine == "postgres":
            await _pg_database(pg_name, create=False)
        shutil.rmtree(tmp, ignore_errors=True)
    return app, bare


def report(engine: str, app: Burst, bare: Burst, args: argparse.Namespace) -> None:
    print(
        f"\n{engine}: {args.n} registrations, capacity {args.capacity}, {args.concurrency} clients"
    )
    print(
        f"{'':12} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'2xx':>6} {'5xx':>5} {'confirmed':>10}"
    )
    for burst in (app, bare):
        confirmed = str(burst.confirmed) if burst.confirmed >= 0 else "-"
        print(
            f"{burst.label:12} {burst.rate:8.0f} {burst.percentile(0.5):8.1f} "
            f"{burst.percentile(0.99):8.1f} {burst.ok:6} {burst.errors_5xx:5} {confirmed:>10}"
        )
    ratio = app.rate / bare.rate if bare.rate else 0.0
    print(f"ratio fairground/ceiling: {ratio:.0%}  (aim >= 40%); other statuses: {app.statuses}")


async def main(args: argparse.Namespace) -> int:
    engines = ["sqlite"] + (["postgres"] if args.postgres else [])
    for engine in engines:
        app, bare = await run_engine(engine, args)
        report(engine, app, bare, args)
    return 0


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=5000)
    parser.add_argument("--capacity", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per burst")
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    options = parse()
    if options.setup:
        sys.path.insert(0, str(ROOT))
        asyncio.run(_setup(options.capacity))
        sys.exit(0)
    sys.exit(asyncio.run(main(options)))
