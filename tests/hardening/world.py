"""One fair with every kind of staff, and an outsider of each kind, for the hardening tests.

The world has a second event (another organisation's), with its own door staff,
exhibitor, registration, stand, access request, routing subscription and a lead
routed to another council, so that a test can point a path at an object outside
the caller's scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from events.services import get_slots
from exhibitors.leads.routing import subscribe
from exhibitors.leads.schemas import LeadIn
from exhibitors.leads.services import capture_lead
from exhibitors.leads.tables import CouncilJobFamily, CouncilWebhook, LeadDelivery, WebhookSend
from exhibitors.stands import create_stand
from exhibitors.tables import Exhibitor
from fairground.tables import OutboxMessage
from registrations.tables import AccessRequest, Registration
from tests.factories import (
    add_door,
    add_staff,
    council_id,
    happening_now,
    make_event,
    make_exhibitor,
    make_org,
    make_partner,
    make_user,
    token_for,
)
from tests.leads.helpers import route_all
from tests.registrations.helpers import register

RUGBY = "E07000220"
COVENTRY = "E08000026"
# Only loopback, never contacted: the world registers webhooks but sends nothing.
HOOK_URL = "http://127.0.0.1:9/hook"
ROLES = (
    "organiser",
    "organiser_other",
    "door",
    "door_other",
    "exhibitor",
    "exhibitor_other",
    "council",
    "council_other",
    "partner",
    "partner_other",
    "superuser",
)


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
    # Objects the permission matrix points at (see `params`), and those of the other scope.
    ids: dict[str, Any] = field(default_factory=dict)
    other: dict[str, Any] = field(default_factory=dict)

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
            **self.ids,
        }


async def _users(org: int, other_org: int, partners: tuple[int, int]) -> dict[str, dict[str, Any]]:
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
        "partner": await make_user("partner", org=partners[0]),
        "partner_other": await make_user("partner", org=partners[1]),
        # The operator's own account; it belongs to an organisation so it can create events.
        "superuser": await make_user("superuser", org=await make_org("Fairground operator")),
    }


async def _registration_row(manage_token: str) -> int:
    row = (
        await Registration.select(Registration.id)
        .where(Registration.manage_token == manage_token)
        .first()
    )
    assert row is not None
    return int(row["id"])


async def _first_id(table: Any, *where: Any) -> int:
    query = table.select(table.id).order_by(table.id)
    for condition in where:
        query = query.where(condition)
    row = await query.first()
    assert row is not None, f"the world has no {table.__name__}"
    return int(row["id"])


async def _lead_routed(
    event: dict[str, Any], exhibitor_id: int, staff_id: int, council: str, **person: Any
) -> Any:
    """A registration that consents to `council`, scanned at the stand and routed there."""
    registered = await register(
        event,
        home_council=council,
        interests=["social-care"],
        consent={"councils": [council], "job_alerts": False},
        access_needs="BSL interpreter",
        **person,
    )
    lead = LeadIn(code=registered.ticket_code, rating=4, consent_given=True)
    await capture_lead(exhibitor_id, lead, staff_id)
    return registered


async def _applied_exhibitor(event_id: int) -> int:
    rows = await Exhibitor.insert(
        Exhibitor(
            event=event_id,
            organisation=await make_org(),
            status="applied",
            contact_name="Pat Applicant",
            contact_email="pat@applicant.example.org",
        )
    ).returning(Exhibitor.id)
    return int(rows[0]["id"])


async def new_stand(event_id: int, code: str) -> int:
    return await create_stand(
        event_id, {"code": code, "width": 3, "depth": 2, "x": 0, "y": 0, "power": False}
    )


async def new_subscription(event_id: int, council: str = RUGBY) -> int:
    await subscribe(event_id, council, "digital")
    return await _first_id(
        CouncilJobFamily,
        CouncilJobFamily.event == event_id,
        CouncilJobFamily.job_family == "digital",
    )


async def _objects(world: World) -> None:
    """The objects beside the registration: stands, an application, a subscription, mail."""
    event_id, other_id = world.event["id"], world.other_event["id"]
    world.ids = {
        "stand_id": await new_stand(event_id, "A1"),
        "stand_code": "A1",
        "applied_id": await _applied_exhibitor(event_id),
        "request_id": await _first_id(
            AccessRequest, AccessRequest.registration == world.registration_id
        ),
        "subscription_id": await new_subscription(event_id),
        "message_id": await _first_id(
            OutboxMessage, OutboxMessage.recipient == "amira@example.org"
        ),
        "send_id": await _first_id(WebhookSend, WebhookSend.council == await council_id(RUGBY)),
        "draft": (await make_event(world.event["organisation"], status="draft"))["slug"],
        "slot_id": (await get_slots(event_id))[0]["id"],
    }
    world.ids.update(await _interviews(world))
    world.other.update(
        {
            "stand_id": await new_stand(other_id, "B1"),
            "stand_code": "B1",
            "applied_id": await _applied_exhibitor(other_id),
            "request_id": await _first_id(
                AccessRequest, AccessRequest.registration == world.other["registration_id"]
            ),
            "subscription_id": await new_subscription(other_id, COVENTRY),
            "send_id": await _first_id(
                WebhookSend, WebhookSend.council == await council_id(COVENTRY)
            ),
            "delivery_id": await _first_id(
                LeadDelivery, LeadDelivery.council == await council_id(COVENTRY)
            ),
            "message_id": await _first_id(
                OutboxMessage, OutboxMessage.recipient == "jo@example.org"
            ),
        }
    )


async def _interviews(world: World) -> dict[str, Any]:
    """An open schedule (an hour from now, five at once) with the world's attendee
    booked, an invited one, and the bodies the matrix publishes schedules with."""
    from exhibitors.interviews import services as interviews

    start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=1)
    end = start + timedelta(hours=1, minutes=30)
    plan = interviews.ScheduleInput(starts_at=start, ends_at=end, parallel=5)
    made = await interviews.publish_schedule(world.exhibitor_id, plan, None)
    invited = interviews.ScheduleInput(starts_at=start, ends_at=end, mode="invited")
    invited_id = (await interviews.publish_schedule(world.exhibitor_id, invited, None))["id"]
    booking = await interviews.book(world.manage_token, made["slots"][0]["id"])
    return {
        "schedule_id": made["id"],
        "invited_schedule_id": invited_id,
        "booking_id": booking["id"],
        "iv_json": {"starts_at": start.isoformat(), "ends_at": end.isoformat(), "parallel": 2},
        # On the fair's day, whatever the hour now (a window from now could pass midnight).
        "iv_form": {
            "vacancy": "",
            "starts": "12:00",
            "ends": "13:00",
            "slot_minutes": "20",
            "gap_minutes": "5",
            "parallel": "1",
            "break_start": "",
            "break_end": "",
            "mode": "open",
        },
        "iv_invitations": {"registration_ids": [world.registration_id]},
    }


async def build_world() -> World:
    org, other_org = await make_org(), await make_org()
    # Both events are on now: the door pages and the scan API check people in.
    start = happening_now()
    slot = {"starts_at": start, "ends_at": start + timedelta(hours=1), "capacity": 50}
    event = await make_event(org, starts_at=start, slots=[slot])
    other_event = await make_event(other_org, starts_at=start)
    exhibitor_id = await make_exhibitor(event["id"])
    other_exhibitor_id = await make_exhibitor(event["id"])
    far_exhibitor_id = await make_exhibitor(other_event["id"])
    # Employability partners: the first invited to the event, the other to the other event.
    partner = await make_partner(f"World Partner {event['id']}", invite_to=event["id"])
    partner_other = await make_partner(f"Other Partner {event['id']}", invite_to=other_event["id"])
    users = await _users(org, other_org, (partner["id"], partner_other["id"]))
    await add_door(event["id"], users["door"]["id"])
    await add_door(other_event["id"], users["door_other"]["id"])
    await add_staff(exhibitor_id, users["exhibitor"]["id"])
    # Room for the colleagues each allowed role invites in the permission matrix.
    await Exhibitor.update({Exhibitor.staff_limit: 20}).where(Exhibitor.id == exhibitor_id)
    await add_staff(other_exhibitor_id, users["exhibitor_other"]["id"])
    far_staff = await make_user("exhibitor")
    await add_staff(far_exhibitor_id, far_staff["id"])
    for code in (RUGBY, COVENTRY):  # so that routing leaves a webhook send for each
        hook = CouncilWebhook(council=await council_id(code), url=HOOK_URL, secret="whsec_w")
        await CouncilWebhook.insert(hook)
    slot_id = (await get_slots(event["id"]))[0]["id"]
    registered = await _lead_routed(
        event,
        exhibitor_id,
        users["exhibitor"]["id"],
        RUGBY,
        slot_id=slot_id,
        name="Amira Khan",
        email="amira@example.org",
    )
    far = await _lead_routed(
        other_event, far_exhibitor_id, far_staff["id"], COVENTRY, name="Jo Bloggs",
        email="jo@example.org",
    )  # fmt: skip
    await route_all()
    delivery = await _first_id(LeadDelivery, LeadDelivery.council == await council_id(RUGBY))
    world = World(
        event=event,
        other_event=other_event,
        exhibitor_id=exhibitor_id,
        other_exhibitor_id=other_exhibitor_id,
        registration_id=await _registration_row(registered.manage_token),
        manage_token=registered.manage_token,
        ticket_code=registered.ticket_code,
        delivery_id=delivery,
        users=users,
        other={
            "slug": other_event["slug"],
            "exhibitor_id": far_exhibitor_id,
            "registration_id": await _registration_row(far.manage_token),
            "ticket_code": far.ticket_code,
        },
    )
    await _objects(world)
    world.ids["partner_code"] = partner["short_code"]
    world.other["partner_code"] = partner_other["short_code"]
    world.tokens = {role: await token_for(user) for role, user in users.items()}
    return world
