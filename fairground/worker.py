"""The worker: sends the outbox and runs each app's periodic jobs.

Apps add jobs by listing a module in JOB_MODULES whose `JOBS` is a list of
`async def job() -> int` (returns how much it did). Everything a job does is
written through the outbox, so a worker killed at any point loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable

from fairground.db import DatabaseUnavailable, start_engine, stop_engine
from fairground.mail import Sender, send_due, sender_for
from fairground.settings import get_settings

log = logging.getLogger("fairground.worker")
JOB_MODULES = ["registrations.tasks", "exhibitors.leads.tasks", "exhibitors.interviews.tasks"]
Job = Callable[[], Awaitable[int]]


def load_jobs() -> list[Job]:
    jobs: list[Job] = []
    for name in JOB_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        jobs.extend(getattr(module, "JOBS", []))
    return jobs


async def run_once(sender: Sender | None = None) -> int:
    """One pass: every periodic job, then the due outbox. Returns the work done."""
    done = 0
    for job in load_jobs():
        done += await job()
    done += await send_due(sender or sender_for(get_settings()))
    return done


async def run_forever(interval: float = 2.0) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await start_engine()
    sender = sender_for(get_settings())
    log.info("worker started; sending mail by %s", type(sender).__name__)
    try:
        while not stop.is_set():
            started = time.monotonic()
            try:
                done = await run_once(sender)
            except DatabaseUnavailable as exc:  # an outage, not a bug: one line a pass
                log.warning("worker pass skipped, the database is unavailable: %s", exc)
                done = 0
            except Exception:  # keep the worker alive; the next pass retries
                log.exception("worker pass failed")
                done = 0
            if done == 0:
                wait = max(interval - (time.monotonic() - started), 0.1)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=wait)
    finally:
        await stop_engine()
