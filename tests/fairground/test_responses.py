"""What every kind of response says about itself: one charset, cache lifetimes of static
files, no cookies on them, HSTS over HTTPS only, a meta description on pages, and an
OpenAPI document that declares the bearer tokens of the staff operations."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from openapi_spec_validator import validate

from app import create_app
from fairground.settings import load_settings
from fairground.static import IMMUTABLE, content_hash
from tests.factories import make_event, make_user, token_for
from tests.leads.helpers import RUGBY, recruiter
from tests.registrations.helpers import register

STATIC = Path(__file__).resolve().parents[2] / "static"


async def test_every_kind_of_response_names_one_charset(client: Any) -> None:
    event = await make_event()
    result = await register(event)
    council = {"authorization": f"Bearer {await token_for(await recruiter(RUGBY))}"}
    answers = {
        "html": await client.get(f"/events/{event['slug']}"),
        "json": await client.get(f"/api/v1/events/{event['slug']}"),
        "feed": await client.get(f"/events/{event['slug']}.ics"),
        "invite": await client.get(f"/r/{result.manage_token}/invite.ics"),
        "csv": await client.get(f"/api/v1/councils/{RUGBY}/leads.csv", headers=council),
        "service worker": await client.get("/door/sw.js"),
        "css": await client.get("/static/build/app.css"),
        "js": await client.get("/static/js/app.js"),
        "error page": await client.get("/no-such-page", headers={"accept": "text/html"}),
    }
    for kind, answer in answers.items():
        assert answer.status_code in (200, 404), (kind, answer.status_code)
        content_type = answer.headers["content-type"]
        assert content_type.lower().count("charset") <= 1, (kind, content_type)
        if content_type.startswith("text/"):
            assert content_type.lower().count("charset=utf-8") == 1, (kind, content_type)
    assert answers["feed"].headers["content-type"] == "text/calendar; charset=utf-8"
    assert answers["csv"].headers["content-type"] == "text/csv; charset=utf-8"


# ---------------------------------------------------------------- static files


def test_pages_link_static_files_by_their_content() -> None:
    digest = content_hash("build/app.css")
    assert digest and len(digest) == 16
    assert content_hash("../app.py") is None  # nothing outside static/
    assert content_hash("build/no-such-file.css") is None


async def test_pages_link_static_files_that_may_be_kept_a_year(client: Any) -> None:
    html = (await client.get("/")).text
    links = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert links, html[:500]
    for link in links:
        assert re.search(r"\?v=[0-9a-f]{16}$", link), link
        answer = await client.get(link)
        assert answer.status_code == 200, link
        assert answer.headers["cache-control"] == IMMUTABLE, link
        assert "set-cookie" not in answer.headers, link


async def test_a_static_file_under_another_version_is_revalidated(client: Any) -> None:
    for link in ("/static/build/app.css", "/static/build/app.css?v=0123456789abcdef"):
        answer = await client.get(link)
        assert answer.status_code == 200
        assert answer.headers["cache-control"] == "no-cache"


async def test_a_static_file_the_browser_has_is_a_304(client: Any) -> None:
    """Revalidating (no-cache) costs a round trip, not the file: the module scripts
    import each other, and the scanner its decoder, by plain path."""
    first = await client.get("/static/build/app.css")
    assert first.headers["etag"] == f'"{content_hash("build/app.css")}"'
    again = await client.get(
        "/static/build/app.css", headers={"if-none-match": first.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""
    assert again.headers["cache-control"] == "no-cache"
    assert again.headers["etag"] == first.headers["etag"]
    other = await client.get("/static/build/app.css", headers={"if-none-match": '"0000"'})
    assert other.status_code == 200 and other.content == first.content


async def test_a_static_file_sets_no_cookie(client: Any) -> None:
    for link in ("/static/js/app.js", "/static/js/door-sw.js", "/static/build/app.css"):
        answer = await client.get(link, headers={"accept": "*/*"})
        assert answer.status_code == 200
        assert "set-cookie" not in answer.headers, (link, answer.headers.get("set-cookie"))
    page = await client.get("/login")
    assert "csrftoken" in page.headers.get("set-cookie", "")  # pages still have theirs


def test_the_scanners_service_workers_keep_files_whatever_their_version() -> None:
    """Pages link /static/…?v=<hash>; the scanners' workers list plain paths, match by
    path and keep one copy per path (static/js/scanner-sw-core.js)."""
    core = (STATIC / "js" / "scanner-sw-core.js").read_text(encoding="utf-8")
    assert "PRECACHE.includes(url.pathname)" in core
    assert "cache.put(key," in core and "cache.match(key)" in core
    for worker in ("door-sw.js", "stand-sw.js"):
        text = (STATIC / "js" / worker).read_text(encoding="utf-8")
        for path in re.findall(r'"(/static/[^"]+)"', text):
            assert (STATIC / path.removeprefix("/static/")).is_file(), (worker, path)


# ---------------------------------------------------------------- HSTS


@pytest.fixture
async def https_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    monkeypatch.setenv("BASE_URL", "https://fairs.example.org")
    import os

    settings = load_settings(dict(os.environ))
    yield create_app(settings)


async def test_hsts_only_over_https(https_app: Any) -> None:
    async with AsyncTestClient(app=https_app, base_url="http://fairs.example.org") as plain:
        assert "strict-transport-security" not in (await plain.get("/")).headers
    async with AsyncTestClient(app=https_app, base_url="https://fairs.example.org") as tls:
        answer = await tls.get("/")
        assert answer.headers["strict-transport-security"].startswith("max-age=31536000")


async def test_no_hsts_when_the_public_address_is_plain_http(client: Any) -> None:
    assert "strict-transport-security" not in (await client.get("/")).headers


# ---------------------------------------------------------------- pages


async def test_every_page_has_a_meta_description(client: Any) -> None:
    event = await make_event(title="Winter jobs fair")
    for path in ("/", "/login", f"/events/{event['slug']}", "/privacy", "/no-such-page"):
        html = (await client.get(path, headers={"accept": "text/html"})).text
        found = re.findall(r'<meta name="description" content="([^"]+)">', html)
        assert len(found) == 1, path
        assert len(found[0]) > 40, (path, found)
    event_page = (await client.get(f"/events/{event['slug']}")).text
    assert re.search(r'<meta name="description" content="Winter jobs fair: [^"]*10am', event_page)


# ---------------------------------------------------------------- OpenAPI


async def test_the_openapi_document_is_valid_and_declares_the_bearer_token(client: Any) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    validate(document)
    schemes = document["components"]["securitySchemes"]
    assert schemes["BearerAuth"] == {**schemes["BearerAuth"], "type": "http", "scheme": "bearer"}


def _fill(path: str, slug: str) -> str:
    path = re.sub(r"\{[a-z_]*id\}", "1", path)
    return path.replace("{slug}", slug).replace("{code}", RUGBY).replace("{manage_token}", "x")


async def test_operations_needing_a_token_say_so_and_no_others(client: Any) -> None:
    """Anonymous, each staff operation answers 401, and those are exactly the
    operations with `security` in the document."""
    event = await make_event()
    await make_user("organiser")
    document = (await client.get("/schema/openapi.json")).json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            url = _fill(path, event["slug"])
            body = {} if method in ("post", "patch", "put") else None
            if path == "/api/v1/checkins":  # its body is read before the credential
                body = {"code": "x", "event": event["slug"]}
            answer = await client.request(method.upper(), url, json=body)
            declared = operation.get("security") == [{"BearerAuth": []}]
            assert declared == (answer.status_code == 401), (method, path, answer.status_code)
