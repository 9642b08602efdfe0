"""Security headers, error pages and the OpenAPI document."""

from __future__ import annotations

from typing import Any

# One request for every kind of response the app sends.
EVERY_KIND = [
    ("page", "GET", "/"),
    ("form page", "GET", "/login"),
    ("API", "GET", "/api/v1/events"),
    ("health", "GET", "/healthz"),
    ("OpenAPI", "GET", "/schema/openapi.json"),
    ("static file", "GET", "/static/js/app.js"),
    ("redirect to sign in", "GET", "/organiser"),
    ("404 page, no route", "GET", "/no/such/page"),
    ("404 JSON, no route", "GET", "/api/v1/nothing-here"),
    ("404 static", "GET", "/static/no-such.js"),
    ("404 logo (own CSP)", "GET", "/logos/no-such.png"),
    ("405", "DELETE", "/api/v1/events"),
    ("401 JSON", "GET", "/api/v1/events/x/checkins/stats"),
    ("403 CSRF", "POST", "/login"),
    ("422 JSON", "POST", "/api/v1/events/x/registrations"),
]


async def _every_kind(client: Any) -> dict[str, Any]:
    responses = {}
    for kind, method, url in EVERY_KIND:
        json = {} if method == "POST" and url.startswith("/api/") else None
        responses[kind] = await client.request(method, url, json=json)
    logo = await _logo_url(client)
    responses["logo (own CSP)"] = await client.get(logo)
    assert responses["logo (own CSP)"].status_code == 200
    assert responses["redirect to sign in"].status_code in (302, 303)
    assert responses["403 CSRF"].status_code == 403
    return responses


async def _logo_url(client: Any) -> str:
    from exhibitors import logos
    from exhibitors.tables import Exhibitor
    from tests.exhibitors.helpers import image_bytes
    from tests.factories import make_event, make_exhibitor

    exhibitor_id = await make_exhibitor((await make_event())["id"])
    name = logos.store_logo(image_bytes())
    await Exhibitor.update({Exhibitor.logo: name}).where(Exhibitor.id == exhibitor_id)
    return f"/logos/{name}"


async def test_security_headers_on_every_kind_of_response(client: Any) -> None:
    for kind, response in (await _every_kind(client)).items():
        csp = response.headers.get("content-security-policy", "")
        assert "frame-ancestors 'none'" in csp, kind
        assert "unsafe-inline" not in csp and "unsafe-eval'" not in csp, kind
        assert response.headers["x-content-type-options"] == "nosniff", kind
        assert response.headers["referrer-policy"] in ("same-origin", "no-referrer"), kind
        assert response.headers["x-frame-options"] == "DENY", kind
        assert "strict-transport-security" not in response.headers, kind  # plain HTTP here


async def test_hsts_behind_tls(monkeypatch: Any) -> None:
    from litestar.testing import AsyncTestClient

    from app import create_app
    from fairground.settings import load_settings

    monkeypatch.setenv("BASE_URL", "https://fair.example.org")
    settings = load_settings()
    assert settings.secure_cookies
    app = create_app(settings)
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as tls:
        tls.follow_redirects = False
        for kind, response in (await _every_kind(tls)).items():
            hsts = response.headers.get("strict-transport-security", "")
            assert hsts.startswith("max-age=31536000"), kind
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"], kind


async def test_unknown_page_is_a_404_page_and_unknown_api_is_json(client: Any) -> None:
    page = await client.get("/no/such/page", headers={"accept": "text/html"})
    assert page.status_code == 404
    assert "Page not found" in page.text
    api = await client.get("/api/v1/nothing-here")
    assert api.status_code == 404
    assert api.json()["error"] == "not_found"


async def test_wrong_method_is_405_in_the_error_shape(client: Any) -> None:
    response = await client.delete("/api/v1/events")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"


async def test_openapi_document_lists_the_api(client: Any) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/events" in paths
    assert "/api/v1/checkins" in paths


async def test_pages_have_no_inline_scripts(client: Any) -> None:
    import re

    for url in ("/", "/login", "/accessibility", "/privacy"):
        html = (await client.get(url)).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert " style=" not in html, url
