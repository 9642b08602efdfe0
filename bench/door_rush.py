"""Door rush: 2,000 check-ins from 20 scanners at once, beside the ceiling, verified.

    .venv/bin/python bench/door_rush.py [--engines sqlite,postgres] [--scans 2000] [--scanners 20]

For each engine (default: SQLite with one web worker, PostgreSQL with two) it
seeds an event with confirmed registrations (bench/checkin.py's set-up, one
door user and token per scanner) and starts the app. Each scanner is an httpx
client with its own bearer token, door name, device name and one kept-alive
connection, scanning in a closed loop: distinct tickets, 5% second scans of a
ticket some scanner already admitted (a person coming back, or a screenshot
passed on), and 1% invalid codes (a tampered signature, a stray QR code). A
short warm-up on spare tickets comes first. Then the bare Litestar ceiling
(bench/checkin.py's: one conditional UPDATE) gets the same plan on the same
tickets, un-checked in between.

Verified from the answers and the database, exit code 1 if any fails: no 5xx,
every planned scan sent, every first scan "ok" and every ticket "ok" exactly
once, every repeat "already_checked_in" naming the door that admitted it, every
invalid code "invalid", the admitted rows are exactly the scanned tickets with
the admitting door, and the check-in log holds every scan exactly once (rows by
client_id = scans sent) with the verdict that was answered. Loopback only;
each run is bounded by --timeout seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench import raw as raw_ceiling
from bench.checkin import seed, uncheck_all

REPEAT_SHARE = 0.05
INVALID_SHARE = 0.01
WARM_UP_PER_SCANNER = 2
EXPECTED = {"first": "ok", "repeat": "already_checked_in", "invalid": "invalid"}

Seed = dict[str, Any]


@dataclass(frozen=True)
class Shot:
    """One planned scan: a first scan of ticket N, a repeat, or invalid code N."""

    kind: str
    number: int = -1  # a ticket index (first) or an invalid code index; a repeat picks later


def shares(scans: int) -> tuple[int, int, int]:
    """(first scans, repeats, invalid codes) in a rush of `scans`."""
    repeats, invalid = round(scans * REPEAT_SHARE), max(1, round(scans * INVALID_SHARE))
    return scans - repeats - invalid, repeats, invalid


def plan(scans: int, scanners: int, tickets: int, rng: random.Random) -> list[list[Shot]]:
    """Each scanner's scans: distinct tickets, REPEAT_SHARE repeats, INVALID_SHARE invalid."""
    firsts, repeats, invalid = shares(scans)
    if firsts > tickets:
        raise ValueError(f"{firsts} first scans need as many tickets, seeded {tickets}")
    shots = [Shot("first", i) for i in range(firsts)]
    shots += [Shot("repeat")] * repeats + [Shot("invalid", i) for i in range(invalid)]
    rng.shuffle(shots)
    plans = [shots[i::scanners] for i in range(scanners)]
    for own in plans:  # a scanner's first scan admits someone, so a repeat has one to repeat
        first = next((i for i, shot in enumerate(own) if shot.kind == "first"), 0)
        own[0], own[first] = own[first], own[0]
    return plans


def invalid_codes(data: Seed, count: int) -> list[str]:
    """Half a genuine code with one character of its signature changed, half stray QR text."""
    codes = []
    for i in range(count):
        if i % 2:
            codes.append(f"https://example.org/not-a-ticket/{i}")
            continue
        genuine = data["tickets"][-1 - i % len(data["tickets"])][1]
        head, signature = genuine.rsplit(".", 1)
        middle = len(signature) // 2
        swap = "B" if signature[middle] == "A" else "A"
        codes.append(f"{head}.{signature[:middle]}{swap}{signature[middle + 1 :]}")
    return codes


# ---------------------------------------------------------------- the rush


@dataclass(frozen=True)
class Answer:
    kind: str
    ticket: int  # ticket index (first, repeat) or invalid code index
    door: str
    client_id: str
    result: str
    first_door: str


@dataclass
class Rush:
    label: str
    tally: common.Tally = field(default_factory=common.Tally)
    answers: list[Answer] = field(default_factory=list)
    skipped: int = 0  # repeats planned when nothing was admitted yet (none expected)
    usage: list[common.WorkerUsage] = field(default_factory=list)


Body = Callable[[Shot, int, str, str], dict[str, Any]]  # shot, ticket, door, client id


async def _scan(client: httpx.AsyncClient, url: str, body: dict[str, Any], rush: Rush) -> Any:
    started = time.perf_counter()
    try:
        response = await client.post(url, json=body)
        answer = response.json()
    except (httpx.HTTPError, ValueError):
        rush.tally.record(started, 0)
        return {}
    rush.tally.record(started, response.status_code)
    return answer if isinstance(answer, dict) else {}


