"""Registration burst: N registrations against a capacity from C clients at once, verified.

    .venv/bin/python bench/registration_burst.py [--postgres] [-n 5000] [--capacity 2000]
    .venv/bin/python bench/registration_burst.py --engines postgres --workers 2 -n 10000
        (the fair opening: 10,000 people for 2,000 places, two web workers)

For each engine it makes a fresh database, runs the migrations, starts the app
(`--workers` uvicorn processes on one port, RATE_LIMIT_PER_MINUTE=0) and fires
N registrations with distinct emails from C concurrent httpx clients (one
kept-alive connection each, closed loop) at one event. Then two bare Litestar
apps on the same database, with the same number of workers, whose one endpoint
does the equivalent capacity-guarded write (one conditional UPDATE of the event's
count, one insert, one transaction) get the same burst: `raw` (bench/raw.py: plain
SQL in one BEGIN IMMEDIATE transaction on one kept-open aiosqlite connection, one
asyncpg pool on PostgreSQL), the ceiling the ratio is against, and `piccolo` (the
same through Piccolo on our engine, a secondary reference).

It then verifies, straight from the database, and exits non-zero if any check
fails: no 5xx, every request answered 201, exactly CAPACITY confirmed (the
count and the rows), every 201 has its row with the status it was answered,
the rest waitlisted, no row that was not answered, and (ours) one email per
address in the outbox, of the kind the status calls for. Loopback only; each
burst is bounded by --timeout seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import time
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

CEILING_APP = "bench.registration_burst:make_ceiling_app"
RAW_APP = raw_ceiling.REGISTRATION_APP

# ---------------------------------------------------------------- the ceiling app


class Body(msgspec.Struct):
    name: str
    email: str


def make_ceiling_app() -> Any:
    """A bare Litestar app: parse a small JSON body, the capacity-guarded write, answer 201."""
    from litestar import Litestar, post

    from events.tables import Event
    from fairground.db import start_engine, stop_engine, write_transaction
    from registrations.tables import Registration

    @post("/register/{event_id:int}")
    async def register(event_id: int, data: Body) -> dict[str, Any]:
        token, reference = secrets.token_urlsafe(32), secrets.token_hex(6)
        async with write_transaction():
            taken = (
                await Event.update({Event.confirmed_count: Event.confirmed_count + 1})
                .where((Event.id == event_id) & (Event.confirmed_count < Event.capacity))
                .returning(Event.id)
            )
            status = "confirmed" if taken else "waitlisted"
            await Registration.insert(
                Registration(
                    event=event_id,
                    reference=reference,
                    manage_token=token,
                    name=data.name,
                    email=data.email,
                    status=status,
                )
            )
        return {"reference": reference, "status": status, "manage_token": token}

    return Litestar([register], on_startup=[start_engine], on_shutdown=[stop_engine])


# ---------------------------------------------------------------- set-up, in a subprocess


async def _setup(capacity: int) -> None:
    """Reference data, the ticket key, four events (ours, a warm-up, the two ceilings');
    prints slug:id for each."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from events.services import create_event, get_event
    from fairground.seed import seed_reference_data
    from fairground.tables import Organisation
    from registrations.tickets import public_keys

    result = await run_forwards(app_name="all")
    assert result.success, result.message
    await seed_reference_data()
    public_keys()  # makes the signing key now, not in two workers at once
    org = await Organisation.select(Organisation.id).where(Organisation.name == "Bench")
    if not org:  # (bench/profile.py seeds the check-in's first, in the same database)
        org = await Organisation.insert(Organisation(name="Bench", kind="other")).returning(
            Organisation.id
        )
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    ids = []
    for title in ("Registration burst", "Warm-up", "Ceiling", "Raw ceiling"):
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


# ---------------------------------------------------------------- the burst


@dataclass
class Burst:
    label: str
    tally: common.Tally = field(default_factory=common.Tally)
    answers: dict[str, str] = field(default_factory=dict)  # reference → status, per 201
    usage: list[common.WorkerUsage] = field(default_factory=list)


async def _fire(url: str, n: int, concurrency: int, seconds: float, prefix: str) -> Burst:
    """n POSTs with distinct emails from `concurrency` clients, each one connection."""
    counter = iter(range(n))
    burst = Burst(prefix)

    async def client_loop(client: httpx.AsyncClient) -> None:
        async with client:
            for i in counter:
                if time.monotonic() > deadline:
                    return
                body = {"name": f"Attendee {i}", "email": f"{prefix}-{i}@example.org"}
                started = time.perf_counter()
                try:
                    response = await client.post(url, json=body)
                except httpx.HTTPError:
                    burst.tally.record(started, 0)
                    continue
                burst.tally.record(started, response.status_code)
                if response.status_code == 201:
                    answer = response.json()
                    burst.answers[answer["reference"]] = answer["status"]

    clients = common.clients(concurrency)
    started, deadline = time.perf_counter(), time.monotonic() + seconds
    await asyncio.gather(*(client_loop(client) for client in clients))
    burst.tally.seconds = time.perf_counter() - started
    return burst


async def _run(
    args: argparse.Namespace, env: dict[str, str], target: tuple[str, bool, str, str]
) -> Burst:
    """Start the app (or the ceiling), warm it up on another event, fire the burst."""
    app, factory, url_path, warm_path = target
    async with common.serve(app, args.workers, env, factory) as servers:
        await _fire(servers.url(warm_path), 50, 8, args.timeout, "warmup")
        label = {"app:app": "fairground", RAW_APP: "raw"}.get(app, "piccolo")
        burst = await _fire(servers.url(url_path), args.n, args.concurrency, args.timeout, label)
    burst.usage = servers.usage
    return burst


# ---------------------------------------------------------------- verification


async def _outbox_problems(database_url: str, burst: Burst) -> list[str]:
    """One email per address, of the kind its status calls for; no other email."""
    rows = await common.query(
        database_url,
        "SELECT recipient, template, COUNT(*) FROM outbox_message "
        f"WHERE recipient LIKE '{burst.label}-%' GROUP BY recipient, template",
    )
    per_address: dict[str, int] = {}
    kinds: dict[str, int] = {}
    for recipient, template, count in rows:
        per_address[recipient] = per_address.get(recipient, 0) + count
        kinds[template] = kinds.get(template, 0) + count
    problems = []
    doubled = sum(1 for count in per_address.values() if count > 1)
    if doubled:
        problems.append(f"{doubled} addresses have more than one email in the outbox")
    if len(per_address) != len(burst.answers):
        problems.append(f"{len(per_address)} addresses emailed for {len(burst.answers)} 201s")
    expected = {
        "registration_confirmation": sum(s == "confirmed" for s in burst.answers.values()),
        "registration_waitlisted": sum(s == "waitlisted" for s in burst.answers.values()),
    }
    if kinds != {k: v for k, v in expected.items() if v}:
        problems.append(f"outbox kinds {kinds}, expected {expected}")
    return problems


async def verify(
    database_url: str, event_id: int, burst: Burst, args: argparse.Namespace
) -> tuple[list[str], list[str]]:
    """(problems, what held) for one burst, from the database."""
    rows = dict(
        await common.query(
            database_url, f"SELECT reference, status FROM registration WHERE event = {event_id}"
        )
    )
    ((counter,),) = await common.query(
        database_url, f"SELECT confirmed_count FROM event WHERE id = {event_id}"
    )
    confirmed = sum(status == "confirmed" for status in rows.values())
    waitlisted = sum(status == "waitlisted" for status in rows.values())
    unmatched = sum(1 for ref, status in burst.answers.items() if rows.get(ref) != status)
    created, answered = burst.tally.statuses[201], len(burst.answers)
    errors = burst.tally.errors_5xx
    checks = [
        (errors == 0, f"{errors} 5xx (or no answer)"),
        (created == args.n, f"{created} of {args.n} answered 201"),
        (
            confirmed == counter == args.capacity,
            f"{confirmed} confirmed rows, count {counter}, capacity {args.capacity}",
        ),
        (unmatched == 0, f"{unmatched} 201s without their row and status"),
        (len(rows) == answered, f"{len(rows)} rows for {answered} 201s"),
        (
            waitlisted == answered - args.capacity,
            f"{waitlisted} waitlisted = the rest ({answered - args.capacity})",
        ),
    ]
    if burst.label == "fairground":
        outbox = await _outbox_problems(database_url, burst)
        checks += [(False, text) for text in outbox]
        if not outbox:
            checks.append((True, f"outbox: one email per address ({answered}), none other"))
    return [text for held, text in checks if not held], [text for held, text in checks if held]


# ---------------------------------------------------------------- per engine


async def run_engine(engine: str, args: argparse.Namespace) -> bool:
    async with common.database(engine, "burst") as (database_url, tmp):
        env = common.bench_env(database_url, tmp / "var")
        setup = await common.run_setup(
            [__file__, "--setup", "--capacity", str(args.capacity)], env, limit=300
        )
        ours, warmup, ceiling, raw = (item.split(":") for item in setup.split()[-4:])
        api = "/api/v1/events/{}/registrations"
        app = await _run(args, env, ("app:app", False, api.format(ours[0]), api.format(warmup[0])))
        target = (RAW_APP, True, f"/register/{raw[1]}", f"/register/{warmup[1]}")
        rawest = await _run(args, env, target)
        target = (CEILING_APP, True, f"/register/{ceiling[1]}", f"/register/{warmup[1]}")
        bare = await _run(args, env, target)
        report(engine, app, rawest, bare, args)
        ok = True
        for burst, event_id in ((app, ours[1]), (rawest, raw[1]), (bare, ceiling[1])):
            print(f"{burst.label}:")
            ok &= common.verdict_lines(*await verify(database_url, int(event_id), burst, args))
    return ok


def report(engine: str, app: Burst, raw: Burst, bare: Burst, args: argparse.Namespace) -> None:
    workers = f"{args.workers} worker{'s' if args.workers > 1 else ''}"
    print(f"\nregistration burst, {engine}, {workers}: {args.n} registrations, ", end="")
    print(f"capacity {args.capacity}, {args.concurrency} clients")
    print(f"{'':11} {common.LATENCY_HEADER}  statuses; web workers")
    for burst in (app, raw, bare):
        tally = burst.tally
        print(f"{burst.label:11} {tally.latency_columns()}  {tally.histogram()}; ", end="")
        print(common.usage_text(burst.usage))
    print(
        f"ratio fairground/raw ceiling: {common.ratio(app.tally, raw.tally)} (aim >= 40%); "
        f"fairground/Piccolo ceiling: {common.ratio(app.tally, bare.tally)}"
    )


async def main(args: argparse.Namespace) -> int:
    ok = True
    for engine in common.engines_from(args):
        ok &= await run_engine(engine, args)
    return 0 if ok else 1


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=5000, help="registrations to send")
    parser.add_argument("--capacity", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32, help="clients at once")
    parser.add_argument("--workers", type=int, default=1, help="web workers (ours and ceiling)")
    parser.add_argument("--engines", help="comma-separated: sqlite,postgres (default sqlite)")
    parser.add_argument("--postgres", action="store_true", help="= --engines sqlite,postgres")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per burst")
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    options = parse()
    if options.setup:
        asyncio.run(common.with_engine(_setup(options.capacity)))
        sys.exit(0)
    sys.exit(common.run_main(main(options)))
