"""Guards for exhibitor staff: only the staff of this exhibitor (and its event's organisers)."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from events.guards import is_organiser_of
from events.tables import Event
from exhibitors.tables import Exhibitor, ExhibitorStaff
from fairground.accounts import current_principal
from fairground.errors import NotFound


async def staff_of_exhibitor(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Staff of the exhibitor named by `exhibitor_id`, or its event's organisers."""
    principal = current_principal(connection)
    exhibitor_id = int(connection.path_params["exhibitor_id"])
    row = (
        await Exhibitor.select(Exhibitor.id, Exhibitor.event.organisation)
        .where(Exhibitor.id == exhibitor_id)
        .first()
    )
    if row is None:
        raise NotFound("There is no exhibitor at this address", code="exhibitor_not_found")
    if is_organiser_of(principal, row["event.organisation"]):
        return
    if principal.role != "exhibitor" or not await ExhibitorStaff.exists().where(
        (ExhibitorStaff.exhibitor == exhibitor_id) & (ExhibitorStaff.user == principal.id)
    ):
        raise PermissionDeniedException("You can only see your own exhibitor's stand")


async def organiser_of_exhibitor(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Organisers of the event of the exhibitor named by `exhibitor_id` (not its staff)."""
    principal = current_principal(connection)
    row = (
        await Exhibitor.select(Exhibitor.event.organisation)
        .where(Exhibitor.id == int(connection.path_params["exhibitor_id"]))
        .first()
    )
    if row is None:
        raise NotFound("There is no exhibitor at this address", code="exhibitor_not_found")
    if not is_organiser_of(principal, row["event.organisation"]):
        raise PermissionDeniedException("Only this event's organisers can decide applications")


async def exhibitors_for_user(user_id: int) -> list[dict[str, Any]]:
    ids = [
        r["exhibitor"]
        for r in await ExhibitorStaff.select(ExhibitorStaff.exhibitor).where(
            ExhibitorStaff.user == user_id
        )
    ]
    if not ids:
        return []
    return await Exhibitor.select(
        Exhibitor.id,
        Exhibitor.event,
        Exhibitor.status,
        Exhibitor.organisation.name,
        Exhibitor.event.title,
        Exhibitor.event.slug,
    ).where(Exhibitor.id.is_in(ids))


__all__ = ["Event", "exhibitors_for_user", "organiser_of_exhibitor", "staff_of_exhibitor"]
