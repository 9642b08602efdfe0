"""Check-in throughput: scanners at 1, 16 and 64 concurrency against the real API.

    .venv/bin/python bench/checkin.py [--engines sqlite,postgres] [-n 6000] [--seconds 8]
        [--workers 1] [--postgres-workers 2]

For each engine it makes a fresh database, seeds N confirmed registrations
through the services, and starts each app under uvicorn (1 worker on SQLite, 2
on PostgreSQL, RATE_LIMIT_PER_MINUTE=0) on a free loopback port. Scanners (httpx,
one connection each, closed loop) post one distinct valid ticket per request for
--seconds at each concurrency, to:

    fairground  POST /api/v1/checkins with a door user's bearer token, and a fresh
                client_id per scan in every run (never one seen before: that would
                take the replay path)
    raw         bench/raw.py: the one conditional UPDATE … WHERE ticket_code = ? AND
                checked_in_at IS NULL RETURNING on one kept-open aiosqlite connection
                (one asyncpg pool on PostgreSQL): the ceiling every ratio is against
    piccolo     the same UPDATE through Piccolo on our engine (the older, weaker
                ceiling, kept as a secondary reference)

Every ticket is un-checked between runs, outside the timing. After each run it
checks, from the answers and the database, that it measured what it says: every
answer "ok" (a first admission), as many rows admitted as "ok"s, and (ours) one
"ok" log row per scan under that run's client_ids; exit 1 otherwise or on any
5xx. Loopback only; every phase is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import msgspec

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench import raw as raw_ceiling

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


async def _door_token(event_id: int, number: int) -> str:
    """A door user of the event (one per scanner), and its API token."""
    from events.services import assign_door_staff
    from fairground.accounts import create_token, create_user

    email, name = f"door{number}@example.org", f"Door {number}"
    user = await create_user(email=email, name=name, role="door", password="bench-pw-12345")
    await assign_door_staff(event_id, user)
    return await create_token(user)


async def _setup(n: int, out: Path, scanners: int = 1) -> None:
    """Schema, one event with N confirmed registrations, `scanners` door users with a
    token each. Writes {slug, event_id, token, tokens, tickets: [[id, code]]} to `out`."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from events.services import create_event, get_event
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
    # On now, so that its door admits people (registrations.checkin: the opening window).
    starts = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    fields: dict[str, Any] = {
        "title": "Check-in bench",
        "venue_name": "Library",
        "venue_postcode": "B1 2ND",
    }
    fields |= {"starts_at": starts, "ends_at": starts + timedelta(hours=5)}
    slug = await create_event(org[0]["id"], {**fields, "capacity": n, "status": "published"})
    event = await get_event(slug)
    tokens = [await _door_token(event["id"], i) for i in range(1, scanners + 1)]
    for i in range(n):
        person = RegistrationInput(name=f"Person {i}", email=f"p{i}@example.org")
        await register_attendee(slug, person)
    rows = await Registration.select(Registration.id, Registration.ticket_code).where(
        Registration.event == event["id"]
    )
    data = {
        "slug": slug,
        "event_id": event["id"],
        "token": tokens[0],
        "tokens": tokens,
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
    problems: list[str] = field(default_factory=list)
    logged: int | None = None
    usage: list[common.WorkerUsage] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        return common.percentile(self.latencies, p)


async def _fire(
    url: str, bodies: list[dict[str, Any]], run: Run, seconds: float, headers: dict[str, str]
) -> Run:
    """Each scanner takes the next ticket until the time is up or the tickets run out."""
    tickets = iter(bodies)

    async def scanner(client: httpx.AsyncClient) -> None:
        async with client:
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

    clients = common.clients(run.concurrency, [headers] * run.concurrency)
    started, deadline = time.perf_counter(), time.monotonic() + seconds
    await asyncio.gather(*(scanner(client) for client in clients))
    run.seconds = time.perf_counter() - started
    return run


async def uncheck_all(database_url: str) -> None:
    """Every ticket back to "not in", so each run admits fresh tickets (not timed)."""
    sql = "UPDATE registration SET checked_in_at = NULL, checked_in_door = ''"
    await common.query(database_url, sql)


# ---------------------------------------------------------------- per engine


@dataclass
class Target:
    label: str
    app: str
    factory: bool
    path: str
    body: Callable[[list[Any], str], dict[str, Any]]  # (ticket, run tag) → request body
    logs: bool = False  # writes the check-in log (ours): one row per scan, by client_id


async def _checks(target: Target, run: Run, tag: str, database_url: str) -> None:
    """That the run measured what it says: every answer a first admission ("ok": no
    replayed answer, no ticket twice, no 5xx), as many tickets admitted as "ok"s, and
    (ours) one log row per scan under this run's own client_ids (fresh every run, so a
    replay, which writes no row, would show). Found problems go in run.problems."""
    sent = len(run.latencies)
    oks = run.results.get("ok", 0)
    if oks != sent:
        run.problems.append(f"{run.label} x{run.concurrency}: {sent - oks} of {sent} not ok")
    ((admitted,),) = await common.query(
        database_url, "SELECT COUNT(*) FROM registration WHERE checked_in_at IS NOT NULL"
    )
    if admitted != oks:
        run.problems.append(f"{run.label} x{run.concurrency}: {admitted} admitted, {oks} ok")
    if target.logs:
        ((logged,),) = await common.query(
            database_url,
            f"SELECT COUNT(*) FROM check_in WHERE client_id LIKE '{tag}-%' AND verdict = 'ok'",
        )
        run.logged = logged
        if logged != sent:
            problem = f"{run.label} x{run.concurrency}: {logged} log rows for {sent} scans"
            run.problems.append(problem + " (replays write none)")


async def _measure(
    target: Target, seed: dict[str, Any], env: dict[str, str], args: argparse.Namespace
) -> list[Run]:
    headers = {"Authorization": f"Bearer {seed['token']}"}
    tickets = seed["tickets"]
    runs = []
    workers = _workers("postgres" if "postgres" in env["DATABASE_URL"] else "sqlite", args)
    async with common.serve(target.app, workers, env, target.factory) as servers:
        url = servers.url(target.path)
        await uncheck_all(env["DATABASE_URL"])
        warm = [target.body(t, f"{target.label}-warm") for t in tickets[:200]]
        await _fire(url, warm, Run("warm-up", 8), args.seconds, headers)
        for concurrency in CONCURRENCY:
            await uncheck_all(env["DATABASE_URL"])
            # Fresh bodies (and client_ids) every run: a client_id seen before takes
            # the replay path, which answers "ok" again without admitting anyone.
            tag = f"{target.label}-{concurrency}-{uuid.uuid4().hex[:8]}"
            run = await _fire(
                url,
                [target.body(t, tag) for t in tickets],
                Run(target.label, concurrency),
                args.seconds,
                headers,
            )
            await _checks(target, run, tag, env["DATABASE_URL"])
            runs.append(run)
    for run in runs:
        run.usage = servers.usage
    print(f"{target.label} web workers: {common.usage_text(servers.usage)}")
    return runs


def _targets(seed: dict[str, Any]) -> list[Target]:
    def scan(ticket: list[Any], tag: str) -> dict[str, Any]:
        return {
            "code": ticket[1],
            "event": seed["slug"],
            "door": "Main",
            "client_id": f"{tag}-{uuid.uuid4().hex}",
        }

    def raw(ticket: list[Any], tag: str) -> dict[str, Any]:
        return {"code": ticket[1], "door": "Main"}

    def bare(ticket: list[Any], tag: str) -> dict[str, Any]:
        return {"id": ticket[0], "door": "Main"}

    return [
        Target("fairground", "app:app", False, "/api/v1/checkins", scan, logs=True),
        Target("raw", raw_ceiling.CHECKIN_APP, True, "/checkin", raw),
        Target("piccolo", "bench.checkin:make_ceiling_app", True, "/checkin", bare),
    ]


async def seed(
    engine: str, n: int, scanners: int, env: dict[str, str], tmp: Path, limit: float
) -> dict[str, Any]:
    """Run the set-up in a subprocess (see _setup); the seed it wrote."""
    seed_file = tmp / "seed.json"
    started = time.monotonic()
    argv = ["-m", "bench.checkin", "--setup", "-n", str(n), "--out", str(seed_file)]
    await common.run_setup([*argv, "--scanners", str(scanners)], env, limit)
    print(f"{engine}: seeded {n} registrations in {time.monotonic() - started:.0f}s")
    data: dict[str, Any] = json.loads(seed_file.read_text())
    env["BENCH_EVENT_ID"] = str(data["event_id"])  # for the ceiling app
    return data


async def run_engine(engine: str, args: argparse.Namespace) -> list[Run]:
    async with common.database(engine, "checkin") as (database_url, tmp):
        env = common.bench_env(database_url, tmp / "var")
        data = await seed(engine, args.n, 1, env, tmp, args.setup_timeout)
        runs = []
        for target in _targets(data):
            runs += await _measure(target, data, env, args)
    return runs


def report(engine: str, runs: list[Run], args: argparse.Namespace) -> None:
    workers = _workers(engine, args)
    print(f"\n{engine}: {args.n} tickets, {args.seconds:.0f}s per run, {workers} worker(s)")
    print(f"{'':11} {'scanners':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  results")
    for run in runs:
        print(
            f"{run.label:11} {run.concurrency:8} {run.rate:8.0f} {run.percentile(0.5):8.1f} "
            f"{run.percentile(0.99):8.1f}  {run.results}"
        )
    by = {(r.label, r.concurrency): r for r in runs}
    for run in (r for r in runs if r.label == "fairground"):
        raw, piccolo = by.get(("raw", run.concurrency)), by.get(("piccolo", run.concurrency))
        line = f"ratio at {run.concurrency:2} scanners: {_ratio(run, raw)} of the raw ceiling"
        print(f"{line}, {_ratio(run, piccolo)} of the Piccolo one")
    peaks = {r.label: max((u.peak_rss_mb for u in r.usage), default=0.0) for r in runs}
    if peaks.get("raw"):
        memory = peaks["fairground"] / peaks["raw"]
        print(
            f"peak RSS per worker: {peaks['fairground']:.0f} MB, raw {peaks['raw']:.0f} MB "
            f"({memory:.2f}x; aim <= 1.3x)"
        )
    print(
        "aims: >= 50% of the raw ceiling and p99 <= 25 ms at 16 scanners on SQLite (1 worker);"
        " >= 50% on PostgreSQL (2 workers); no 5xx and p99 <= 100 ms at 64"
    )


def _ratio(run: Run, ceiling: Run | None) -> str:
    return f"{run.rate / ceiling.rate:.0%}" if ceiling and ceiling.rate else "n/a"


def _workers(engine: str, args: argparse.Namespace) -> int:
    return int(args.postgres_workers if engine == "postgres" else args.workers)


def _errors(runs: list[Run]) -> int:
    """Answers that were server errors (or no answer): there must be none."""
    return sum(
        n
        for run in runs
        for result, n in run.results.items()
        if result == "error" or (result.isdigit() and int(result) >= 500)
    )


async def main(args: argparse.Namespace) -> int:
    ok = True
    for engine in common.engines_from(args):
        runs = await run_engine(engine, args)
        report(engine, runs, args)
        problems = [p for run in runs for p in run.problems]
        if _errors(runs):
            problems.insert(0, f"{_errors(runs)} 5xx (or no answer)")
        checks = [
            "0 5xx (or no answer)",
            "every answer of every run a first admission (fresh client_ids: no replay)",
            'admitted rows = "ok" answers in every run',
            'ours: one "ok" log row per scan, under that run\'s client_ids',
        ]
        ok &= common.verdict_lines(problems, [] if problems else checks)
    return 0 if ok else 1


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=6000, help="confirmed registrations to seed")
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds per run")
    parser.add_argument("--workers", type=int, default=1, help="web workers on SQLite (all apps)")
    parser.add_argument("--postgres-workers", type=int, default=2, help="web workers on PostgreSQL")
    parser.add_argument("--engines", help="comma-separated: sqlite,postgres (default sqlite)")
    parser.add_argument("--postgres", action="store_true", help="= --engines sqlite,postgres")
    parser.add_argument("--setup-timeout", type=float, default=600)
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--scanners", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse()
    if arguments.setup:
        coroutine = _setup(arguments.n, arguments.out, arguments.scanners)
        asyncio.run(common.with_engine(coroutine))
    else:
        sys.exit(common.run_main(main(arguments)))
