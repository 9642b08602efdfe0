"""The interviews JSON API (docs/API-extensions.md, "Interviews")."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, FromQuery, JSONBody

from events.guards import is_organiser_of, organiser_of_event
from events.services import get_event
from exhibitors.guards import staff_of_exhibitor
from exhibitors.interviews import services
from exhibitors.interviews.schemas import (
    BookingIn,
    InvitationsIn,
    OutcomeIn,
    PolicyIn,
    ScheduleIn,
    WalkInIn,
)
from exhibitors.interviews.tables import InterviewBooking
from exhibitors.tables import ExhibitorStaff
from fairground.accounts import current_principal, require_roles
from fairground.errors import NotFound
from fairground.i18n import N_

Req = Request[Any, Any, Any]
Row = dict[str, Any]
PRIVATE = {"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex"}
PUBLIC = {"public_post": True}


async def staff_of_booking(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Staff of the booking's exhibitor, or its event's organisers."""
    principal = current_principal(connection)
    row = (
        await InterviewBooking.select(
            InterviewBooking.exhibitor, InterviewBooking.event.organisation
        )
        .where(InterviewBooking.id == int(connection.path_params["booking_id"]))
        .first()
    )
    if row is None:
        raise NotFound("There is no interview booking at this address", code="booking_not_found")
    if is_organiser_of(principal, row["event.organisation"]):
        return
    if principal.role != "exhibitor" or not await ExhibitorStaff.exists().where(
        (ExhibitorStaff.exhibitor == row["exhibitor"]) & (ExhibitorStaff.user == principal.id)
    ):
        raise PermissionDeniedException("You can only record your own exhibitor's interviews")


async def public_event(slug: str) -> Row:
    event = await get_event(slug)
    if event["status"] == "draft":
        raise NotFound(N_("There is no event at this address"), code="event_not_found")
    return event


def schedule_input(data: ScheduleIn) -> services.ScheduleInput:
    return services.ScheduleInput(
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        slot_minutes=data.slot_minutes,
        gap_minutes=data.gap_minutes,
        parallel=data.parallel,
        breaks=[(s, e) for s, e in data.breaks],
        mode=data.mode,
        vacancy_id=data.vacancy_id,
    )


class ExhibitorInterviewApi(Controller):
    path = "/api/v1/exhibitors/{exhibitor_id:int}"
    tags = ["interviews"]
    guards = [require_roles("exhibitor", "organiser"), staff_of_exhibitor]

    @post("/schedules", summary="Publish an interview schedule")
    async def publish(
        self, request: Req, exhibitor_id: FromPath[int], data: JSONBody[ScheduleIn]
    ) -> Response[Row]:
        actor = current_principal(request).id
        made = await services.publish_schedule(exhibitor_id, schedule_input(data), actor)
        return Response(made, status_code=201)

    @get("/schedules", summary="An exhibitor's interview schedules")
    async def schedules(self, exhibitor_id: FromPath[int]) -> list[Row]:
        return await services.schedules_for_exhibitor(exhibitor_id)

    @post(
        "/schedules/{schedule_id:int}/invitations",
        status_code=200,
        summary="Invite people who showed interest to choose a time",
    )
    async def invitations(
        self, exhibitor_id: FromPath[int], schedule_id: FromPath[int], data: JSONBody[InvitationsIn]
    ) -> Row:
        sent = await services.invite(exhibitor_id, schedule_id, list(data.registration_ids))
        return {"invited": sent}

    @post("/interviews/walk-in", summary="Book a scanned ticket into the next free interview")
    async def walk_in(self, exhibitor_id: FromPath[int], data: JSONBody[WalkInIn]) -> Response[Row]:
        return Response(await services.walk_in(exhibitor_id, data.code), status_code=201)


class InterviewOutcomeApi(Controller):
    path = "/api/v1/interviews/{booking_id:int}"
    tags = ["interviews"]
    guards = [require_roles("exhibitor", "organiser"), staff_of_booking]

    @post("/outcome", status_code=200, summary="Record an interview's attendance or result")
    async def outcome(
        self, request: Req, booking_id: FromPath[int], data: JSONBody[OutcomeIn]
    ) -> Row:
        actor = current_principal(request).id
        return await services.record_outcome(booking_id, data.outcome, data.start_date, actor)


class EventInterviewApi(Controller):
    path = "/api/v1/events/{slug:str}"
    tags = ["interviews"]

    @get("/interview-slots", summary="Interview times with places left (public)")
    async def slots(
        self, slug: FromPath[str], job_family: FromQuery[str | None] = None
    ) -> list[Row]:
        event = await public_event(slug)
        family = (job_family or "")[:40] or None
        return [services.slot_json(r) for r in await services.open_slots(event["id"], family)]

    @get(
        "/outcomes",
        guards=[require_roles("organiser"), organiser_of_event],
        summary="Interviews, offers and time to hire (organiser)",
    )
    async def outcomes(self, slug: FromPath[str]) -> Row:
        return await services.outcomes(await get_event(slug))

    @put(
        "/interview-policy",
        guards=[require_roles("organiser"), organiser_of_event],
        summary="Set the interview limit per person and the change cutoff",
    )
    async def set_policy(self, slug: FromPath[str], data: JSONBody[PolicyIn]) -> Row:
        event = await get_event(slug)
        return await services.set_policy(event["id"], data.per_person_limit, data.cutoff_minutes)


class AttendeeInterviewApi(Controller):
    """By the manage token (the secret in the attendee's email)."""

    path = "/api/v1/registrations/{manage_token:str}/interviews"
    tags = ["interviews"]

    @get("/", summary="An attendee's interview bookings")
    async def mine(self, manage_token: FromPath[str]) -> Response[list[Row]]:
        registration = await services._registration(manage_token)
        rows = await services.bookings_for_registration(registration["id"])
        out = [
            {
                **{k: v for k, v in b.items() if k not in ("starts_at", "ends_at")},
                "starts_at": b["starts_at"].isoformat(),
                "ends_at": b["ends_at"].isoformat(),
            }
            for b in rows
        ]
        return Response(out, headers=PRIVATE)

    @post("/", opt=PUBLIC, summary="Book an interview")
    async def book(self, manage_token: FromPath[str], data: JSONBody[BookingIn]) -> Response[Row]:
        made = await services.book(manage_token, data.slot_id)
        return Response(made, status_code=201, headers=PRIVATE)

    @patch("/{booking_id:int}", opt=PUBLIC, summary="Move an interview to another time")
    async def move(
        self, manage_token: FromPath[str], booking_id: FromPath[int], data: JSONBody[BookingIn]
    ) -> Response[Row]:
        return Response(
            await services.move(manage_token, booking_id, data.slot_id), headers=PRIVATE
        )

    @delete("/{booking_id:int}", status_code=200, summary="Cancel an interview")
    async def cancel(self, manage_token: FromPath[str], booking_id: FromPath[int]) -> Response[Row]:
        return Response(await services.cancel(manage_token, booking_id), headers=PRIVATE)


ROUTES: list[Any] = [
    ExhibitorInterviewApi,
    InterviewOutcomeApi,
    EventInterviewApi,
    AttendeeInterviewApi,
]
