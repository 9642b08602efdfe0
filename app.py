"""The Fairground ASGI app: `create_app()` for tests, `app` for uvicorn and the Procfile."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.config.compression import CompressionConfig
from litestar.middleware import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.stores.memory import MemoryStore
from litestar.template import TemplateConfig

from fairground.channels import ResilientPgChannelsBackend
from fairground.db import start_engine, stop_engine
from fairground.i18n import LanguageMiddleware, enable_pseudo
from fairground.sessions import session_config
from fairground.settings import Settings, SettingsError, get_settings
from fairground.static import StaticRevalidation, static_cache_headers
from fairground.store import DatabaseStore
from fairground.templating import environment
from fairground.web import (
    EXCEPTION_HANDLERS,
    AuthMiddleware,
    FairgroundRequest,
    PathIdMiddleware,
    check_form_body,
    csrf_config,
    security_headers,
    skip_for_bearer_api,
)

ROOT = Path(__file__).resolve().parent


def _routes() -> list[Any]:
    from events.controllers import ROUTES as EVENT_ROUTES
    from exhibitors.controllers import ROUTES as EXHIBITOR_ROUTES
    from exhibitors.interviews.controllers import ROUTES as INTERVIEW_ROUTES
    from exhibitors.leads.controllers import ROUTES as LEAD_ROUTES
    from fairground.account_pages import ROUTES as ACCOUNT_ROUTES
    from fairground.controllers import ROUTES as PLATFORM_ROUTES
    from fairground.people import ROUTES as PEOPLE_ROUTES
    from registrations.controllers import ROUTES as REGISTRATION_ROUTES

    static = create_static_files_router(
        path="/static",
        directories=[ROOT / "static"],
        include_in_schema=False,
        send_as_attachment=False,
        middleware=[StaticRevalidation()],
    )
    return [
        *PLATFORM_ROUTES,
        *ACCOUNT_ROUTES,
        *PEOPLE_ROUTES,
        *EVENT_ROUTES,
        *REGISTRATION_ROUTES,
        *EXHIBITOR_ROUTES,
        *LEAD_ROUTES,
        *INTERVIEW_ROUTES,
        static,
    ]


def _rate_limit(settings: Settings) -> list[Any]:
    """Public POSTs (registration, applications) and PATCHes (an attendee's changes)
    are limited per client address."""
    if settings.rate_limit_per_minute == 0:
        return []

    def is_public_post(request: Any) -> bool:
        return request.method in ("POST", "PATCH") and request.scope["route_handler"].opt.get(
            "public_post", False
        )

    config = RateLimitConfig(
        rate_limit=("minute", settings.rate_limit_per_minute),
        store="rate_limit",
        check_throttle_handler=is_public_post,
    )
    return [config.middleware]


def _channels(settings: Settings) -> ChannelsPlugin:
    """Live dashboards: PostgreSQL LISTEN/NOTIFY across processes (reconnecting after
    a database restart), in memory on SQLite."""
    if settings.is_sqlite:
        backend: Any = MemoryChannelsBackend()
    else:
        dsn = settings.database_url.replace("postgres://", "postgresql://", 1)
        backend = ResilientPgChannelsBackend(dsn=dsn)
    return ChannelsPlugin(backend=backend, arbitrary_channels_allowed=True)


BEARER = "BearerAuth"
# Staff operations that check the credential in the handler rather than by a guard
# (a check-in names its event in the body).
CHECKED_BY_HANDLER = {("POST", "/api/v1/checkins")}


def _openapi() -> OpenAPIConfig:
    bearer = SecurityScheme(
        type="http",
        scheme="bearer",
        description="A staff API token (`fair token create`), sent as `Authorization: Bearer fg_…`",
    )
    return OpenAPIConfig(
        title="Fairground API",
        version="1.0.0",
        path="/schema",
        components=Components(security_schemes={BEARER: bearer}),
        # The document only: Litestar's HTML viewers load scripts from CDNs and run
        # inline ones, which our Content-Security-Policy refuses (blank pages).
        render_plugins=[JsonRenderPlugin(), YamlRenderPlugin()],
    )


def _declare_bearer(app: Litestar) -> Litestar:
    """Every operation behind a guard (or CHECKED_BY_HANDLER) says in the OpenAPI
    document that it takes the bearer token; public ones say nothing."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            methods: set[str] = getattr(handler, "http_methods", set())
            checked = any((method, route.path) in CHECKED_BY_HANDLER for method in methods)
            if handler.resolve_guards() or checked:
                handler.security = [{BEARER: []}]
    return app


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    if settings.pseudo_locale:
        enable_pseudo()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    sessions = session_config(settings)
    return _declare_bearer(_litestar(settings, sessions))


def _litestar(settings: Settings, sessions: Any) -> Litestar:
    return Litestar(
        route_handlers=_routes(),
        on_startup=[start_engine],
        on_shutdown=[stop_engine],
        middleware=[
            PathIdMiddleware(),
            LanguageMiddleware,
            *_rate_limit(settings),
            skip_for_bearer_api(sessions.middleware),
            DefineMiddleware(AuthMiddleware, exclude=["^/static/", "^/healthz"]),
        ],
        before_send=[security_headers(hsts=settings.secure_cookies), static_cache_headers()],
        csrf_config=csrf_config(settings),
        stores={
            "sessions": DatabaseStore("session"),
            "throttle": DatabaseStore("throttle"),
            "rate_limit": MemoryStore(),
        },
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(environment())),
        exception_handlers=EXCEPTION_HANDLERS,
        plugins=[_channels(settings)],
        openapi_config=_openapi(),
        # A handler with opt no_compression=True answers a few hundred bytes at most,
        # never worth gzip: the middleware would still build a compressor for it.
        compression_config=CompressionConfig(
            backend="gzip", minimum_size=1000, exclude_opt_key="no_compression"
        ),
        request_max_body_size=settings.max_body_bytes,
        request_class=FairgroundRequest,
        before_request=check_form_body,
        debug=False,
    )


try:
    app = create_app()
except SettingsError as exc:  # a bad environment variable: say which, then stop
    sys.stderr.write(f"Fairground cannot start: {exc}\n")
    raise SystemExit(2) from None
