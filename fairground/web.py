"""The HTTP plumbing shared by every app: authentication, errors, headers, CSRF."""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from cachetools import TTLCache
from litestar import MediaType, Request, Response
from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.datastructures import FormMultiDict
from litestar.enums import ScopeType
from litestar.exceptions import (
    ClientException,
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.middleware.base import ASGIMiddleware
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from fairground import i18n
from fairground.accounts import Principal, get_principal, principal_for_token, sha256
from fairground.db import RETRY_AFTER_SECONDS, DatabaseUnavailable
from fairground.errors import DomainError, NotFound, Throttled
from fairground.settings import Settings

log = logging.getLogger("fairground")

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSRF_COOKIE = "csrftoken"
CSRF_HEADER = "x-csrftoken"
ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
}


def is_api(request: ASGIConnection[Any, Any, Any, Any]) -> bool:
    return request.url.path.startswith("/api/")


def is_bearer_api(scope: Scope) -> bool:
    """An API request that carries a bearer token: AuthMiddleware takes the token and
    never looks at a session, and no API handler reads or writes one."""
    if not scope["path"].startswith("/api/"):
        return False
    for name, value in scope["headers"]:
        if name == b"authorization":
            return value[:7].lower() == b"bearer "
    return False


def skip_for_bearer_api(middleware: Callable[[ASGIApp], ASGIApp]) -> Callable[[ASGIApp], ASGIApp]:
    """The middleware, except for bearer-token API requests (a door scanner's), which
    go straight to what it wraps: the session middleware would only look for a cookie
    such a request does not need and answer with none."""

    def build(app: ASGIApp) -> ASGIApp:
        wrapped = middleware(app)

        async def choose(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == ScopeType.HTTP and is_bearer_api(scope):
                await app(scope, receive, send)
            else:
                await wrapped(scope, receive, send)

        return choose

    return build


class AuthMiddleware(AbstractAuthenticationMiddleware):
    """Bearer token first, then the session; anonymous is allowed and guards decide."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization")
        if header:
            scheme, _, token = header.partition(" ")
            principal = None
            if scheme.lower() == "bearer" and token.strip():
                key = f"token:{sha256(token.strip())}"
                principal = await _cached(key, lambda: principal_for_token(token.strip()))
            if principal is None:
                raise NotAuthorizedException("The API token is missing, malformed or revoked")
            return AuthenticationResult(user=principal, auth=key)
        session = connection.scope.get("session")
        user_id = session.get("uid") if isinstance(session, dict) else None
        if not isinstance(user_id, int):
            return AuthenticationResult(user=None, auth=None)
        key = f"session:{connection.cookies.get('fg_session', '')}:{user_id}"
        principal = await _cached(key, lambda: get_principal(user_id))
        if principal is not None and principal.needs_enrolment:
            _require_enrolment(connection)
        if principal is not None and is_api(connection):
            _check_api_csrf(connection)
        return AuthenticationResult(user=principal, auth=key if principal else None)


class TwoFactorSetupRequired(PermissionDeniedException):
    """A session of someone whose role needs two-factor sign-in, not yet set up."""


# What someone who must set up two-factor sign-in may still open (and sign out).
ENROLMENT_PATHS = re.compile(
    r"^/(account/two-factor(/.*)?|logout|login(/.*)?|password-reset(/.*)?)$"
)


def _require_enrolment(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    if not ENROLMENT_PATHS.match(connection.url.path):
        raise TwoFactorSetupRequired("Set up two-factor sign-in before you continue")


def forget_principal(user_id: int) -> None:
    """Drop this process's cached principals of a user (deactivated, role changed,
    two-factor reset): their next request reads the database again."""
    for key, principal in list(_principals.items()):
        if principal is not None and principal.id == user_id:
            _principals.pop(key, None)


# Who a credential belongs to, for a few seconds: a busy door sends many requests
# with one token or session. Keyed by the credential (random), never by user id,
# so nothing carries over to another sign-in.
_principals: TTLCache[str, Principal | None] = TTLCache(maxsize=4096, ttl=10)


async def _cached(key: str, load: Callable[[], Awaitable[Principal | None]]) -> Principal | None:
    if key in _principals:
        return _principals[key]
    principal = await load()
    if principal is not None:
        _principals[key] = principal
    return principal


def _check_api_csrf(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """A browser calling the API with its session cookie must echo the CSRF cookie."""
    if connection.scope.get("method", "GET") in SAFE_METHODS:
        return
    cookie = connection.cookies.get(CSRF_COOKIE, "")
    header = connection.headers.get(CSRF_HEADER, "")
    if not cookie or not hmac.compare_digest(cookie, header):
        raise PermissionDeniedException("The CSRF token is missing or wrong")


def csrf_config(settings: Settings) -> CSRFConfig:
    # The JSON API is excluded: it is called with bearer tokens, or by our own
    # pages with the session plus the X-CSRFToken header (checked above), and
    # JSON bodies cannot be sent cross-site without a CORS preflight.
    return CSRFConfig(
        secret=settings.secret_key,
        cookie_name=CSRF_COOKIE,
        header_name="X-CSRFToken",
        cookie_secure=settings.secure_cookies,
        cookie_samesite="lax",
        # Static files: no CSRF cookie on a file that is cached for a year (and shared).
        exclude=["^/api/", "^/healthz", "^/schema", "^/static/"],
    )


def _fields_from_validation(exc: ValidationException) -> dict[str, str]:
    fields: dict[str, str] = {}
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", "Invalid value"))
        key = item.get("key")
        match = re.search(r"at `\$\.([^`]+)`", message)
        if match:
            key = match.group(1)
            message = message[: match.start()].rstrip(" -")
        named = re.search(r"(unknown|missing required) field `([^`]+)`", message)
        if named:
            prefix = f"{key}." if key and key not in ("body", "data") else ""
            message = (
                "This field is not allowed"
                if named.group(1) == "unknown"
                else "This field is required"
            )
            key = f"{prefix}{named.group(2)}"
        if key and key not in ("body", "data"):
            fields[str(key)] = message
    return fields


def error_body(
    status: int, detail: str, code: str | None = None, fields: dict[str, str] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"error": code or ERROR_CODES.get(status, "error"), "detail": detail}
    if fields:
        body["fields"] = fields
    return body


def _respond(
    request: Request[Any, Any, Any],
    status: int,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    accept = request.headers.get("accept", "")
    if is_api(request) or ("application/json" in accept and "text/html" not in accept):
        return Response(body, status_code=status, media_type=MediaType.JSON, headers=headers)
    if status == 401:
        return Redirect(f"/login?next={request.url.path}")
    if body.get("error") == "two_factor_setup_required":
        return Redirect("/account/two-factor")
    if "route_handler" not in request.scope:  # no route, so no middleware ran
        i18n.set_for(request.scope)
    response = page(
        request,
        "errors/error.html",
        status_code=status,
        detail=body["detail"],
        error=body["error"],
        fields=body.get("fields", {}),
    )
    if headers:
        response.headers.update(headers)
    return response


def handle_domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Throttled) else None
    body = error_body(exc.status_code, exc.detail, exc.code, exc.fields)
    return _respond(request, exc.status_code, body, headers)


def handle_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    fields = _fields_from_validation(exc) if isinstance(exc, ValidationException) else None
    if isinstance(exc, ValidationException):
        status = 422 if fields else 400
    detail = exc.detail if status != 422 else "Some fields are not valid"
    if status == 400 and "JSON" in str(exc.detail):
        detail = "The request body is not valid JSON"
    headers = dict(exc.headers or {})
    if isinstance(exc, TwoFactorSetupRequired):
        body = error_body(403, str(exc.detail), "two_factor_setup_required")
        return _respond(request, 403, body, headers)
    if status == 429:
        headers.setdefault("Retry-After", headers.get("RateLimit-Reset", "60"))
    return _respond(request, status, error_body(status, detail, None, fields), headers)


def handle_database_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """503 while the database is away: the request changed nothing and may be sent again."""
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    detail = "The service cannot reach its database just now. Nothing was saved: try again shortly."
    body = error_body(503, detail, "database_unavailable")
    return _respond(request, 503, body, {"Retry-After": str(RETRY_AFTER_SECONDS)})


def _database_away(exc: BaseException) -> bool:
    """True if the database's absence is what led to exc (it may be a later error)."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None or isinstance(seen, DatabaseUnavailable):
            return seen is not None
        seen = seen.__cause__ or seen.__context__
    return False