async def _rush(
    url: str, plans: list[list[Shot]], tokens: list[str], body: Body, rush: Rush, limit: float
) -> Rush:
    admitted: list[int] = []  # tickets answered "ok" and not repeated yet
    rng = random.Random(2026)

    async def scanner(number: int, shots: list[Shot], client: httpx.AsyncClient) -> None:
        door = f"Door {number + 1}"
        async with client:
            for shot in shots:
                if time.monotonic() > deadline:
                    return
                if shot.kind == "repeat" and not admitted:
                    rush.skipped += 1
                    continue
                ticket = (
                    admitted.pop(rng.randrange(len(admitted)))
                    if shot.kind == "repeat"
                    else shot.number
                )
                client_id = f"{rush.label}-{uuid.uuid4()}"
                answer = await _scan(client, url, body(shot, ticket, door, client_id), rush)
                result = str(answer.get("result", "none"))
                if result == "ok" and shot.kind == "first":
                    admitted.append(ticket)
                first_door = str(answer.get("first_door", ""))
                rush.answers.append(Answer(shot.kind, ticket, door, client_id, result, first_door))

    clients = common.clients(len(plans), [{"Authorization": f"Bearer {t}"} for t in tokens])
    started, deadline = time.perf_counter(), time.monotonic() + limit
    await asyncio.gather(*(scanner(i, plans[i], clients[i]) for i in range(len(plans))))
    rush.tally.seconds = time.perf_counter() - started
    return rush


def _bodies(data: Seed, invalid: list[str]) -> tuple[Body, Body, Body]:
    """What a scanner sends to the app (the API's scan), the raw ceiling and the Piccolo one."""
    tickets = data["tickets"]

    def app(shot: Shot, ticket: int, door: str, client_id: str) -> dict[str, Any]:
        code = invalid[ticket] if shot.kind == "invalid" else tickets[ticket][1]
        device = "scanner-" + door.split()[-1]
        scan = {"code": code, "event": data["slug"], "door": door, "device": device}
        return {**scan, "client_id": client_id}

    def raw(shot: Shot, ticket: int, door: str, client_id: str) -> dict[str, Any]:
        return {
            "code": invalid[ticket] if shot.kind == "invalid" else tickets[ticket][1],
            "door": door,
        }

    def bare(shot: Shot, ticket: int, door: str, client_id: str) -> dict[str, Any]:
        return {"id": -1 - ticket if shot.kind == "invalid" else tickets[ticket][0], "door": door}

    return app, raw, bare


async def _run(
    target: tuple[str, bool, str, Body], data: Seed, env: dict[str, str], args: argparse.Namespace
) -> Rush:
    """Start the app or the ceiling, warm it up on spare tickets, run the rush."""
    app, factory, path, body = target
    label = {"app:app": "fairground", raw_ceiling.CHECKIN_APP: "raw"}.get(app, "piccolo")
    spare = len(data["tickets"]) - args.warm  # the last tickets are the warm-up's
    plans = plan(args.scans, args.scanners, spare, random.Random(1))
    each = WARM_UP_PER_SCANNER
    warm = [
        [Shot("first", spare + i * each + j) for j in range(each)] for i in range(args.scanners)
    ]
    workers = args.postgres_workers if "postgres" in env["DATABASE_URL"] else args.sqlite_workers
    async with common.serve(app, workers, env, factory) as servers:
        url = servers.url(path)
        await _rush(url, warm, data["tokens"], body, Rush("warm"), args.timeout)
        rush = await _rush(url, plans, data["tokens"], body, Rush(label), args.timeout)
    rush.usage = servers.usage
    return rush


# ---------------------------------------------------------------- verification


def _answer_checks(rush: Rush, scans: int) -> list[tuple[bool, str]]:
    """What the answers alone show: every scan sent and answered as it should be."""
    by_kind = {kind: Counter(a.result for a in rush.answers if a.kind == kind) for kind in EXPECTED}
    oks = Counter(a.ticket for a in rush.answers if a.result == "ok")
    firsts = {a.ticket for a in rush.answers if a.kind == "first"}
    doubled = sum(1 for n in oks.values() if n > 1)
    errors = rush.tally.errors_5xx
    checks = [
        (errors == 0, f"{errors} 5xx (or no answer)"),
        (rush.tally.sent == scans and not rush.skipped, f"{rush.tally.sent} of {scans} scans sent"),
        (
            set(oks) == firsts and not doubled,
            f"{len(oks)} of {len(firsts)} scanned tickets answered ok, {doubled} more than once",
        ),
    ]
    if rush.label != "fairground":
        return checks
    for kind, expected in EXPECTED.items():
        counts = by_kind[kind]
        text = f"{kind} scans answered {dict(counts)} (all {expected})"
        checks.append((set(counts) <= {expected}, text))
    door_of = {a.ticket: a.door for a in rush.answers if a.result == "ok"}
    wrong = sum(
        1 for a in rush.answers if a.kind == "repeat" and a.first_door != door_of.get(a.ticket)
    )
    checks.append((wrong == 0, f"{wrong} repeats naming the wrong first door"))
    return checks


