"""What the benchmarks share: a fresh database per run, web workers on one port,
set-up in a subprocess, the closed-loop tally, percentiles and the workers' memory.

Everything a benchmark starts is cleaned up when it ends, fails or is interrupted:
Ctrl-C and SIGTERM cancel the run, so the `finally` blocks stop the servers and
drop the PostgreSQL database; the servers die with the benchmark process even if
it is killed (PR_SET_PDEATHSIG, see bench/serve.py); and databases and temporary
folders left by a benchmark process that no longer exists are swept at the start
of the next run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")
DB_PREFIX = "fairground_bench_"
TMP_PREFIX = "fairground-bench-"
_OWNED_DB = re.compile(rf"^{DB_PREFIX}(?:[a-z_]+_)?(\d+)$")  # ..._<kind>_<pid>
_OWNED_TMP = re.compile(rf"^{TMP_PREFIX}[a-z-]+-(\d+)-")  # ...<kind>-<engine>-<pid>-<random>


# ---------------------------------------------------------------- measuring


def percentile(latencies: Sequence[float], p: float) -> float:
    """The p-quantile (0..1) of latencies in seconds, in milliseconds (nearest rank)."""
    ordered = sorted(latencies)
    if not ordered:
        return float("nan")
    return ordered[min(int(len(ordered) * p), len(ordered) - 1)] * 1000


@dataclass
class Tally:
    """What one closed-loop run sent and got back."""

    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)  # 0: no HTTP answer

    def record(self, started: float, status: int) -> None:
        self.latencies.append(time.perf_counter() - started)
        self.statuses[status] += 1

    @property
    def sent(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0

    @property
    def errors_5xx(self) -> int:
        """Server errors and requests that got no HTTP answer at all."""
        return sum(n for code, n in self.statuses.items() if code >= 500 or code == 0)

    def latency_columns(self) -> str:
        p50, p95, p99 = (percentile(self.latencies, p) for p in (0.5, 0.95, 0.99))
        return f"{self.rate:8.0f} {p50:8.1f} {p95:8.1f} {p99:8.1f}"

    def histogram(self) -> str:
        return " ".join(f"{code or 'none'}:{n}" for code, n in sorted(self.statuses.items()))


_tls: ssl.SSLContext | None = None


def clients(count: int, headers: Sequence[dict[str, str]] | None = None) -> list[httpx.AsyncClient]:
    """`count` clients, one connection each, made before the clock starts. They share
    one TLS context: httpx makes one per client otherwise, even for http:// (~40 ms
    each on a busy machine, which used to land inside the timed window)."""
    global _tls
    _tls = _tls or ssl.create_default_context()
    return [
        httpx.AsyncClient(timeout=60, verify=_tls, headers=headers[i] if headers else None)
        for i in range(count)
    ]


LATENCY_HEADER = f"{'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"


def ratio(ours: Tally, ceiling: Tally) -> str:
    return f"{ours.rate / ceiling.rate:.0%}" if ceiling.rate else "n/a"


# ---------------------------------------------------------------- the web workers


@dataclass(frozen=True)
class WorkerUsage:
    pid: int
    peak_rss_mb: float  # VmHWM: the process's peak resident set, since it started
    cpu_seconds: float


def _usage(pid: int) -> WorkerUsage:
    """Peak RSS and CPU time of a live process, from /proc (Linux); NaN elsewhere."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return WorkerUsage(pid, float("nan"), float("nan"))
    peak_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
    ticks = int(stat[11]) + int(stat[12])  # utime + stime (fields 14 and 15 of stat)
    return WorkerUsage(pid, peak_kb / 1024, ticks / os.sysconf("SC_CLK_TCK"))


def usage_text(usage: Sequence[WorkerUsage]) -> str:
    if not usage:
        return "-"
    rss = "/".join(f"{u.peak_rss_mb:.0f}" for u in usage)
    cpu = "/".join(f"{u.cpu_seconds:.1f}" for u in usage)
    return f"peak RSS {rss} MB, CPU {cpu} s"


