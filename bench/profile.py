"""Where one check-in's and one registration's CPU goes, layer by layer, beside the raw ceiling's.

    .venv/bin/python -m bench.profile [--requests 2000] [--concurrency 16] [--only checkin]
        [--out bench/results/profile.txt]

A fresh SQLite database is seeded (bench/checkin.py's and bench/registration_burst.py's
set-ups). Each app (ours, then bench/raw.py's ceiling) runs under uvicorn in a process
of its own with cProfile on the event-loop thread (thread CPU time, so time spent
waiting is not counted); a separate client process sends --requests requests from
--concurrency connections (fresh client_ids and emails). The layers are the
cumulative CPU of the functions that make them, per request, in microseconds;
they nest (a middleware's time includes everything inside it). "database
thread" is the CPU of the other threads (aiosqlite's: SQLite's own work and the
sqlite3 module), from /proc. --out also gets the 40 costliest functions by own
time and the 60 by cumulative time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from bench import common

# (layer, file path fragment, function name): cumulative time of every match, summed.
LAYERS: list[tuple[str, str, str]] = [
    ("uvicorn: HTTP parsing (httptools, own)", "uvicorn/protocols/http/httptools_impl", "*own"),
    ("ASGI app, all (uvicorn run_asgi)", "uvicorn/protocols/http/httptools_impl", "run_asgi"),
    ("  PathIdMiddleware", "fairground/web.py", "handle"),
    ("  LanguageMiddleware", "fairground/i18n.py", "__call__"),
    ("  session middleware", "litestar/middleware/session/base.py", "__call__"),
    ("  auth middleware", "litestar/middleware/authentication.py", "__call__"),
    ("    bearer token look-up", "fairground/web.py", "authenticate_request"),
    ("  CSRF middleware", "litestar/middleware/csrf.py", "__call__"),
    ("  compression middleware", "litestar/middleware/compression/middleware.py", "__call__"),
    ("  body parsing (request.json)", "fairground/web.py", "json"),
    ("  kwargs and data (Litestar)", "litestar/_kwargs/extractors.py", "*"),
    ("  handler: check-in API", "registrations/checkin_api.py", "scan"),
    ("    door-team check (_may_scan)", "registrations/checkin_api.py", "_may_scan"),
    ("    service: check_in", "registrations/checkin.py", "check_in"),
    ("    fast path: check_in_fast", "registrations/checkin_fast.py", "check_in"),
    ("    ticket signature (verify_ticket)", "registrations/tickets.py", "verify_ticket"),
    ("  handler: registration API", "registrations/api.py", "register"),
    ("    service: register_attendee", "registrations/services.py", "register_attendee"),
    ("    ticket signature (sign_ticket)", "registrations/tickets.py", "sign_ticket"),
    ("  query building (Piccolo querystrings)", "piccolo/query/base.py", "querystrings"),
    ("  query building (QueryString.compile)", "piccolo/querystring.py", "compile_string"),
    ("  Piccolo engine run_querystring", "piccolo/engine/sqlite.py", "run_querystring"),
    ("  Piccolo transaction enter/exit", "piccolo/engine/sqlite.py", "__a*"),
    ("  driver: aiosqlite (loop side)", "aiosqlite/", "*"),
    ("  serialisation (Litestar encode_json)", "litestar/serialization/", "encode_json"),
    ("  response (to_asgi_response)", "litestar/response/base.py", "to_asgi_response"),
    ("  header hook (security_headers)", "fairground/web.py", "add_headers"),
    ("  raw ceiling handler", "bench/raw.py", "check_in"),
    ("  raw ceiling handler (registration)", "bench/raw.py", "register"),
]


def _matches(key: tuple[str, int, str], fragment: str, name: str) -> bool:
    path, _, func = key
    if fragment not in path:
        return False
    if name in ("*", "*own"):
        return True
    if name.endswith("*"):
        return func.startswith(name[:-1])
    return func == name


def layer_table(stats: pstats.Stats, requests: int) -> list[tuple[str, float]]:
    """(layer, µs per request): cumulative (or own, for "*own") time of the matches."""
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    rows = []
    for label, fragment, name in LAYERS:
        seconds = 0.0
        for key, (_, _, own, cumulative, _) in raw.items():
            if _matches(key, fragment, name):
                seconds += own if name in ("*", "*own") else cumulative
        if seconds:
            rows.append((label, seconds / requests * 1e6))
    return rows


def _other_threads_cpu() -> float:
    """CPU seconds of this process's threads other than the main one (aiosqlite's)."""
    total = 0
    main = os.getpid()
    for task in Path("/proc/self/task").iterdir():
        if int(task.name) == main:
            continue
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # a thread that ended meanwhile
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- the client process


async def _client(url: str, bodies_file: Path, concurrency: int, headers: dict[str, str]) -> None:
    import httpx

    bodies = iter(json.loads(bodies_file.read_text()))  # noqa: ASYNC240 - before any request
    statuses: dict[str, int] = {}

    async def one(client: httpx.AsyncClient) -> None:
        async with client:
            for body in bodies:
                response = await client.post(url, json=body)
                key = str(response.status_code)
                if response.headers.get("content-type", "").startswith("application/json"):
                    key += ":" + str(response.json().get("result", response.json().get("status")))
                statuses[key] = statuses.get(key, 0) + 1

    await asyncio.gather(*(one(c) for c in common.clients(concurrency, [headers] * concurrency)))
    print(json.dumps(statuses))


# ---------------------------------------------------------------- the server process


async def _serve_and_profile(args: argparse.Namespace) -> None:
    import uvicorn

    if args.factory:
        module, _, name = args.app.partition(":")
        app = getattr(__import__(module, fromlist=[name]), name)()
    else:
        from app import app
    config = uvicorn.Config(app, port=0, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn has no event
        await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}{args.path}"

    async def client(bodies: str) -> str:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.profile", "--client", url, "--bodies", bodies,
            "--concurrency", str(args.concurrency), "--headers", args.headers,
            stdout=asyncio.subprocess.PIPE, cwd=common.ROOT,
        )  # fmt: skip
        out, _ = await process.communicate()
        return out.decode().strip()

    await client(args.warm)
    profiler = cProfile.Profile(time.thread_time)
    threads_before, cpu_before = _other_threads_cpu(), time.thread_time()
    profiler.enable()
    statuses = await client(args.bodies)
    profiler.disable()
    loop_cpu, threads = time.thread_time() - cpu_before, _other_threads_cpu() - threads_before
    server.should_exit = True
    await task
    stats = pstats.Stats(profiler)
    n = args.requests
    lines = [f"{args.label}: {n} requests, {args.concurrency} connections; answers {statuses}"]
    lines.append(f"  {'event-loop thread CPU, all':48} {loop_cpu / n * 1e6:8.0f} µs")
    lines.append(f"  {'database thread CPU (aiosqlite, SQLite)':48} {threads / n * 1e6:8.0f} µs")
    for label, micros in layer_table(stats, n):
        lines.append(f"  {label:48} {micros:8.0f} µs")
    top = io.StringIO()
    pstats.Stats(profiler, stream=top).sort_stats("tottime").print_stats(40)
    pstats.Stats(profiler, stream=top).sort_stats("cumulative").print_stats(60)
    Path(args.result).write_text("\n".join(lines) + "\n\n" + top.getvalue())  # noqa: ASYNC240


# ---------------------------------------------------------------- the parent


async def _profile(
    label: str, app: str, factory: bool, path: str, bodies: list[Any], warm: list[Any],
    env: dict[str, str], tmp: Path, args: argparse.Namespace, headers: dict[str, str],
) -> str:  # fmt: skip
    files = {"bodies": tmp / f"{label}-bodies.json", "warm": tmp / f"{label}-warm.json"}
    files["bodies"].write_text(json.dumps(bodies))
    files["warm"].write_text(json.dumps(warm))
    result = tmp / f"{label}.txt"
    argv = ["-m", "bench.profile", "--serve", app, "--path", path, "--label", label]
    argv += ["--bodies", str(files["bodies"]), "--warm", str(files["warm"])]
    argv += ["--result", str(result), "--requests", str(len(bodies))]
    argv += ["--concurrency", str(args.concurrency), "--headers", json.dumps(headers)]
    argv += ["--factory"] if factory else []
    await common.run_setup(argv, env, limit=600)
    return result.read_text()


async def main(args: argparse.Namespace) -> int:
    from bench import checkin, raw

    out: list[str] = []
    async with common.database("sqlite", "profile") as (database_url, tmp):
        env = common.bench_env(database_url, tmp / "var")
        n, warm = args.requests, 200
        data = await checkin.seed("sqlite", n + warm, 1, env, tmp, 600)
        tickets = data["tickets"]
        auth = {"Authorization": f"Bearer {data['token']}"}
        if args.only in (None, "checkin"):

            def scan(t: list[Any]) -> dict[str, Any]:
                body = {"code": t[1], "event": data["slug"], "door": "Main"}
                return {**body, "client_id": str(uuid.uuid4())}

            ours = [scan(t) for t in tickets[:n]]
            out.append(
                await _profile(
                    "check-in, fairground", "app:app", False, "/api/v1/checkins",
                    ours, [scan(t) for t in tickets[n:]], env, tmp, args, auth,
                )
            )  # fmt: skip
            await checkin.uncheck_all(database_url)
            bare = [{"code": t[1], "door": "Main"} for t in tickets]
            out.append(
                await _profile(
                    "check-in, raw ceiling", raw.CHECKIN_APP, True, "/checkin",
                    bare[:n], bare[n:], env, tmp, args, {},
                )
            )  # fmt: skip
        if args.only in (None, "registration"):
            setup = await common.run_setup(
                ["bench/registration_burst.py", "--setup", "--capacity", str(n)], env, 300
            )
            events = [item.split(":") for item in setup.split()[-4:]]

            def people(prefix: str, count: int) -> list[dict[str, str]]:
                return [
                    {"name": f"P {i}", "email": f"{prefix}-{i}@example.org"} for i in range(count)
                ]

            api = "/api/v1/events/{}/registrations"
            out.append(
                await _profile(
                    "registration, fairground", "app:app", False, api.format(events[0][0]),
                    people("ours", n), people("ourswarm", warm), env, tmp, args, {},
                )
            )  # fmt: skip
            out.append(
                await _profile(
                    "registration, raw ceiling", raw.REGISTRATION_APP, True,
                    f"/register/{events[3][1]}", people("raw", n), people("rawwarm", warm),
                    env, tmp, args, {},
                )
            )  # fmt: skip
    summary = "\n".join(part.split("\n\n", 1)[0] for part in out)
    print(summary)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(summary + "\n\n" + "\n\n".join(out))
        print(f"\n(top functions by own time in {args.out})")
    return 0


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--only", choices=["checkin", "registration"])
    parser.add_argument("--out", type=Path, default=common.ROOT / "bench/results/profile.txt")
    # the server and client processes
    parser.add_argument("--serve", dest="app")
    parser.add_argument("--factory", action="store_true")
    parser.add_argument("--path")
    parser.add_argument("--label")
    parser.add_argument("--bodies")
    parser.add_argument("--warm")
    parser.add_argument("--result")
    parser.add_argument("--client")
    parser.add_argument("--headers", default="{}")
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse()
    if arguments.client:
        asyncio.run(
            _client(
                arguments.client,
                Path(arguments.bodies),
                arguments.concurrency,
                json.loads(arguments.headers),
            )
        )
    elif arguments.app:
        asyncio.run(_serve_and_profile(arguments))
    else:
        sys.exit(common.run_main(main(arguments)))
