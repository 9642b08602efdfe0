"""Registering an address again re-sends its confirmation: at most once every 10
minutes and 5 times a day per registration, whoever asks and from whichever process;
the answer is `409 already_registered` either way."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fairground.errors import Conflict
from registrations import services
from tests.factories import make_event
from tests.registrations.helpers import outbox, raw, register

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.at = T0
        monkeypatch.setattr(services, "now", lambda: self.at, raising=False)

    def set(self, **after: float) -> None:
        self.at = T0 + timedelta(**after)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


async def again(event: dict[str, Any]) -> None:
    with pytest.raises(Conflict) as caught:
        await register(event, email="Amira@example.org")
    assert caught.value.code == "already_registered"


async def resent() -> int:
    """Confirmations sent after the first."""
    return len(await outbox("registration_confirmation", "amira@example.org")) - 1


async def test_at_most_one_resend_in_ten_minutes(clock: Clock) -> None:
    event = await make_event()
    await register(event)
    for _ in range(5):
        await again(event)
    assert await resent() == 1
    clock.set(minutes=9, seconds=59)
    await again(event)
    assert await resent() == 1
    clock.set(minutes=10)
    await again(event)
    await again(event)
    assert await resent() == 2


async def test_at_most_five_resends_a_day(clock: Clock) -> None:
    event = await make_event()
    await register(event)
    for n in range(8):
        clock.set(minutes=10 * n)
        await again(event)
    assert await resent() == 5
    clock.set(hours=23, minutes=59)
    await again(event)
    assert await resent() == 5
    clock.set(days=1, seconds=1)  # the first of the five is a day old
    await again(event)
    assert await resent() == 6


async def test_simultaneous_repeats_resend_once(clock: Clock) -> None:
    event = await make_event()
    await register(event)
    results = await asyncio.gather(
        *(register(event, email="amira@example.org") for _ in range(6)), return_exceptions=True
    )
    assert all(getattr(r, "code", None) == "already_registered" for r in results), results
    assert await resent() == 1


async def test_each_registration_has_its_own_allowance(clock: Clock) -> None:
    first, second = await make_event(), await make_event()
    await register(first)
    await register(second)
    await again(first)
    await again(second)
    assert await resent() == 3  # two tickets, one re-send each


async def test_the_api_answers_409_whether_or_not_it_resends(client: Any, clock: Clock) -> None:
    event = await make_event()
    url = f"/api/v1/events/{event['slug']}/registrations"
    assert (await client.post(url, json=raw())).status_code == 201
    answers = [await client.post(url, json=raw()) for _ in range(3)]
    assert [a.status_code for a in answers] == [409, 409, 409]
    assert [a.json()["error"] for a in answers] == ["already_registered"] * 3
    assert answers[0].json() == answers[2].json()
    assert await resent() == 1
