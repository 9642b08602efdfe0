"""Schemathesis over every `/api/v1` operation of the app's own OpenAPI document.

Each operation is one test against the live server (uvicorn on loopback, sharing
the test database) with a world of real objects and a staff token picked by path.
Cases are drawn three ways: schema-valid with random path values, schema-valid
with this world's real ids in the path (so bodies reach the services), and
schema-violating ("negative"). Checks: never a 5xx, and every 4xx has API.md's
error shape. Bounded and deterministic: `max_examples` per operation, derandomized.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterator
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

from tests.hardening.world import World, build_world

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import schemathesis
    from schemathesis import GenerationMode

# CI runs 25 per operation; `FUZZ_EXAMPLES=500` digs deeper locally.
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))


def _openapi() -> dict[str, Any]:
    from app import create_app

    return create_app().openapi_schema.to_schema()


SCHEMA = schemathesis.openapi.from_dict(_openapi())
OPERATIONS = [
    result.ok() for result in SCHEMA.get_all_operations() if result.ok().path.startswith("/api/v1/")
]


def role_for(method: str, path: str) -> str | None:
    """The staff member who may call this operation on the world's objects."""
    if path.startswith("/api/v1/councils/"):
        return "council"
    if path == "/api/v1/leads" or path.endswith("/leads"):
        return "exhibitor"
    if path == "/api/v1/checkins" or path.endswith(
        ("/offline-bundle", "/checkins/stats", "/attendees", "/checkin", "/undo")
    ):
        return "door"
    if path.startswith("/api/v1/registrations/") or path.endswith(
        ("/registrations", "/exhibitors")
    ):
        return None  # public or attendee (the manage token is the credential)
    return "organiser"


def assert_error_shape(status: int, text: str, where: str) -> None:
    try:
        body = json.loads(text)
    except ValueError:
        pytest.fail(f"{where}: {status} body is not JSON: {text[:300]!r}")
    assert isinstance(body, dict), f"{where}: {status} body is not an object: {text[:300]}"
    assert isinstance(body.get("error"), str) and body["error"], f"{where}: {text[:300]}"
    assert isinstance(body.get("detail"), str) and body["detail"], f"{where}: {text[:300]}"
    assert set(body) <= {"error", "detail", "fields"}, f"{where}: extra keys in {text[:300]}"
    fields = body.get("fields", {})
    assert isinstance(fields, dict), f"{where}: {text[:300]}"
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items()), where


def strategy(operation: Any, world: World) -> st.SearchStrategy[Any]:
    real = {
        name: world.params[name]
        for name in (p.name for p in operation.path_parameters)
        if name in world.params
    }
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE, path_parameters=real),
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=real),
    ]
    return st.one_of(strategies)


@pytest.fixture
def world() -> Iterator[World]:
    # Hypothesis tests are synchronous; the factories run in the session's loop.
    import asyncio

    loop = asyncio.get_event_loop_policy().get_event_loop()
    yield loop.run_until_complete(build_world())


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: f"{op.method.upper()} {op.path}")
def test_api_operation_never_fails_and_errors_have_the_shape(
    operation: Any, world: World, live_server: str
) -> None:
    headers = world.headers(role_for(operation.method.upper(), operation.path))

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(strategy(operation, world))
        response = case.call(base_url=live_server, headers=headers, timeout=10)
        where = f"{case.method} {case.formatted_path} query={case.query} body={case.body!r:.200}"
        assert response.status_code < 500, f"{where} → {response.status_code}: {response.text}"
        if 400 <= response.status_code < 500:
            assert_error_shape(response.status_code, response.text, where)

    run()