class Servers:
    """`workers` uvicorn processes behind one loopback port.

    Each worker gets its own listening socket with SO_REUSEPORT, bound to the same
    port, so the kernel spreads new connections over the workers by hash. (With
    `uvicorn --workers 2` the workers share one socket, and a closed-loop client's
    kept-alive connections can all land on whichever worker accepts first.)
    """

    def __init__(self, app: str, workers: int, env: dict[str, str], factory: bool) -> None:
        self.app, self.workers, self.env, self.factory = app, workers, env, factory
        self.port = 0
        self.processes: list[subprocess.Popen[bytes]] = []
        self.usage: list[WorkerUsage] = []
        self._ready = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}ready-{os.getpid()}-"))

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _listen(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(2048)
        self.port = sock.getsockname()[1]
        return sock

    def start(self) -> None:
        for _ in range(self.workers):
            sock = self._listen()
            command = [sys.executable, "-m", "bench.serve", self.app, "--fd", str(sock.fileno())]
            command += ["--ready", str(self._ready), "--parent", str(os.getpid())]
            command += ["--factory"] if self.factory else []
            with sock:  # the worker has its own copy of the socket now
                self.processes.append(
                    subprocess.Popen(command, cwd=ROOT, env=self.env, pass_fds=[sock.fileno()])
                )

    async def wait_ready(self, seconds: float = 60) -> None:
        """Until every worker has run the app's start-up (each touches a file then)."""
        deadline = time.monotonic() + seconds
        while len(list(self._ready.iterdir())) < len(self.processes):
            failed = [p.returncode for p in self.processes if p.poll() is not None]
            if failed or time.monotonic() > deadline:
                raise RuntimeError(f"{self.app}: workers did not start (exit codes {failed})")
            await asyncio.sleep(0.1)

    def stop(self) -> None:
        """Note each worker's peak memory and CPU, then stop it (SIGTERM, then SIGKILL)."""
        self.usage = [_usage(p.pid) for p in self.processes if p.poll() is None]
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(self._ready, ignore_errors=True)


@contextlib.asynccontextmanager
async def serve(
    app: str, workers: int, env: dict[str, str], factory: bool = False
) -> AsyncIterator[Servers]:
    servers = Servers(app, workers, env, factory)
    try:
        servers.start()
        await servers.wait_ready()
        yield servers
    finally:
        servers.stop()


# ---------------------------------------------------------------- databases and set-up


def bench_env(database_url: str, var_dir: Path) -> dict[str, str]:
    """The app's environment for a benchmark: no SMTP, no rate limit, fixed secret."""
    env = {k: v for k, v in os.environ.items() if k != "SMTP_URL"}
    env.update(
        DATABASE_URL=database_url,
        VAR_DIR=str(var_dir),
        RATE_LIMIT_PER_MINUTE="0",
        BASE_URL="http://127.0.0.1",
        SECRET_KEY="bench-" + "x" * 40,  # several workers: none races to generate one
        PYTHONPATH=str(ROOT),
    )
    return env


async def _admin(*statements: str) -> list[Any]:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN)
    try:
        return [await conn.fetch(sql) for sql in statements]
    finally:
        await conn.close()


def _alive(pid: int) -> bool:
    return pid == os.getpid() or Path(f"/proc/{pid}").exists()


def _sweep_folders() -> None:
    for path in Path(tempfile.gettempdir()).glob(f"{TMP_PREFIX}*"):
        match = _OWNED_TMP.match(path.name)
        if match and not _alive(int(match[1])):
            shutil.rmtree(path, ignore_errors=True)


async def sweep_leftovers(postgres: bool) -> None:
    """Remove what benchmark processes that no longer run left behind (e.g. killed -9)."""
    _sweep_folders()
    if not postgres:
        return
    (rows,) = await _admin(f"SELECT datname FROM pg_database WHERE datname LIKE '{DB_PREFIX}%'")
    for row in rows:
        match = _OWNED_DB.match(row["datname"])
        if match and not _alive(int(match[1])):
            await _admin(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')


@contextlib.asynccontextmanager
async def database(engine: str, kind: str) -> AsyncIterator[tuple[str, Path]]:
    """A fresh database and scratch folder for one run: (DATABASE_URL, folder).
    Both are removed afterwards, whatever happened."""
    await sweep_leftovers(postgres=engine == "postgres")
    tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{kind}-{engine}-{os.getpid()}-"))
    name = f"{DB_PREFIX}{kind}_{os.getpid()}"
    try:
        if engine == "postgres":
            await _admin(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
            yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name, tmp
        else:
            yield f"sqlite:///{tmp / 'bench.sqlite3'}", tmp
    finally:
        if engine == "postgres":
            await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)


async def query(database_url: str, sql: str) -> list[tuple[Any, ...]]:
    """Run one statement straight on the database (verification, resets); rows as tuples."""
    if database_url.startswith("sqlite"):
        path = database_url.removeprefix("sqlite:///")
        with contextlib.closing(sqlite3.connect(path, timeout=30)) as conn:
            rows = conn.execute(sql).fetchall()
            conn.commit()
        return rows
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        return [tuple(row) for row in await conn.fetch(sql)]
    finally:
        await conn.close()


async def run_setup(argv: list[str], env: dict[str, str], limit: float) -> str:
    """Run a set-up step in a subprocess (before any timing); its stdout.
    The subprocess is killed if the benchmark is interrupted or it takes too long."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, *argv, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE
    )
    try:
        stdout, _ = await asyncio.wait_for(process.communicate(), limit)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    if process.returncode:
        raise RuntimeError(f"set-up {argv} failed with exit code {process.returncode}")
    return stdout.decode()


async def with_engine(setup: Coroutine[Any, Any, None]) -> None:
    """A set-up step with the app's engine open (WAL on SQLite), closed afterwards:
    open SQLite connection threads would keep the process alive."""
    from fairground.db import start_engine, stop_engine

    await start_engine()
    try:
        await setup
    finally:
        await stop_engine()


def run_main(main: Coroutine[Any, Any, int]) -> int:
    """asyncio.run where SIGINT or SIGTERM cancels the run once, so that it cleans up
    (a second signal does not cut the clean-up short)."""

    async def guarded() -> int:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):  # SIGINT too: a background job ignores it
            loop.add_signal_handler(sig, lambda: task.cancelling() or task.cancel())
        return await main

    try:
        return asyncio.run(guarded())
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("\ninterrupted: servers stopped, databases dropped", file=sys.stderr)
        return 130


def engines_from(args: Any) -> list[str]:
    """--engines a,b (or the older --postgres flag: SQLite and PostgreSQL)."""
    if args.engines:
        return [e.strip() for e in args.engines.split(",") if e.strip()]
    return ["sqlite", "postgres"] if args.postgres else ["sqlite"]


def verdict_lines(problems: list[str], checks: list[str]) -> bool:
    """Print what was verified, or what failed; True when nothing failed."""
    for line in checks:
        print(f"  verified: {line}")
    for line in problems:
        print(f"  FAILED: {line}")
    return not problems
