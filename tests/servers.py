"""Loopback servers for tests: a free port, the app under uvicorn in the test's loop, a
real SMTP server (aiosmtpd) with the test's handler, and a real HTTP server that
records the webhook POSTs it receives."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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


@dataclass
class Received:
    """One POST as the receiver got it: its headers (names in lower case), the raw body."""

    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookServer:
    url: str
    received: list[Received] = field(default_factory=list)


@contextlib.contextmanager
def webhook_server() -> Iterator[WebhookServer]:
    """A threaded HTTP server on a free loopback port that answers every POST with 200
    and keeps it (headers, raw body) for the test to check."""
    server = WebhookServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            headers = {k.lower(): v for k, v in self.headers.items()}
            server.received.append(Received(headers, body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return None

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.url = f"http://127.0.0.1:{http.server_address[1]}/hooks/fairground"
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        http.shutdown()
        http.server_close()
