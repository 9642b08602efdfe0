"""Loopback servers for tests: a free port, the app under uvicorn in the test's loop, and a
real SMTP server (aiosmtpd) with the test's handler."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import uvicorn
from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on just now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def app_in_loop(app: Any) -> AsyncIterator[str]:
    """Serve `app` under uvicorn in the running event loop on a free loopback port, for
    what the test client cannot do (it buffers whole bodies: event streams never end);
    yields its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    instance = uvicorn.Server(config)
    task = asyncio.create_task(instance.serve())
    for _ in range(500):  # at most 10 s
        if instance.started:
            break
        await asyncio.sleep(0.02)
    assert instance.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)


@contextlib.contextmanager
def smtp_server(handler: Any) -> Iterator[int]:
    """aiosmtpd on a free loopback port, answering with `handler`; yields the port."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
