"""Shared set-up for the leads tests: a fair with a stand, its staff and attendees."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from exhibitors.leads.routing import route_due_leads
from fairground.accounts import create_user
from fairground.db import write_transaction
from registrations.services import consent_changed
from registrations.tables import Registration
from tests.factories import (
    add_staff,
    council_id,
    make_event,
    make_exhibitor,
    make_org,
    make_user,
    token_for,
)
from tests.registrations.helpers import register

RUGBY = "E07000220"
WARWICKSHIRE = "E10000031"
COVENTRY = "E08000026"
BIRMINGHAM = "E08000025"


@dataclass
class Stand:
    event: dict[str, Any]
    exhibitor_id: int
    organisation_id: int
    staff: dict[str, Any]
    headers: dict[str, str]


async def make_stand(event: dict[str, Any] | None = None, org: int | None = None) -> Stand:
    event = event or await make_event()
    organisation_id = org or await make_org()
    exhibitor_id = await make_exhibitor(event["id"], organisation_id)
    staff = await make_user("exhibitor", org=organisation_id)
    await add_staff(exhibitor_id, staff["id"])
    headers = {"authorization": f"Bearer {await token_for(staff)}"}
    return Stand(event, exhibitor_id, organisation_id, staff, headers)


async def attendee(event: dict[str, Any], n: int = 1, **overrides: Any) -> Any:
    """A confirmed registration (the RegistrationResult, with its ticket code)."""
    overrides.setdefault("email", f"attendee{n}@example.org")
    overrides.setdefault("name", f"Attendee {n}")
    return await register(event, **overrides)


async def recruiter(code: str) -> dict[str, Any]:
    return await make_user("council", org=await council_id(code))


async def scan(client: Any, stand: Stand, code: str, **body: Any) -> Any:
    return await client.post("/api/v1/leads", json={"code": code, **body}, headers=stand.headers)


async def route_all() -> int:
    total = 0
    while done := await route_due_leads():
        total += done
    return total


async def change_consent(manage_token: str, *councils: str) -> None:
    """As the attendee's change page does: the new consent, then the hook, in one
    transaction."""
    registration = await Registration.select(Registration.id).where(
        Registration.manage_token == manage_token
    )
    async with write_transaction():
        await Registration.update({Registration.consent_councils: list(councils)}).where(
            Registration.id == registration[0]["id"]
        )
        await consent_changed(registration[0]["id"])


__all__ = ["council_id", "create_user"]
