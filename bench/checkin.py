"""Check-in throughput: scanners at 1, 16 and 64 concurrency against the real API.

    .venv/bin/python bench/checkin.py [--postgres] [-n 6000] [--seconds 8]

For each engine (SQLite always, PostgreSQL with --postgres) it makes a fresh
database, seeds N confirmed registrations through the services, and starts the
app under uvicorn (one worker, RATE_LIMIT_PER_MINUTE=0) on a free loopback
port. Scanners (httpx, one connection each, closed loop) post one distinct
valid ticket per request to POST /api/v1/checkins with a door user's bearer
token for --seconds at each concurrency. Then a bare Litestar app on the same
database, whose one endpoint parses a small JSON body and does one comparable
conditional UPDATE through Piccolo (the ceiling), gets the same load. Every
ticket is un-checked between runs, outside the timing. Loopback only; every
phase is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import msgspec

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")
CONCURRENCY = (1, 16, 64)


# ---------------------------------------------------------------- the ceiling app


class CeilingIn(msgspec.Struct):
    id: int
    door: str


def make_ceiling_app() -> Any:
    """A bare Litestar app: parse a small JSON body, one conditional UPDATE, answer."""
    from litestar import Litestar, post

    from fairground.db import start_engine, stop_engine, write_transaction
    from registrations.tables import Registration

    event_id = int(os.environ["BENCH_EVENT_ID"])

    @post("/checkin", status_code=200)
    async def check_in(data: CeilingIn) -> dict[str, Any]:
        async with write_transaction():
            rows = (
                await Registration.update(
                    {
                        Registration.checked_in_at: datetime.now(UTC),
                        Registration.checked_in_door: data.door,
                    }
                )
                .where(
                    (Registration.id == data.id)
                    & (Registration.event == event_id)
                    & (Registration.status == "confirmed")
                    & Registration.checked_in_at.is_null()
                )
                .returning(Registration.id)
            )
        return {"result": "ok" if rows else "already_checked_in"}

    return Litestar([check_in], on_startup=[start_engine], on_shutdown=[stop_engine])


# ---------------------------------------------------------------- set-up, in a subprocess


async def _setup(n: int, out: Path) -> None:
    """Schema, one event with N confirmed registrations, a door user with a token.
    Writes {slug, event_id, token, tickets: [[id, code]]} to `out`."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from events.services import assign_door_staff, create_event, get_event
    from fairground.accounts import create_token, create_user
    from fairground.seed import seed_reference_data
    from fairground.tables import Organisation
    from registrations.services import RegistrationInput, register_attendee
    from registrations.tables import Registration

    with contextlib.redirect_stdout(io.StringIO()):
        result = await run_forwards(app_name="all")
    assert result.success, result.message
    await seed_reference_data()
    org = await Organisation.insert(Organisation(name="Bench", kind="other")).returning(
        Organisation.id
    )
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    fields = {"title": "Check-in bench", "venue_name": "Library", "venue_postcode": "B1 2ND"}
    fields |= {"starts_at": starts, "ends_at": starts + timedelta(hours=5)}
    slug = await create_event(org[0]["id"], {**fields, "capacity": n, "status": "published"})
    event = await get_event(slug)
    user = await create_user(
        email="door@example.org", name="Door", role="door", password="bench-password-1"
    )
    await assign_door_staff(event["id"], user)
    for i in range(n):
        person = RegistrationInput(name=f"Person {i}", email=f"p{i}@example.org")
        await register_attendee(slug, person)
    rows = await Registration.select(Registration.id, Registration.ticket_code).where(
        Registration.event == event["id"]
    )
    data = {
        "slug": slug,
        "event_id": event["id"],
        "token": await create_token(user),
        "tickets": [[r["id"], r["ticket_code"]] for r in rows],
    }
    out.write_text(json.dumps(data))  # noqa: ASYNC240 - set-up, nothing else is running


# ---------------------------------------------------------------- measuring


@dataclass
class Run:
    label: str
    concurrency: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    results: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(int(len(ordered) * p), len(ordered) - 1)] * 1000


async def _fire(
    url: str, bodies: list[dict[str, Any]], run: Run, seconds: float, headers: dict[str, str]
) -> Run:
    """Each scanner takes the next ticket until the time is up or the tickets run out."""
    tickets = iter(bodies)
    deadline = time.monotonic() + seconds

    async def scanner() -> None:
        async with httpx.AsyncClient(timeout=30, headers=headers) as client:
            for body in tickets:
                if time.monotonic() > deadline:
                    return
                client.cookies.clear()  # a stateless device: bearer token, no session cookie
                started = time.perf_counter()
                try:
                    response = await client.post(url, json=body)
                    result = str(response.json().get("result", response.status_code))
                except (httpx.HTTPError, ValueError):
                    result = "error"
                run.latencies.append(time.perf_counter() - started)
                run.results[result] = run.results.get(result, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(scanner() for _ in range(run.concurrency)))
    run.seconds = time.perf_counter() - started
    return run


