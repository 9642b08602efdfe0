"""`make bench`: every benchmark, each beside its bare Litestar ceiling in the same run.

    .venv/bin/python -m bench [--only NAME[,NAME...]] [--sqlite-only] [-- ARGS]
    make bench BENCH="--only rush -- --scans 400 --scanners 10"

    burst    5,000 registrations for 2,000 places, 32 clients, 1 worker; SQLite, PostgreSQL
    opening  the fair opening: 10,000 registrations for 2,000 places, 2 workers; PostgreSQL
    checkin  door scans at 1, 16 and 64 scanners for a fixed time; SQLite (1 worker), PostgreSQL (2)
    rush     the door rush: 2,000 scans from 20 scanners; SQLite (1 worker), PostgreSQL (2)
    languages  pages in each jobseeker language beside English, and the negotiation; in process
    interviews  2,000 jobseekers booking 300 interview places, 32 clients; SQLite, PostgreSQL

Every benchmark also runs bench/raw.py's raw ceiling (plain SQL on one kept-open
aiosqlite connection, one asyncpg pool on PostgreSQL) and reports ours against it;
the Piccolo ceilings stay as secondary references. Where the CPU goes, per layer:
`.venv/bin/python -m bench.profile` (writes bench/results/profile.txt).

ARGS after `--` go to each chosen benchmark (so choose one). --sqlite-only leaves
PostgreSQL out (and `opening` with it). Exits non-zero if a benchmark failed its
verification or did not finish. Ctrl-C or SIGTERM stops the running benchmark,
which stops its servers and drops its database first.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOTH, SQLITE, POSTGRES = (
    ["--engines", "sqlite,postgres"],
    ["--engines", "sqlite"],
    ["--engines", "postgres"],
)
# name → (command, engines with PostgreSQL, engines without it: None if it needs PostgreSQL)
BENCHMARKS: dict[str, tuple[list[str], list[str], list[str] | None]] = {
    "burst": (["bench/registration_burst.py"], BOTH, SQLITE),
    "opening": (
        ["bench/registration_burst.py", "-n", "10000", "--capacity", "2000", "--workers", "2"],
        POSTGRES,
        None,
    ),
    "checkin": (["bench/checkin.py"], BOTH, SQLITE),
    "rush": (["bench/door_rush.py"], BOTH, SQLITE),
    # In process, no database: the same with or without PostgreSQL.
    "languages": (["bench/languages.py"], [], []),
    "interviews": (["bench/interview_burst.py"], BOTH, SQLITE),
}


def _run(command: list[str]) -> int:
    """Run one benchmark in its own session; Ctrl-C or SIGTERM here becomes one SIGTERM
    there, which it answers by cleaning up (see bench/common.py run_main)."""
    child = subprocess.Popen([sys.executable, *command], cwd=ROOT, start_new_session=True)

    def forward(signum: int, frame: object) -> None:
        child.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _choose(argv: list[str]) -> tuple[list[str], bool, list[str]]:
    own, extra = (
        (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    )
    names = list(BENCHMARKS)
    if "--only" in own:
        names = own[own.index("--only") + 1].split(",")
        unknown = [n for n in names if n not in BENCHMARKS]
        if unknown:
            raise SystemExit(f"unknown benchmark {unknown}; choose from {', '.join(BENCHMARKS)}")
    return names, "--sqlite-only" in own, extra


def main(argv: list[str]) -> int:
    if "-h" in argv or "--help" in argv:
        print(__doc__)
        return 0
    names, sqlite_only, extra = _choose(argv)
    failed = []
    for name in names:
        command, with_postgres, without = BENCHMARKS[name]
        engines = without if sqlite_only else with_postgres
        if engines is None:
            print(f"\n=== {name}: skipped (needs PostgreSQL) ===", flush=True)
            continue
        print(f"\n=== {name}: {' '.join([*command, *engines, *extra])} ===", flush=True)
        code = _run([*command, *engines, *extra])
        if code:
            failed.append(name)
        if code == 130:  # interrupted: run nothing more
            break
    done = "every benchmark finished and held its checks"
    print(f"\nbenchmarks failed: {', '.join(failed)}" if failed else f"\n{done}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