def handle_server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if _database_away(exc):
        return handle_database_unavailable(request, exc)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    body = error_body(
        500, "Sorry, something went wrong on our side. Try again later.", "server_error"
    )
    return _respond(request, HTTP_500_INTERNAL_SERVER_ERROR, body)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: handle_domain_error,
    HTTPException: handle_http_error,
    DatabaseUnavailable: handle_database_unavailable,
    Exception: handle_server_error,
}


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; media-src 'self' blob:; worker-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'"
)


# Ids are SERIAL (32-bit on PostgreSQL): a larger number in a path names nothing,
# and the database drivers raise on it rather than find no row.
ID_RANGE = range(-(2**31), 2**31)


class PathIdMiddleware(ASGIMiddleware):
    """404 for an integer path parameter outside the id range, before any guard queries."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        params = scope.get("path_params") or {}
        if any(isinstance(v, int) and v not in ID_RANGE for v in params.values()):
            raise NotFound("There is nothing at this address")
        await next_app(scope, receive, send)


HSTS = "max-age=31536000; includeSubDomains"
_CSP, _HSTS = CSP.encode(), HSTS.encode()
_DEFAULT_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(self), geolocation=()"),
)


def security_headers(hsts: bool) -> Callable[[Message, Scope], Awaitable[None]]:
    """A `before_send` hook: CSP without unsafe-inline, nosniff, referrer policy,
    framing refused, HSTS over HTTPS only (when the public address is https:// and
    this request came over TLS, directly or through a proxy's X-Forwarded-Proto: a
    browser ignores HSTS sent over plain HTTP, RFC 6797 7.2). A hook rather than a
    middleware, because Litestar runs middleware only for a matched route: a 404 for
    an unknown address, a 405, or the CSRF check's 403 would go out without them. A response
    may set its own CSP (the scanners, the logos); `frame-ancestors` is then added
    if it has none."""

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        # On the raw header list, each name looked at once (MutableScopeHeaders decodes
        # and lower-cases every header for every get and setdefault: it showed in the
        # check-in's profile). ASGI header names are lower case.
        headers = message.get("headers")
        if not isinstance(headers, list):
            headers = message["headers"] = list(headers or ())
        present = {name.lower(): i for i, (name, _) in enumerate(headers)}
        at = present.get(b"content-security-policy")
        if at is None:
            headers.append((b"content-security-policy", _CSP))
        elif b"frame-ancestors" not in headers[at][1]:
            headers[at] = (headers[at][0], headers[at][1] + b"; frame-ancestors 'none'")
        for name, value in _DEFAULT_HEADERS:
            if name not in present:
                headers.append((name, value))
        if hsts and scope.get("scheme") == "https" and b"strict-transport-security" not in present:
            headers.append((b"strict-transport-security", _HSTS))

    return add_headers


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        twice = next(key for key in keys if keys.count(key) > 1)
        raise ClientException(f"The request body names {twice[:40]!r} more than once")
    return dict(pairs)


def check_json_body(body: bytes) -> None:
    """What the decoder would let through: a key twice (which value counts?) and
    nesting deeper than any body of ours, which would exhaust the decoder's stack."""
    try:
        json.loads(body, object_pairs_hook=_refuse_duplicate_keys)
    except RecursionError:
        raise ClientException("The request body is nested too deeply") from None
    except ValueError:
        pass  # not JSON at all: the decoder says so next, in the usual words


