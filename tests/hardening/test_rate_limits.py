"""Every anonymous POST is rate limited per client address: 429 with Retry-After.

The anonymous POSTs are taken from routes.PUBLIC_ROUTES (test_permissions.py keeps
that list complete); each one must be marked for the limiter (`public_post`) or be
in routes.RATE_LIMIT_EXEMPT with the reason. Then each is called past a limit of
two a minute on a fresh app: the third answer is 429 with Retry-After, in the API
error shape (JSON) for the API and the error page (HTML) for forms.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.factories import csrf_from, make_event
from tests.hardening.routes import PUBLIC_ROUTES, RATE_LIMIT_EXEMPT, concrete
from tests.registrations.helpers import register

LIMIT = 2
WRITES = ("POST", "PATCH")  # an attendee's changes by API are a PATCH
ANONYMOUS_WRITES = sorted(
    (method, path)
    for method, path in PUBLIC_ROUTES
    if method in WRITES and (method, path) not in RATE_LIMIT_EXEMPT
)


def limited_routes() -> set[tuple[str, str]]:
    from app import create_app

    return {
        (method, route.path)
        for route in create_app().routes
        for handler in getattr(route, "route_handlers", [])
        if handler.opt.get("public_post")
        for method in handler.http_methods
        if method in WRITES
    }


def test_every_anonymous_post_is_limited_or_exempt_with_a_reason() -> None:
    assert set(ANONYMOUS_WRITES) == limited_routes()
    assert len(ANONYMOUS_WRITES) >= 12  # registration steps, cancel, erase, reset, apply…
    assert all(reason for reason in RATE_LIMIT_EXEMPT.values())


@pytest.fixture
async def limited(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    """A fresh app (its own counters) allowing LIMIT public POSTs a minute."""
    from litestar.testing import AsyncTestClient

    from app import create_app
    from fairground.settings import load_settings

    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", str(LIMIT))
    app = create_app(load_settings())
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        client.follow_redirects = False
        yield client


@pytest.mark.parametrize(("method", "path"), ANONYMOUS_WRITES)
async def test_the_post_past_the_limit_is_429_with_retry_after(
    limited: Any, method: str, path: str
) -> None:
    event = await make_event()
    registered = await register(event)
    params = {
        "slug": event["slug"],
        "manage_token": registered.manage_token,
        "token": "x" * 43,
        "booking_id": 1,
    }
    url = concrete(path, params)
    csrf = csrf_from((await limited.get("/login")).text)
    api = path.startswith("/api/")
    body: dict[str, Any] = {"json": {}} if api else {"data": {"_csrf_token": csrf}}
    answers = [await limited.request(method, url, **body) for _ in range(LIMIT + 1)]
    assert [a.status_code == 429 for a in answers] == [False] * LIMIT + [True], [
        a.status_code for a in answers
    ]
    refused = answers[-1]
    assert int(refused.headers["retry-after"]) > 0
    if api:
        assert refused.json()["error"] == "rate_limited" and refused.json()["detail"]
    else:
        assert refused.headers["content-type"].startswith("text/html")
        assert "Too many requests" in refused.text
    assert (await limited.get(f"/events/{event['slug']}")).status_code == 200  # GETs are not
