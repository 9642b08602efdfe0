"""Check-in: every verdict, exactly once under concurrency, idempotent retries,
stats, the offline bundle, search, manual check-in and undo."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from registrations.checkin import code_hash
from registrations.services import cancel_registration
from registrations.tables import CheckIn, Registration
from registrations.tickets import sign_ticket
from tests.factories import add_door, make_open_event, make_org, make_user, token_for
from tests.registrations.helpers import register


@pytest.fixture
async def door_world() -> dict[str, Any]:
    org = await make_org()
    event = await make_open_event(org, capacity=3)
    other = await make_open_event(org)
    staff = await make_user("door")
    await add_door(event["id"], staff["id"])
    return {
        "event": event,
        "other": other,
        "staff": staff,
        "headers": {"authorization": f"Bearer {await token_for(staff)}"},
    }


async def scan(client: Any, world: dict[str, Any], code: str, **extra: Any) -> dict[str, Any]:
    body = {"code": code, "event": world["event"]["slug"], "door": "Main entrance", **extra}
    response = await client.post("/api/v1/checkins", json=body, headers=world["headers"])
    assert response.status_code == 200, response.text
    return response.json()


async def test_every_verdict(client: Any, door_world: dict[str, Any]) -> None:
    event = door_world["event"]
    amira = await register(
        event, name="Amira Khan", email="a@example.org", access_needs="BSL interpreter"
    )
    first = await scan(client, door_world, amira.ticket_code)
    assert first["result"] == "ok"
    assert first["attendee"] == {
        "name": "Amira Khan",
        "reference": amira.reference,
        "slot": None,
        "access_needs": "BSL interpreter",
    }
    assert first["door"] == "Main entrance" and first["checked_in_at"]

    again = await scan(client, door_world, amira.ticket_code, door="Side door")
    assert again["result"] == "already_checked_in"
    assert again["first_door"] == "Main entrance" and again["first_checked_in_at"]

    invalid = await scan(client, door_world, "FG1.not.a.ticket")
    assert invalid == {"result": "invalid"}
    tampered = amira.ticket_code[:-3] + ("AAA" if not amira.ticket_code.endswith("AAA") else "BBB")
    assert (await scan(client, door_world, tampered))["result"] == "invalid"
    assert (await scan(client, door_world, ""))["result"] == "invalid"
    assert (await scan(client, door_world, "ñ\x00" * 50))["result"] == "invalid"

    elsewhere = await register(door_world["other"], email="b@example.org")
    assert (await scan(client, door_world, elsewhere.ticket_code))["result"] == "wrong_event"

    gone = await register(event, email="c@example.org")
    await cancel_registration(gone.manage_token)
    assert (await scan(client, door_world, gone.ticket_code))["result"] == "cancelled"

    await register(event, email="d@example.org")
    await register(event, email="f@example.org")
    waiting = await register(event, email="e@example.org")
    assert waiting.status == "waitlisted"
    row = (
        await Registration.select(Registration.id)
        .where(Registration.reference == waiting.reference)
        .first()
    )
    assert row is not None
    forged = sign_ticket(row["id"], event["id"])  # a genuine signature, but not their ticket
    assert (await scan(client, door_world, forged))["result"] == "invalid"
    assert await CheckIn.count() == 9


async def test_waitlisted_ticket_code_is_refused(client: Any, door_world: dict[str, Any]) -> None:
    event = door_world["event"]
    holder = await register(event, email="x@example.org")
    await Registration.update({Registration.status: "waitlisted"}).where(
        Registration.reference == holder.reference
    )
    assert (await scan(client, door_world, holder.ticket_code))["result"] == "waitlisted"


async def test_fifty_concurrent_scans_give_exactly_one_ok(door_world: dict[str, Any]) -> None:
    from registrations.checkin import Scan, check_in

    ticket = (await register(door_world["event"], email="rush@example.org")).ticket_code
    scans = [
        Scan(
            code=ticket,
            event=door_world["event"]["slug"],
            door=f"Door {n % 4}",
            client_id=str(uuid.uuid4()),
            device=f"phone-{n}",
        )
        for n in range(50)
    ]
    verdicts = await asyncio.gather(*(check_in(s) for s in scans))
    results = [v["result"] for v in verdicts]
    assert results.count("ok") == 1
    assert results.count("already_checked_in") == 49
    assert await CheckIn.count().where(CheckIn.verdict == "ok") == 1
    assert await CheckIn.count() == 50


async def test_concurrent_scans_through_the_api(client: Any, door_world: dict[str, Any]) -> None:
    ticket = (await register(door_world["event"], email="api@example.org")).ticket_code
    bodies = [
        {
            "code": ticket,
            "event": door_world["event"]["slug"],
            "door": "Main",
            "client_id": str(uuid.uuid4()),
        }
        for _ in range(20)
    ]
    responses = await asyncio.gather(
        *(client.post("/api/v1/checkins", json=b, headers=door_world["headers"]) for b in bodies)
    )
    assert [r.status_code for r in responses] == [200] * 20
    assert [r.json()["result"] for r in responses].count("ok") == 1


async def test_same_client_id_has_one_effect_and_the_same_answer(
    client: Any, door_world: dict[str, Any]
) -> None:
    ticket = (await register(door_world["event"], email="retry@example.org")).ticket_code
    client_id = str(uuid.uuid4())
    first = await scan(client, door_world, ticket, client_id=client_id)
    second = await scan(client, door_world, ticket, client_id=client_id)
    assert first["result"] == second["result"] == "ok"
    assert first["checked_in_at"][:19] == second["checked_in_at"][:19]
    assert await CheckIn.count() == 1


async def test_synced_offline_duplicate_is_logged_and_counted(
    client: Any, door_world: dict[str, Any]
) -> None:
    ticket = (await register(door_world["event"], email="off@example.org")).ticket_code
    earlier = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    assert (await scan(client, door_world, ticket, scanned_at=earlier))["result"] == "ok"
    dup = await scan(client, door_world, ticket, scanned_at=earlier, device="other phone")
    assert dup["result"] == "already_checked_in"
    stats = (
        await client.get(
            f"/api/v1/events/{door_world['event']['slug']}/checkins/stats",
            headers=door_world["headers"],
        )
    ).json()
    assert stats["offline_duplicates"] == 1
    assert stats["checked_in"] == 1 and stats["by_door"] == {"Main entrance": 1}
    assert sum(q["count"] for q in stats["per_15_minutes"]) == 1


async def test_a_device_clock_out_of_range_is_replaced_by_the_time_received(
    client: Any, door_world: dict[str, Any]
) -> None:
    """A phone set to the wrong date must not date a check-in months away."""
    now = datetime.now(UTC)
    cases = {
        "future": now + timedelta(days=40),
        "long_ago": now - timedelta(days=400),
        "recent": now - timedelta(minutes=30),
    }
    for label, when in cases.items():
        ticket = (await register(door_world["event"], email=f"{label}@example.org")).ticket_code
        verdict = await scan(client, door_world, ticket, scanned_at=when.isoformat())
        admitted = datetime.fromisoformat(verdict["checked_in_at"])
        if label == "recent":
            assert abs(admitted - when) < timedelta(seconds=1)
        else:
            assert abs(admitted - now) < timedelta(minutes=5), (label, admitted)
    logged = await CheckIn.select(CheckIn.scanned_at, CheckIn.synced)
    assert all(row["synced"] for row in logged)
    assert all(
        now - timedelta(hours=1) < row["scanned_at"] < now + timedelta(minutes=5) for row in logged
    )


async def test_door_staff_of_another_event_cannot_scan(
    client: Any, door_world: dict[str, Any]
) -> None:
    outsider = await make_user("door")
    await add_door(door_world["other"]["id"], outsider["id"])
    response = await client.post(
        "/api/v1/checkins",
        json={"code": "x", "event": door_world["event"]["slug"]},
        headers={"authorization": f"Bearer {await token_for(outsider)}"},
    )
    assert response.status_code == 403
    exhibitor = await make_user("exhibitor")
    response = await client.post(
        "/api/v1/checkins",
        json={"code": "x", "event": door_world["event"]["slug"]},
        headers={"authorization": f"Bearer {await token_for(exhibitor)}"},
    )
    assert response.status_code == 403


async def test_bad_bodies_are_422_naming_the_field(client: Any, door_world: dict[str, Any]) -> None:
    bad = await client.post(
        "/api/v1/checkins",
        json={"event": door_world["event"]["slug"]},
        headers=door_world["headers"],
    )
    assert bad.status_code in (400, 422) and "code" in bad.json()["fields"]
    naive = await client.post(
        "/api/v1/checkins",
        headers=door_world["headers"],
        json={
            "code": "x",
            "event": door_world["event"]["slug"],
            "scanned_at": "2031-01-01T10:00:00",
        },
    )
    assert naive.status_code in (400, 422) and "scanned_at" in naive.json()["fields"]


async def test_offline_bundle_has_keys_hashes_and_revocations(
    client: Any, door_world: dict[str, Any]
) -> None:
    event = door_world["event"]
    kept = await register(event, name="Zażółć Gęślą", email="k@example.org")
    gone = await register(event, email="g@example.org")
    await cancel_registration(gone.manage_token)
    bundle = (
        await client.get(
            f"/api/v1/events/{event['slug']}/offline-bundle", headers=door_world["headers"]
        )
    ).json()
    assert bundle["public_keys"]
    assert [t["hash"] for t in bundle["tickets"]] == [code_hash(kept.ticket_code)]
    assert bundle["tickets"][0]["name"] == "Zażółć Gęślą"
    assert bundle["revoked"] == [code_hash(gone.ticket_code)]
    assert kept.ticket_code not in str(bundle)


async def test_search_manual_check_in_and_undo(client: Any, door_world: dict[str, Any]) -> None:
    event = door_world["event"]
    await register(event, name="Amira Khan", email="amira@example.org")
    await register(event, name="Bartosz Nowak", email="bart@example.org")
    base = f"/api/v1/events/{event['slug']}/attendees"
    by_prefix = (await client.get(base, params={"q": "bart"}, headers=door_world["headers"])).json()
    assert [r["name"] for r in by_prefix] == ["Bartosz Nowak"]
    typo = (await client.get(base, params={"q": "Amria"}, headers=door_world["headers"])).json()
    assert typo and typo[0]["name"] == "Amira Khan"
    person = typo[0]
    done = await client.post(
        f"{base}/{person['id']}/checkin", json={"door": "Desk"}, headers=door_world["headers"]
    )
    assert done.json()["result"] == "ok"
    undone = await client.post(
        f"{base}/{person['id']}/undo", json={"door": "Desk"}, headers=door_world["headers"]
    )
    assert undone.json() == {"result": "undone"}
    again = await client.post(
        f"{base}/{person['id']}/checkin", json={"door": "Desk"}, headers=door_world["headers"]
    )
    assert again.json()["result"] == "ok"
    assert await CheckIn.count().where(CheckIn.verdict == "undone") == 1
