"""The exhibitors API (API.md, "Exhibitors"): applications and decisions."""

from __future__ import annotations

from typing import Any

import pytest

from exhibitors.tables import Exhibitor, ExhibitorStaff, StandAllocation
from fairground.tables import User
from tests.exhibitors.helpers import (
    application,
    apply,
    make_stand,
    make_subscriber,
    outbox,
    text_of,
)
from tests.factories import make_event, make_org, make_user, token_for


async def test_public_application_is_created_with_its_verification(client: Any) -> None:
    event = await make_event()
    await make_subscriber()
    response = await client.post(f"/api/v1/events/{event['slug']}/exhibitors", json=application())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "applied"
    assert body["verification"] == {
        "status": "verified",
        "reason": None,
        "detail": "The subscriber reference and email domain match.",
    }
    assert await Exhibitor.exists().where(Exhibitor.id == body["id"])


async def test_a_non_subscriber_is_told_so_and_kept_for_review(client: Any) -> None:
    event = await make_event()
    body = application(organisation="Acme Recruitment Ltd", subscriber_ref=None)
    response = await client.post(f"/api/v1/events/{event['slug']}/exhibitors", json=body)
    assert response.status_code == 201
    assert response.json()["verification"]["status"] == "needs_review"
    assert response.json()["verification"]["reason"] == "no_reference"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"organisation": "X"}, 422, "contact"),
        ({**application(), "surprise": 1}, 422, "surprise"),
        ({**application(), "needs": {"tables": "lots"}}, 422, "needs.tables"),
        ({**application(), "contact": {"name": "S", "email": "nope"}}, 422, "contact.email"),
        (
            {**application(), "vacancies": [{"title": "T", "job_family": "zzz"}]},
            422,
            "vacancies[0].job_family",
        ),
    ],
)
async def test_bad_application_is_a_4xx_naming_the_field(
    client: Any, body: dict[str, Any], status: int, field: str
) -> None:
    event = await make_event()
    response = await client.post(f"/api/v1/events/{event['slug']}/exhibitors", json=body)
    assert response.status_code == status, response.text
    assert field in response.json()["fields"]
    assert await Exhibitor.count() == 0


async def test_not_json_and_unknown_event(client: Any) -> None:
    event = await make_event()
    response = await client.post(
        f"/api/v1/events/{event['slug']}/exhibitors",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    response = await client.post("/api/v1/events/nope/exhibitors", json=application())
    assert response.status_code == 404


async def _world() -> dict[str, Any]:
    org = await make_org()
    event = await make_event(org)
    await make_subscriber()
    exhibitor_id = await apply(event)
    users = {
        "organiser": await make_user("organiser", org=org),
        "other_organiser": await make_user("organiser", org=await make_org()),
        "exhibitor": await make_user("exhibitor"),
        "superuser": await make_user("superuser"),
    }
    return {"event": event, "exhibitor": exhibitor_id, "users": users}


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", 401),
        ("other_organiser", 403),
        ("exhibitor", 403),
        ("organiser", 200),
        ("superuser", 200),
    ],
)
async def test_only_the_events_organisers_decide(client: Any, who: str, expected: int) -> None:
    world = await _world()
    headers = {}
    if who != "anonymous":
        headers["authorization"] = f"Bearer {await token_for(world['users'][who])}"
    response = await client.post(
        f"/api/v1/exhibitors/{world['exhibitor']}/decision",
        json={"decision": "reject", "message": "Sorry"},
        headers=headers,
    )
    assert response.status_code == expected, response.text
    status = (await Exhibitor.select(Exhibitor.status).first())["status"]
    assert status == ("rejected" if expected == 200 else "applied")


async def test_approval_with_a_stand_invites_the_contact(client: Any) -> None:
    world = await _world()
    await make_stand(world["event"]["id"], "A12")
    token = await token_for(world["users"]["organiser"])
    response = await client.post(
        f"/api/v1/exhibitors/{world['exhibitor']}/decision",
        json={"decision": "approve", "stand": "a12", "message": "Welcome aboard"},
        headers={"authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "id": world["exhibitor"],
        "status": "approved",
        "stand": "A12",
        "message": "Welcome aboard",
    }
    contact = await User.select().where(User.email == "recruitment@coventry.gov.uk").first()
    assert contact is not None and contact["role"] == "exhibitor"
    assert await ExhibitorStaff.exists().where(ExhibitorStaff.user == contact["id"])
    decision = (await outbox("exhibitor_decision"))[0]
    assert decision["recipient"] == "recruitment@coventry.gov.uk"
    assert "/password-reset/" in text_of(decision)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"decision": "maybe"}, "decision"),
        ({"decision": "approve", "stand": "Z99"}, "stand"),
        ({"decision": "reject", "stand": "A1"}, "stand"),
        ({"decision": "approve", "message": "x" * 2001}, "message"),
    ],
)
async def test_bad_decision_names_the_field_and_changes_nothing(
    client: Any, body: dict[str, Any], field: str
) -> None:
    world = await _world()
    await make_stand(world["event"]["id"], "A1")
    token = await token_for(world["users"]["organiser"])
    response = await client.post(
        f"/api/v1/exhibitors/{world['exhibitor']}/decision",
        json=body,
        headers={"authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422, response.text
    assert field in response.json()["fields"]
    assert (await Exhibitor.select(Exhibitor.status).first())["status"] == "applied"
    assert await StandAllocation.count() == 0
    assert await User.count().where(User.role == "exhibitor") == 1  # only the world's own
    assert await outbox("exhibitor_decision") == []


async def test_unknown_exhibitor_is_404(client: Any) -> None:
    organiser = await make_user("organiser", org=await make_org())
    response = await client.post(
        "/api/v1/exhibitors/999999/decision",
        json={"decision": "approve"},
        headers={"authorization": f"Bearer {await token_for(organiser)}"},
    )
    assert response.status_code == 404
