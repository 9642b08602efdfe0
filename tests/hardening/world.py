"""One fair with every kind of staff, and an outsider of each kind, for the hardening tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from events.services import get_slots
from exhibitors.leads.schemas import LeadIn
from exhibitors.leads.services import capture_lead
from exhibitors.leads.tables import LeadDelivery
from registrations.tables import Registration
from tests.factories import (
    add_door,
    add_staff,
    council_id,
    future,
    make_event,
    make_exhibitor,
    make_org,
    make_user,
    token_for,
)
from tests.leads.helpers import route_all
from tests.registrations.helpers import register

RUGBY = "E07000220"
COVENTRY = "E08000026"


@dataclass
class World:
    """Real ids to put in paths, and a bearer token per role (`*_other`: another scope)."""

    event: dict[str, Any]
    other_event: dict[str, Any]
    exhibitor_id: int
    other_exhibitor_id: int
    registration_id: int
    manage_token: str
    ticket_code: str
    delivery_id: int
    tokens: dict[str, str] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)

    def headers(self, role: str | None) -> dict[str, str]:
        if role is None or role == "anonymous":
            return {}
        return {"authorization": f"Bearer {self.tokens[role]}"}

    @property
    def params(self) -> dict[str, Any]:
        """Every path parameter the app uses, pointing at this world's objects."""
        return {
            "slug": self.event["slug"],
            "manage_token": self.manage_token,
            "registration_id": self.registration_id,
            "exhibitor_id": self.exhibitor_id,
            "code": RUGBY,
            "delivery_id": self.delivery_id,
        }


async def _users(org: int, other_org: int) -> dict[str, dict[str, Any]]:
    rugby, coventry = await council_id(RUGBY), await council_id(COVENTRY)
    return {
        "organiser": await make_user("organiser", org=org),
        "organiser_other": await make_user("organiser", org=other_org),
        "door": await make_user("door"),
        "door_other": await make_user("door"),
        "exhibitor": await make_user("exhibitor"),
        "exhibitor_other": await make_user("exhibitor"),
        "council": await make_user("council", org=rugby),
        "council_other": await make_user("council", org=coventry),
    }


async def build_world() -> World:
    org, other_org = await make_org(), await make_org()
    slot = {"starts_at": future(), "ends_at": future() + timedelta(hours=1), "capacity": 50}
    event = await make_event(org, slots=[slot])
    other_event = await make_event(other_org)
    exhibitor_id = await make_exhibitor(event["id"])
    other_exhibitor_id = await make_exhibitor(event["id"])
    users = await _users(org, other_org)
    await add_door(event["id"], users["door"]["id"])
    await add_door(other_event["id"], users["door_other"]["id"])
    await add_staff(exhibitor_id, users["exhibitor"]["id"])
    await add_staff(other_exhibitor_id, users["exhibitor_other"]["id"])
    slot_id = (await get_slots(event["id"]))[0]["id"]
    registered = await register(
        event,
        slot_id=slot_id,
        name="Amira Khan",
        email="amira@example.org",
        home_council=RUGBY,
        interests=["social-care"],
        consent={"councils": [RUGBY], "job_alerts": False},
    )
    lead = LeadIn(code=registered.ticket_code, rating=4, consent_given=True)
    await capture_lead(exhibitor_id, lead, users["exhibitor"]["id"])
    await route_all()
    delivery = await LeadDelivery.select(LeadDelivery.id).first()
    row = (
        await Registration.select(Registration.id)
        .where(Registration.manage_token == registered.manage_token)
        .first()
    )
    assert row is not None
    assert delivery is not None, "the world's lead was not routed to Rugby"
    world = World(
        event=event,
        other_event=other_event,
        exhibitor_id=exhibitor_id,
        other_exhibitor_id=other_exhibitor_id,
        registration_id=int(row["id"]),
        manage_token=registered.manage_token,
        ticket_code=registered.ticket_code,
        delivery_id=int(delivery["id"]),
        users=users,
    )
    world.tokens = {role: await token_for(user) for role, user in users.items()}
    return world