# ---------------------------------------------------------------- servers and databases


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(database_url: str, var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SMTP_URL"}
    env.update(
        DATABASE_URL=database_url,
        VAR_DIR=str(var_dir),
        RATE_LIMIT_PER_MINUTE="0",
        BASE_URL="http://127.0.0.1",
        PYTHONPATH=str(ROOT),
    )
    return env


def _uvicorn(app: str, port: int, env: dict[str, str], factory: bool) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", "1", "--log-level", "warning", "--no-access-log"]
    return subprocess.Popen([*command, *(["--factory"] if factory else [])], cwd=ROOT, env=env)


async def _wait_up(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                await client.get(f"http://127.0.0.1:{port}/")
                return
            except httpx.HTTPError:
                await asyncio.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not start")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def _pg_database(name: str, create: bool) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _uncheck(database_url: str) -> None:
    """Every ticket back to "not in", so each run admits fresh tickets (not timed)."""
    sql = "UPDATE registration SET checked_in_at = NULL, checked_in_door = ''"
    if database_url.startswith("sqlite"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=30) as conn:
            conn.execute(sql)
        return
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


# ---------------------------------------------------------------- per engine


@dataclass
class Target:
    label: str
    app: str
    factory: bool
    path: str
    body: Callable[[list[Any]], dict[str, Any]]


async def _measure(
    target: Target, seed: dict[str, Any], env: dict[str, str], args: argparse.Namespace
) -> list[Run]:
    port = free_port()
    server = _uvicorn(target.app, port, env, target.factory)
    url = f"http://127.0.0.1:{port}{target.path}"
    headers = {"Authorization": f"Bearer {seed['token']}"}
    bodies = [target.body(t) for t in seed["tickets"]]
    runs = []
    try:
        await _wait_up(port)
        await _fire(url, bodies[:200], Run("warm-up", 8), args.seconds, headers)
        for concurrency in CONCURRENCY:
            await _uncheck(env["DATABASE_URL"])
            run = Run(target.label, concurrency)
            runs.append(await _fire(url, bodies, run, args.seconds, headers))
    finally:
        _stop(server)
    return runs


def _targets(seed: dict[str, Any]) -> list[Target]:
    def scan(ticket: list[Any]) -> dict[str, Any]:
        return {
            "code": ticket[1],
            "event": seed["slug"],
            "door": "Main",
            "client_id": str(uuid.uuid4()),
        }

    def bare(ticket: list[Any]) -> dict[str, Any]:
        return {"id": ticket[0], "door": "Main"}

    return [
        Target("fairground", "app:app", False, "/api/v1/checkins", scan),
        Target("ceiling", "bench.checkin:make_ceiling_app", True, "/checkin", bare),
    ]


async def run_engine(engine: str, args: argparse.Namespace) -> list[Run]:
    tmp = Path(tempfile.mkdtemp(prefix=f"fairground-bench-checkin-{engine}-"))
    pg_name = f"fairground_bench_checkin_{os.getpid()}"
    if engine == "postgres":
        await _pg_database(pg_name, create=True)
        database_url = PG_ADMIN.rsplit("/", 1)[0] + "/" + pg_name
    else:
        database_url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    env = _env(database_url, tmp / "var")
    try:
        seed_file = tmp / "seed.json"
        started = time.monotonic()
        subprocess.run(  # noqa: ASYNC221 - set-up, before any timing
            [sys.executable, __file__, "--setup", "-n", str(args.n), "--out", str(seed_file)],
            cwd=ROOT,
            env=env,
            timeout=args.setup_timeout,
            check=True,
        )
        print(f"{engine}: seeded {args.n} registrations in {time.monotonic() - started:.0f}s")
        seed = json.loads(seed_file.read_text())
        env["BENCH_EVENT_ID"] = str(seed["event_id"])
        runs = []
        for target in _targets(seed):
            runs += await _measure(target, seed, env, args)
    finally:
        if engine == "postgres":
            await _pg_database(pg_name, create=False)
        shutil.rmtree(tmp, ignore_errors=True)
    return runs


def report(engine: str, runs: list[Run], args: argparse.Namespace) -> None:
    print(f"\n{engine}: {args.n} tickets, {args.seconds:.0f}s per run, one uvicorn worker")
    print(f"{'':11} {'scanners':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  results")
    for run in runs:
        print(
            f"{run.label:11} {run.concurrency:8} {run.rate:8.0f} {run.percentile(0.5):8.1f} "
            f"{run.percentile(0.99):8.1f}  {run.results}"
        )
    ceiling = {r.concurrency: r for r in runs if r.label == "ceiling"}
    for run in (r for r in runs if r.label == "fairground"):
        bare = ceiling.get(run.concurrency)
        ratio = run.rate / bare.rate if bare and bare.rate else 0.0
        print(f"ratio at {run.concurrency:2} scanners: {ratio:.0%} of the ceiling")
    print("aim: >= 60% of the ceiling and p99 <= 25 ms at 16 scanners on SQLite")


async def main(args: argparse.Namespace) -> int:
    for engine in ["sqlite"] + (["postgres"] if args.postgres else []):
        report(engine, await run_engine(engine, args), args)
    return 0


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=6000, help="confirmed registrations to seed")
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds per run")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--setup-timeout", type=float, default=600)
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args()


async def _setup_and_close(n: int, out: Path) -> None:
    from fairground.db import start_engine, stop_engine

    await start_engine()  # WAL, as the app has it
    try:
        await _setup(n, out)
    finally:
        await stop_engine()  # open SQLite connection threads would keep the process alive


if __name__ == "__main__":
    arguments = parse()
    if arguments.setup:
        asyncio.run(_setup_and_close(arguments.n, arguments.out))
    else:
        sys.exit(asyncio.run(main(arguments)))
