"""One benchmark web worker: uvicorn on a listening socket the benchmark made.

    python -m bench.serve APP --fd N --ready DIR --parent PID [--factory]

Started by bench.common.Servers, never by hand. The worker dies with the
benchmark process, even one killed with SIGKILL (PR_SET_PDEATHSIG), and touches
DIR/<pid> once the app has started (lifespan included), so the benchmark knows
when every worker is ready without guessing where its connections land.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import os
import signal
import socket
import sys
from pathlib import Path

import uvicorn

PR_SET_PDEATHSIG = 1


def _die_with(parent: int) -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before prctl took effect
        sys.exit(0)


async def _serve(server: uvicorn.Server, sock: socket.socket, ready: Path) -> None:
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():  # noqa: ASYNC110 - uvicorn has no event
        await asyncio.sleep(0.05)
    if server.started:
        (ready / str(os.getpid())).touch()
    await task


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("app")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--ready", type=Path, required=True)
    parser.add_argument("--parent", type=int, required=True)
    parser.add_argument("--factory", action="store_true")
    args = parser.parse_args()
    _die_with(args.parent)
    sock = socket.socket(fileno=args.fd)
    config = uvicorn.Config(args.app, factory=args.factory, log_level="warning", access_log=False)
    loop_factory = getattr(config, "get_loop_factory", lambda: None)()  # uvloop when installed
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(_serve(uvicorn.Server(config), sock, args.ready))


if __name__ == "__main__":
    main()
