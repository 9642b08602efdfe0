"""Interview booking burst: N jobseekers booking P interview places from C clients.

    .venv/bin/python bench/interview_burst.py [--engines sqlite,postgres] [-n 2000]
    make bench BENCH="--only interviews"

For each engine: a fresh database, the migrations, one fair with N confirmed
jobseekers and an exhibitor whose schedule has 15 interview times of 20 places
(300 places). Each jobseeker books one time (jobseeker i the time i mod 15) by
`POST /api/v1/registrations/{token}/interviews` from C concurrent clients (one
kept-alive connection each, closed loop). Then a bare Litestar app on the same
database, with the same number of workers, whose one endpoint does the
equivalent capacity-guarded write (one conditional UPDATE of the slot's
booked_count, one insert, one transaction) gets the same burst on its own
schedule (the ceiling).

Verified from the database, exiting non-zero if any check fails: no 5xx, every
answer 201 or 409 slot_full, exactly P bookings (the 201s, the rows and the
counts), no time over its places, and (ours) one confirmation email per booking.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import msgspec
from litestar import Response

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

CEILING_APP = "bench.interview_burst:make_ceiling_app"
TIMES, PLACES = 15, 20  # 300 places


class Body(msgspec.Struct):
    slot_id: int


def make_ceiling_app() -> Any:
    """A bare Litestar app: parse the body, the guarded write, answer 201 or 409."""
    from litestar import Litestar, post

    from exhibitors.interviews.tables import InterviewBooking, InterviewSlot
    from fairground.db import start_engine, stop_engine, write_transaction
    from registrations.tables import Registration

    @post("/book/{token:str}")
    async def book(token: str, data: Body) -> Response[dict[str, Any]]:
        async with write_transaction():
            reg = (
                await Registration.select(Registration.id, Registration.event)
                .where(Registration.manage_token == token)
                .first()
            )
            taken = (
                await InterviewSlot.update(
                    {InterviewSlot.booked_count: InterviewSlot.booked_count + 1}
                )
                .where(
                    (InterviewSlot.id == data.slot_id)
                    & (InterviewSlot.booked_count < InterviewSlot.capacity)
                )
                .returning(InterviewSlot.exhibitor)
            )
            if not taken or reg is None:
                return Response({"error": "slot_full"}, status_code=409)
            rows = await InterviewBooking.insert(
                InterviewBooking(
                    slot=data.slot_id,
                    registration=reg["id"],
                    event=reg["event"],
                    exhibitor=taken[0]["exhibitor"],
                )
            ).returning(InterviewBooking.id)
        return Response({"id": rows[0]["id"]}, status_code=201)

    return Litestar([book], on_startup=[start_engine], on_shutdown=[stop_engine])


# ---------------------------------------------------------------- set-up, in a subprocess


async def _setup(n: int) -> None:
    """A fair, N + 50 (warm-up) confirmed jobseekers, three exhibitors with a schedule
    each (ours, the ceiling's, the warm-up's); prints the three schedule ids."""
    import secrets

    from piccolo.apps.migrations.commands.forwards import run_forwards

    from events.services import create_event, get_event
    from exhibitors.interviews import services
    from exhibitors.tables import Exhibitor
    from fairground.seed import seed_reference_data
    from fairground.tables import Organisation
    from registrations.tables import Registration

    result = await run_forwards(app_name="all")
    assert result.success, result.message
    await seed_reference_data()
    org = await Organisation.insert(Organisation(name="Bench", kind="other")).returning(
        Organisation.id
    )
    starts = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=30)
    slug = await create_event(
        org[0]["id"],
        {
            "title": "Interview burst",
            "venue_name": "Library of Birmingham",
            "starts_at": starts,
            "ends_at": starts + timedelta(hours=5),
            "capacity": n + 100,
            "status": "published",
        },
    )
    event = await get_event(slug)
    rows = [
        Registration(
            event=event["id"],
            reference=f"FG-B{i:07d}",
            manage_token=f"{'w' if i >= n else 'b'}{i:07d}-{secrets.token_urlsafe(16)}",
            name=f"Jobseeker {i}",
            email=f"jobseeker-{i}@example.org",
            status="confirmed",
        )
        for i in range(n + 50)
    ]
    for start in range(0, len(rows), 500):
        await Registration.insert(*rows[start : start + 500])
    ids = []
    for name in ("Hiring Trust", "Ceiling Trust", "Warm-up Trust"):
        made = await Organisation.insert(Organisation(name=name, kind="other")).returning(
            Organisation.id
        )
        exhibitor = await Exhibitor.insert(
            Exhibitor(event=event["id"], organisation=made[0]["id"], status="approved")
        ).returning(Exhibitor.id)
        plan = services.ScheduleInput(
            starts_at=starts,
            ends_at=starts + timedelta(minutes=20 * TIMES),
            slot_minutes=20,
            gap_minutes=0,
            parallel=PLACES,
        )
        ids.append(str((await services.publish_schedule(exhibitor[0]["id"], plan, None))["id"]))
    print(" ".join(ids))


# ---------------------------------------------------------------- the burst


@dataclass
class Burst:
    label: str
    tally: common.Tally = field(default_factory=common.Tally)
    codes: dict[str, int] = field(default_factory=dict)
    usage: list[common.WorkerUsage] = field(default_factory=list)


async def _fire(
    url: Any, jobs: list[tuple[str, int]], concurrency: int, seconds: float, label: str
) -> Burst:
    work = iter(jobs)
    burst = Burst(label)

    async def client_loop(client: httpx.AsyncClient) -> None:
        async with client:
            for token, slot_id in work:
                if time.monotonic() > deadline:
                    return
                started = time.perf_counter()
                try:
                    response = await client.post(url(token), json={"slot_id": slot_id})
                except httpx.HTTPError:
                    burst.tally.record(started, 0)
                    continue
                burst.tally.record(started, response.status_code)
                code = "booked" if response.status_code == 201 else str(response.status_code)
                if response.status_code == 409:
                    code = str(response.json().get("error"))
                burst.codes[code] = burst.codes.get(code, 0) + 1

    clients = common.clients(concurrency)
    started, deadline = time.perf_counter(), time.monotonic() + seconds
    await asyncio.gather(*(client_loop(client) for client in clients))
    burst.tally.seconds = time.perf_counter() - started
    return burst


async def _slots(database_url: str, schedule_id: str) -> list[int]:
    rows = await common.query(
        database_url,
        f"SELECT id FROM interview_slot WHERE schedule = {schedule_id} ORDER BY starts_at",
    )
    return [r[0] for r in rows]


async def _tokens(database_url: str, prefix: str) -> list[str]:
    rows = await common.query(
        database_url,
        f"SELECT manage_token FROM registration WHERE manage_token LIKE '{prefix}%' "
        "ORDER BY manage_token",
    )
    return [r[0] for r in rows]


async def verify(
    database_url: str, schedule_id: str, burst: Burst, args: argparse.Namespace, ours: bool
) -> tuple[list[str], list[str]]:
    places = TIMES * PLACES
    ((bookings,),) = await common.query(
        database_url,
        "SELECT COUNT(*) FROM interview_booking WHERE slot IN "
        f"(SELECT id FROM interview_slot WHERE schedule = {schedule_id})",
    )
    ((counted, over),) = await common.query(
        database_url,
        "SELECT SUM(booked_count), SUM(CASE WHEN booked_count > capacity THEN 1 ELSE 0 END) "
        f"FROM interview_slot WHERE schedule = {schedule_id}",
    )
    created, errors = burst.tally.statuses[201], burst.tally.errors_5xx
    answered = sum(burst.codes.values())
    checks = [
        (errors == 0, f"{errors} 5xx (or no answer)"),
        (answered == args.n, f"{answered} of {args.n} answered"),
        (
            set(burst.codes) <= {"booked", "slot_full"},
            f"answers {burst.codes} (only booked or slot_full)",
        ),
        (
            created == bookings == counted == places,
            f"{created} booked (201), {bookings} rows, count {counted}, places {places}",
        ),
        (not over, f"{over or 0} times over their places"),
    ]
    if ours:
        ((emails,),) = await common.query(
            database_url,
            "SELECT COUNT(*) FROM outbox_message WHERE template = 'interview_confirmation' "
            "AND recipient IN (SELECT email FROM registration WHERE manage_token LIKE 'b%')",
        )
        checks.append((emails == places, f"{emails} confirmation emails for {places} bookings"))
    return [text for held, text in checks if not held], [text for held, text in checks if held]


async def _run(
    args: argparse.Namespace, env: dict[str, str], app: str, factory: bool, path: Any,
    jobs: list[tuple[str, int]], warm: list[tuple[str, int]], label: str,
) -> Burst:  # fmt: skip
    async with common.serve(app, args.workers, env, factory) as servers:
        await _fire(lambda t: servers.url(path(t)), warm, 8, args.timeout, "warmup")
        burst = await _fire(
            lambda t: servers.url(path(t)), jobs, args.concurrency, args.timeout, label
        )
    burst.usage = servers.usage
    return burst


async def run_engine(engine: str, args: argparse.Namespace) -> bool:
    async with common.database(engine, "interviews") as (database_url, tmp):
        env = common.bench_env(database_url, tmp / "var")
        setup = await common.run_setup([__file__, "--setup", "-n", str(args.n)], env, limit=300)
        ours, ceiling, warmup = setup.split()[-3:]
        tokens = await _tokens(database_url, "b")
        warm_tokens = await _tokens(database_url, "w")
        ours_slots, ceiling_slots = (
            await _slots(database_url, ours),
            await _slots(database_url, ceiling),
        )
        warm_slots = await _slots(database_url, warmup)
        warm = [(t, warm_slots[i % len(warm_slots)]) for i, t in enumerate(warm_tokens[:25])]
        jobs = [(t, ours_slots[i % TIMES]) for i, t in enumerate(tokens)]
        app = await _run(
            args, env, "app:app", False, lambda t: f"/api/v1/registrations/{t}/interviews",
            jobs, warm, "fairground",
        )  # fmt: skip
        jobs = [(t, ceiling_slots[i % TIMES]) for i, t in enumerate(tokens)]
        warm = [(t, warm_slots[i % len(warm_slots)]) for i, t in enumerate(warm_tokens[25:])]
        bare = await _run(
            args, env, CEILING_APP, True, lambda t: f"/book/{t}", jobs, warm, "ceiling"
        )
        report(engine, app, bare, args)
        ok = True
        for burst, schedule_id, is_ours in ((app, ours, True), (bare, ceiling, False)):
            print(f"{burst.label}:")
            ok &= common.verdict_lines(
                *await verify(database_url, schedule_id, burst, args, is_ours)
            )
    return ok


def report(engine: str, app: Burst, bare: Burst, args: argparse.Namespace) -> None:
    workers = f"{args.workers} worker{'s' if args.workers > 1 else ''}"
    print(f"\ninterview burst, {engine}, {workers}: {args.n} jobseekers, ", end="")
    print(f"{TIMES * PLACES} places ({TIMES} times x {PLACES}), {args.concurrency} clients")
    print(f"{'':11} {common.LATENCY_HEADER}  statuses; web workers")
    for burst in (app, bare):
        tally = burst.tally
        print(f"{burst.label:11} {tally.latency_columns()}  {tally.histogram()}; ", end="")
        print(common.usage_text(burst.usage))
    print(f"ratio fairground/ceiling: {common.ratio(app.tally, bare.tally)}")


async def main(args: argparse.Namespace) -> int:
    ok = True
    for engine in common.engines_from(args):
        ok &= await run_engine(engine, args)
    return 0 if ok else 1


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="jobseekers, one booking each")
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
        asyncio.run(common.with_engine(_setup(options.n)))
        sys.exit(0)
    sys.exit(common.run_main(main(options)))
