"""Server-side sessions in the shared store, with a fresh session ID at sign-in."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)

from fairground.settings import Settings

ROTATE_FLAG = "fairground.rotate_session"


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
        renew_on_access=True,
    )