class FairgroundRequest(Request[Any, Any, Any]):
    """Request bodies are checked before they are parsed, so that each problem is a 4xx
    in the error shape, never a 500: a JSON body must be sent as JSON, be UTF-8, name
    each key once and not nest too deeply; a form must be a form, in UTF-8."""

    async def json(self) -> Any:
        body = await self.body()
        if body:
            media_type = self.content_type[0].lower()
            if media_type != "application/json" and not media_type.endswith("+json"):
                raise ClientException(
                    "Send the body as JSON, with Content-Type: application/json",
                    status_code=415,
                )
            check_json_body(body)
        try:
            return await super().json()
        except RecursionError:  # the decoder's own limit, should the check above miss it
            raise ClientException("The request body is nested too deeply") from None

    async def form(self) -> FormMultiDict:
        if self.content_type[0].lower() == FORM_TYPES[0]:
            try:  # browsers percent-encode UTF-8; anything else would be read as mojibake
                parse_qsl((await self.body()).decode("ascii"), errors="strict")
            except UnicodeDecodeError:
                raise ClientException("The form was not sent as UTF-8 text") from None
        try:
            return await super().form()
        except UnicodeDecodeError:  # a multipart field that is not UTF-8
            raise ClientException("The form was not sent as UTF-8 text") from None


async def check_form_body(request: Request[Any, Any, Any]) -> None:
    """Before every handler of a page's POST: the body is a form a browser would send
    (or nothing), read once here so that even a handler that ignores it refuses a
    broken one (see FairgroundRequest)."""
    if request.method in SAFE_METHODS or is_api(request):
        return
    media_type = request.content_type[0].lower()
    if media_type in FORM_TYPES:
        await request.form()
    elif media_type:
        raise ClientException("Send this form from its page in a web browser", status_code=415)


def principal_of(request: Request[Any, Any, Any]) -> Principal | None:
    user = request.scope.get("user")
    return user if isinstance(user, Principal) else None


def page(
    request: Request[Any, Any, Any], template: str, status_code: int = 200, **context: Any
) -> Template:
    """Render a page with the signed-in principal in its context."""
    return Template(
        template,
        context={"principal": principal_of(request), "status_code": status_code, **context},
        status_code=status_code,
    )
