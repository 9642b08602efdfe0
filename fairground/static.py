"""Static files with content-hashed addresses and a long cache life.

Pages link `static_url("build/app.css")`, which is `/static/build/app.css?v=<hash of
its bytes>`. A response to that exact address never changes, so it is cached for a
year as `immutable`; a deploy that changes the file changes the address. Anything
else under /static/ (an old or missing `v`, the addresses our scripts import from
each other, the scanners' service workers' lists) is `no-cache`: the browser keeps
it but asks the server before using it again. The ETag is the content hash, and
`StaticRevalidation` answers a matching If-None-Match with a bodiless 304 (Litestar's
static files answer 200 to it), so asking again costs a round trip, not the file.

The file names stay as they are because the scanners' service workers keep a list
of them (static/js/*-sw.js) and match requests by path, ignoring the query.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qs

from litestar.datastructures import Headers, MutableScopeHeaders
from litestar.middleware.base import ASGIMiddleware
from litestar.types import ASGIApp, HTTPResponseStartEvent, Message, Receive, Scope, Send

STATIC = Path(__file__).resolve().parent.parent / "static"
PREFIX = "/static/"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


@lru_cache(maxsize=512)
def _digest(path: Path, mtime_ns: int, size: int) -> str:
    """Keyed by modification time and size too, so a rebuilt file gets a new hash."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def content_hash(relative: str) -> str | None:
    """The hash of a file under static/, or None if there is no such file there."""
    path = (STATIC / relative).resolve()
    if not path.is_relative_to(STATIC) or not path.is_file():
        return None
    stat = path.stat()
    return _digest(path, stat.st_mtime_ns, stat.st_size)


def static_url(relative: str) -> str:
    """The address of a file under static/ that may be cached for ever."""
    digest = content_hash(relative)
    return f"{PREFIX}{relative}" + (f"?v={digest}" if digest else "")


def _cache_control(scope: Scope) -> str:
    relative = scope["path"][len(PREFIX) :]
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    wanted = query.get("v", [""])[0]
    return IMMUTABLE if wanted and wanted == content_hash(relative) else REVALIDATE


def _etag(digest: str) -> str:
    return f'"{digest}"'


def static_cache_headers() -> Callable[[Message, Scope], Awaitable[None]]:
    """A `before_send` hook: Cache-Control, and the content hash as ETag, on every
    answer from /static/."""

    async def add_header(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        if not scope["path"].startswith(PREFIX) or message["status"] not in (200, 304):
            return
        headers = MutableScopeHeaders.from_message(message)
        headers["Cache-Control"] = _cache_control(scope)
        digest = content_hash(scope["path"][len(PREFIX) :])
        if digest:
            headers["ETag"] = _etag(digest)

    return add_header


class StaticRevalidation(ASGIMiddleware):
    """A request for a static file the browser already has (If-None-Match names its
    content hash) is answered 304 without the file."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        digest = content_hash(scope["path"][len(PREFIX) :])
        wanted = Headers.from_scope(scope).get("if-none-match", "")
        tags = {tag.strip().removeprefix("W/") for tag in wanted.split(",")}
        if digest is None or _etag(digest) not in tags:
            await next_app(scope, receive, send)
            return
        start: HTTPResponseStartEvent = {
            "type": "http.response.start",
            "status": 304,
            "headers": [],
        }
        await send(start)
        await send({"type": "http.response.body", "body": b"", "more_body": False})
