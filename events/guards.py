"""Guards that check the role and the object: this event's organiser, its door staff."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from events.tables import DoorAssignment, Event
from fairground.accounts import Principal, current_principal
from fairground.errors import NotFound


async def _event_org(slug: str) -> tuple[int, int]:
    row = await Event.select(Event.id, Event.organisation).where(Event.slug == slug).first()
    if row is None:
        raise NotFound("There is no event at this address", code="event_not_found")
    return row["id"], row["organisation"]


def is_organiser_of(principal: Principal, organisation_id: int) -> bool:
    return principal.is_superuser or (
        principal.role == "organiser" and principal.organisation_id == organisation_id
    )


async def is_door_staff_of(principal: Principal, event_id: int) -> bool:
    if principal.role != "door":
        return False
    return await DoorAssignment.exists().where(
        (DoorAssignment.event == event_id) & (DoorAssignment.user == principal.id)
    )


async def organiser_of_event(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Organisers of the organisation that runs the event named by `slug`."""
    principal = current_principal(connection)
    organisation_id = (await _event_org(connection.path_params["slug"]))[1]
    if not is_organiser_of(principal, organisation_id):
        raise PermissionDeniedException("Only this event's organisers can do this")


async def door_of_event(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Door staff assigned to the event (and its organisers)."""
    principal = current_principal(connection)
    event_id, organisation_id = await _event_org(connection.path_params["slug"])
    if is_organiser_of(principal, organisation_id):
        return
    if not await is_door_staff_of(principal, event_id):
        raise PermissionDeniedException("You are not on the door team for this event")
