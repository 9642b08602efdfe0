"""Check-in API (API.md "Check-in"), manual check-in, and live updates for dashboards."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.channels import ChannelsPlugin
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, FromQuery, JSONBody
from msgspec import Meta, Struct

from events.guards import door_of_event, is_organiser_of
from fairground import db
from fairground.accounts import Principal, current_principal
from fairground.errors import NotFound
from fairground.i18n import N_
from fairground.text import check_key, clean_label
from registrations import checkin, door

Row = dict[str, Any]
Text80 = Annotated[str, Meta(max_length=80)]


class CheckInIn(Struct, forbid_unknown_fields=True):
    code: Annotated[str, Meta(max_length=2000)]
    event: Annotated[str, Meta(min_length=1, max_length=80)]
    door: Text80 = ""
    client_id: Annotated[str, Meta(max_length=64)] | None = None
    scanned_at: Annotated[datetime, Meta(tz=True)] | None = None
    device: Text80 = ""


class ManualIn(Struct, forbid_unknown_fields=True):
    door: Text80 = ""
    client_id: Annotated[str, Meta(max_length=64)] | None = None


class SearchIn(Struct, forbid_unknown_fields=True):
    q: Annotated[str, Meta(max_length=100)] = ""


def _search_rows(rows: list[Row]) -> list[Row]:
    return [
        {
            "id": r["id"],
            "name": r["name"],
            "reference": r["reference"],
            "status": r["status"],
            "checked_in": r["checked_in_at"] is not None,
            "access_needs": r["access_needs"] or None,
        }
        for r in rows
    ]


def channel_for(event_id: int) -> str:
    return f"checkins-{event_id}"


async def _may_scan(request: Request[Any, Any, Any], slug: str) -> int:
    """Door staff of the event in the body (or its organisers); returns the event id.
    Checked on every scan, not cached: someone taken off the door team is refused
    from their next scan, on every device and token."""
    return await _check_door(current_principal(request), slug)


# The event and whether the principal is on its door team, in one pre-built read
# (one hand-off on SQLite, one round trip on PostgreSQL): on every scan, so that
# someone taken off the team is refused from their next one.
_DOOR_SQL = (
    "SELECT e.id, e.organisation, EXISTS (SELECT 1 FROM door_assignment d "
    'WHERE d.event = e.id AND d."user" = {}) AS door FROM event e WHERE e.slug = {}'
)
_DOOR_SQLITE, _DOOR_POSTGRES = _DOOR_SQL.format("?", "?"), _DOOR_SQL.format("$1", "$2")


async def _check_door(principal: Principal, slug: str) -> int:
    row = await db.fetch_one(_DOOR_SQLITE, _DOOR_POSTGRES, principal.id, slug)
    if row is None:
        raise NotFound(N_("There is no event at this address"), code="event_not_found")
    if is_organiser_of(principal, row["organisation"]):
        return int(row["id"])
    if principal.role != "door" or not row["door"]:  # as events.guards.is_door_staff_of
        raise PermissionDeniedException("You are not on the door team for this event")
    return int(row["id"])


def _announce(request: Request[Any, Any, Any], event_id: int, verdict: Row) -> None:
    if verdict.get("result") in ("ok", "undone"):
        channels = request.app.plugins.get(ChannelsPlugin)
        channels.publish({"result": verdict["result"]}, channel_for(event_id))


class CheckInApiController(Controller):
    path = "/api/v1"
    tags = ["check-in"]

    @post(
        "/checkins",
        status_code=200,
        summary="Scan a ticket at the door",
        opt={"no_compression": True},  # a verdict is small: not worth gzip (app.py)
    )
    async def scan(self, request: Request[Any, Any, Any], data: JSONBody[CheckInIn]) -> Row:
        principal = current_principal(request)
        event_id = await _may_scan(request, data.event)
        verdict = await checkin.check_in(
            checkin.Scan(
                code=data.code,
                event=data.event,
                door=clean_label(data.door, "door"),
                client_id=check_key(data.client_id),
                scanned_at=data.scanned_at,
                device=clean_label(data.device, "device"),
                user_id=principal.id,
            )
        )
        _announce(request, event_id, verdict)
        return verdict

    @get("/events/{slug:str}/checkins/stats", guards=[door_of_event])
    async def stats(self, slug: FromPath[str]) -> Row:
        return await door.checkin_stats(slug)

    @get("/events/{slug:str}/offline-bundle", guards=[door_of_event])
    async def bundle(self, slug: FromPath[str]) -> Row:
        return await door.offline_bundle(slug)

    @get(
        "/events/{slug:str}/attendees",
        guards=[door_of_event],
        summary="Search attendees (deprecated: the name goes in the URL; POST .../search)",
        deprecated=True,
    )
    async def search(
        self, slug: FromPath[str], q: FromQuery[Annotated[str, Meta(max_length=100)]] = ""
    ) -> list[Row]:
        return _search_rows(await door.search_attendees(slug, q))

    @post(
        "/events/{slug:str}/attendees/search",
        guards=[door_of_event],
        status_code=200,
        summary="Search attendees by name, email or reference",
    )
    async def search_by_post(self, slug: FromPath[str], data: JSONBody[SearchIn]) -> list[Row]:
        """The search text in the body, so that names stay out of URLs and access logs."""
        return _search_rows(await door.search_attendees(slug, data.q))

    @post(
        "/events/{slug:str}/attendees/{registration_id:int}/checkin",
        status_code=200,
        guards=[door_of_event],
        summary="Check in from a search result",
    )
    async def manual(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        registration_id: FromPath[int],
        data: JSONBody[ManualIn],
    ) -> Row:
        principal = current_principal(request)
        scan = checkin.Scan(
            code="",
            event=slug,
            door=clean_label(data.door, "door"),
            client_id=check_key(data.client_id),
            user_id=principal.id,
            device="manual",
        )
        verdict = await checkin.check_in_by_id(slug, registration_id, scan)
        _announce(request, await checkin.event_id_for(slug), verdict)
        return verdict

    @post(
        "/events/{slug:str}/attendees/{registration_id:int}/undo",
        status_code=200,
        guards=[door_of_event],
        summary="Undo a mistaken check-in",
    )
    async def undo(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        registration_id: FromPath[int],
        data: JSONBody[ManualIn],
    ) -> Row:
        principal = current_principal(request)
        door_name = clean_label(data.door, "door")
        undone = await checkin.undo_check_in(slug, registration_id, door_name, principal.id)
        verdict = {"result": "undone" if undone else "not_checked_in"}
        _announce(request, await checkin.event_id_for(slug), verdict)
        return verdict


ROUTES: list[Any] = [CheckInApiController]
