"""Security headers, error pages and the OpenAPI document."""

from __future__ import annotations

from typing import Any


async def test_security_headers_on_pages_and_api(client: Any) -> None:
    for url in ("/", "/login", "/api/v1/events", "/healthz"):
        response = await client.get(url)
        csp = response.headers["content-security-policy"]
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in response.headers  # plain HTTP here


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
