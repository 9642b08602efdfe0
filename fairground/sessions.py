"""Server-side sessions in the shared store, with a fresh session ID at sign-in."""

from __future__ import annotations

import secrets
import time
from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.types import Empty, Message

from fairground.settings import Settings

ROTATE_FLAG = "fairground.rotate_session"
LOADED = "fairground.session_loaded"
RENEW_EVERY = 600  # seconds: an unchanged session is written back at most this often


class RotatingSessionBackend(ServerSideSessionBackend):
    """Issues a new session ID when a handler asks for it (sign-in), against fixation."""

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        scope: dict[str, Any] = connection.scope  # type: ignore[assignment]
        if scope.get(ROTATE_FLAG) is True:
            new_id = self.generate_session_id()
            scope[ROTATE_FLAG] = new_id
            return new_id
        if isinstance(scope.get(ROTATE_FLAG), str):
            return str(scope[ROTATE_FLAG])
        return super().get_session_id(connection)

    async def load_from_connection(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> dict[str, Any]:
        data = await super().load_from_connection(connection)
        connection.scope[LOADED] = dict(data)  # type: ignore[literal-required]
        if not data and connection.cookies.get(self.config.key, "null") != "null":
            # An ID we do not hold (expired, or planted by someone else): never adopt
            # it, or whoever chose it could read what this visitor then types.
            rotate_session(connection)
        return data

    async def store_in_message(
        self, scope_session: Any, message: Message, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> None:
        """Write to the store only when there is something new to keep.

        Litestar writes every response's session back, even an empty one for an
        anonymous visitor or an API call with a token: a database write per
        request, which also made busy doors wait on each other."""
        scope: dict[str, Any] = connection.scope  # type: ignore[assignment]
        fresh_id = scope.get(ROTATE_FLAG) is not None
        if isinstance(scope_session, dict) and (not fresh_id or not scope_session):
            has_cookie = connection.cookies.get(self.config.key, "null") != "null"
            if not scope_session:
                if has_cookie:
                    await super().store_in_message(Empty, message, connection)
                return
            loaded = scope.get(LOADED) or {}
            if scope_session == loaded and time.time() - loaded.get("_renewed", 0) < RENEW_EVERY:
                return
        if isinstance(scope_session, dict) and scope_session:
            scope_session["_renewed"] = int(time.time())
        await super().store_in_message(scope_session, message, connection)


class RotatingSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend


def rotate_session(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    connection.scope[ROTATE_FLAG] = True  # type: ignore[literal-required]


def session_config(settings: Settings) -> RotatingSessionConfig:
    return RotatingSessionConfig(
        store="sessions",
        key="fg_session",
        max_age=12 * 3600,
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
        renew_on_access=False,  # renewed by store_in_message, at most every RENEW_EVERY
    )


def rotate_session_to_new_id(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """Like rotate_session, but the new session ID is chosen now and returned (so that
    the sign-in can be listed under it: fairground.twofactor.register_session)."""
    new_id = secrets.token_hex(32)
    connection.scope[ROTATE_FLAG] = new_id  # type: ignore[literal-required]
    return new_id