async def _database_checks(database_url: str, data: Seed, rush: Rush) -> list[tuple[bool, str]]:
    """The admitted rows are exactly the scanned tickets at their door; (ours) the log
    holds every scan once, with the verdict answered."""
    ids = {index: row[0] for index, row in enumerate(data["tickets"])}
    expected = {ids[a.ticket]: a.door for a in rush.answers if a.result == "ok"}
    rows = await common.query(
        database_url,
        f"SELECT id, checked_in_door FROM registration WHERE event = {data['event_id']} "
        "AND checked_in_at IS NOT NULL",
    )
    warm = set(ids.values()) - {ids[a.ticket] for a in rush.answers if a.kind != "invalid"}
    admitted = {row_id: door for row_id, door in rows if row_id not in warm}
    checks = [(admitted == expected, f"{len(admitted)} admitted rows = the ok answers, same door")]
    if rush.label == "fairground":
        log = await common.query(
            database_url,
            f"SELECT client_id, verdict FROM check_in WHERE client_id LIKE '{rush.label}-%'",
        )
        sent = {a.client_id: a.result for a in rush.answers}
        text = f"check-in log: {len(log)} rows for {len(sent)} scans, one per client_id"
        checks.append((len(log) == len(sent) and dict(log) == sent, text + ", verdict as answered"))
    return checks


async def verify(database_url: str, data: Seed, rush: Rush, scans: int) -> list[tuple[bool, str]]:
    return _answer_checks(rush, scans) + await _database_checks(database_url, data, rush)


# ---------------------------------------------------------------- per engine


def report(engine: str, workers: int, rushes: list[Rush], args: argparse.Namespace) -> None:
    ours = rushes[0]
    kinds = Counter(a.kind for a in ours.answers)
    print(
        f"\ndoor rush, {engine}, {workers} worker(s): {args.scans} scans from {args.scanners} ",
        end="",
    )
    print(
        f"scanners ({kinds['first']} first, {kinds['repeat']} repeats, {kinds['invalid']} invalid)"
    )
    print(f"{'':11} {common.LATENCY_HEADER}  statuses; results; web workers")
    for rush in rushes:
        results = " ".join(
            f"{k}:{n}" for k, n in sorted(Counter(a.result for a in rush.answers).items())
        )
        print(f"{rush.label:11} {rush.tally.latency_columns()}  {rush.tally.histogram()}; ", end="")
        print(f"{results}; {common.usage_text(rush.usage)}")
    raw, piccolo = rushes[1], rushes[2]
    print(
        f"ratio fairground/raw ceiling: {common.ratio(ours.tally, raw.tally)}; "
        f"fairground/Piccolo ceiling: {common.ratio(ours.tally, piccolo.tally)}"
    )


async def run_engine(engine: str, args: argparse.Namespace) -> bool:
    async with common.database(engine, "rush") as (database_url, tmp):
        env = common.bench_env(database_url, tmp / "var")
        total = args.scans + args.warm  # more tickets than first scans: spares for the warm-up
        data = await seed(engine, total, args.scanners, env, tmp, args.setup_timeout)
        app_body, raw_body, bare_body = _bodies(data, invalid_codes(data, shares(args.scans)[2]))
        targets = [
            ("app:app", False, "/api/v1/checkins", app_body),
            (raw_ceiling.CHECKIN_APP, True, "/checkin", raw_body),
            ("bench.checkin:make_ceiling_app", True, "/checkin", bare_body),
        ]
        rushes, checks = [], {}
        for target in targets:
            await uncheck_all(database_url)  # each admits the same tickets afresh
            rush = await _run(target, data, env, args)
            checks[rush.label] = await verify(database_url, data, rush, args.scans)
            rushes.append(rush)
    workers = args.postgres_workers if engine == "postgres" else args.sqlite_workers
    report(engine, workers, rushes, args)
    ok = True
    for label, results in checks.items():
        print(f"{label}:")
        problems = [text for held, text in results if not held]
        ok &= common.verdict_lines(problems, [text for held, text in results if held])
    return ok


async def main(args: argparse.Namespace) -> int:
    args.warm = WARM_UP_PER_SCANNER * args.scanners
    ok = True
    for engine in common.engines_from(args):
        ok &= await run_engine(engine, args)
    return 0 if ok else 1


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scans", type=int, default=2000, help="scans in the rush")
    parser.add_argument("--scanners", type=int, default=20, help="scanners at once")
    parser.add_argument("--engines", default="sqlite,postgres", help="comma-separated")
    parser.add_argument("--sqlite-workers", type=int, default=1)
    parser.add_argument("--postgres-workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=300, help="seconds per rush")
    parser.add_argument("--setup-timeout", type=float, default=600)
    args = parser.parse_args()
    args.postgres = False
    return args


if __name__ == "__main__":
    sys.exit(common.run_main(main(parse())))
