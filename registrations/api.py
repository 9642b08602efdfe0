"""The registrations JSON API (API.md, "Registrations") and the attendee's files.

Handlers are thin: parse, call one service, shape the answer.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from events.services import get_event
from fairground.errors import NotFound
from fairground.web import principal_of
from registrations import extras, invites, partners, services, ticket_pdf, tickets
from registrations.schemas import (
    AllLinksOut,
    ConsentOut,
    EventSummary,
    LinksOut,
    PlanBookingOut,
    PlanExhibitorOut,
    PlanLinksOut,
    PlanOut,
    PlanStandOut,
    PlanVacancyOut,
    RegistrationCreated,
    RegistrationIn,
    RegistrationOut,
    RegistrationPatch,
    SlotOut,
    VenueOut,
)

Row = dict[str, Any]
# The manage token in the path is the secret: keep these out of shared caches.
PRIVATE = {"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex"}


def _links(token: str, ticket: bool = False) -> LinksOut:
    return LinksOut(
        manage=f"/r/{token}",
        qr_svg=f"/r/{token}/ticket.svg",
        qr_png=f"/r/{token}/ticket.png",
        ics=f"/r/{token}/invite.ics",
        ticket_pdf=f"/r/{token}/ticket.pdf" if ticket else None,
    )


def _event_summary(event: Row) -> EventSummary:
    return EventSummary(
        slug=event["slug"],
        title=event["title"],
        starts_at=event["starts_at"],
        ends_at=event["ends_at"],
        timezone=event["timezone"],
        status=event["status"],
        venue=VenueOut(
            name=event["venue_name"],
            address=event["venue_address"],
            postcode=event["venue_postcode"],
            access_notes=event["access_notes"],
        ),
    )


def plan_out(plan: Any, manage_url: str) -> PlanOut:
    """The plan (exhibitors.plan.Plan, from registrations.extras) for the API."""
    return PlanOut(
        everyone=plan.everyone,
        interests=list(plan.interests),
        exhibitors=[
            PlanExhibitorOut(
                name=e["name"],
                stand=e["stand"],
                vacancies=[
                    PlanVacancyOut(
                        title=v["title"],
                        job_family=v["job_family"],
                        job_family_name=v["job_family_name"],
                        url=v["url"],
                        closes_on=v.get("closes_on"),
                    )
                    for v in e["vacancies"]
                ],
            )
            for e in plan.exhibitors
        ],
        stands=[
            PlanStandOut(code=s["code"], exhibitor_name=s["exhibitor_name"]) for s in plan.stands
        ],
        bookings=[
            PlanBookingOut(
                id=int(b["id"]),
                starts_at=b["starts_at"],
                ends_at=b["ends_at"],
                status=str(b["status"]),
                exhibitor_name=str(b.get("exhibitor_name") or ""),
                stand=b.get("stand") or None,
                vacancy_title=str(b.get("vacancy_title") or ""),
                where=str(b.get("where") or ""),
            )
            for b in plan.bookings
        ],
        links=PlanLinksOut(page=f"{manage_url}/plan"),
    )


async def with_plan(row: Row) -> RegistrationOut:
    """The registration with its plan for the day, when an app provides one."""
    out = registration_out(row)
    plan = (await extras.attendee_extras(row, row["event"])).get("plan")
    if plan is not None:
        out.plan = plan_out(plan, invites.manage_url(row["manage_token"]))
    return out


def registration_out(row: Row) -> RegistrationOut:
    slot = row["slot"]
    return RegistrationOut(
        reference=row["reference"],
        status=row["status"],
        name=row["name"],
        email=row["email"],
        phone=row["phone"],
        postcode=row["postcode"],
        home_council=row["home_council"],
        interests=list(row["interests"] or []),
        access_needs=row["access_needs"],
        language=row["language"],
        consent=ConsentOut(
            councils=list(row["consent_councils"] or []), job_alerts=row["consent_job_alerts"]
        ),
        slot=SlotOut(id=slot["id"], starts_at=slot["starts_at"], ends_at=slot["ends_at"])
        if slot
        else None,
        event=_event_summary(row["event"]),
        ticket_code=row["ticket_code"] if row["status"] == "confirmed" else None,
        created_at=row["created_at"],
        cancelled_at=row["cancelled_at"],
        checked_in_at=row["checked_in_at"],
        links=AllLinksOut(**row["links"]),
    )


class RegistrationApiController(Controller):
    path = "/api/v1"
    tags = ["registrations"]

    @post(
        "/events/{slug:str}/registrations",
        opt={"public_post": True},
        summary="Register for an event (public)",
    )
    async def register(
        self, request: Request[Any, Any, Any], slug: FromPath[str], data: JSONBody[RegistrationIn]
    ) -> Response[RegistrationCreated]:
        """Public. Partner staff (their bearer token, their partner invited to the fair)
        may leave `email` out: the client's ticket is then the PDF in `links.ticket_pdf`."""
        event = await get_event(slug)
        services.check_registration_open(event)  # closed beats invalid: no point fixing fields
        assisting = await partners.assisting_partner(principal_of(request), event["id"])
        registration = await services.validate_registration(
            event, data.raw(), email_optional=assisting is not None
        )
        referrer = assisting
        if referrer is None and data.via is not None:
            found = await partners.partner_for_code(event["id"], data.via)
            referrer = found["id"] if found else None
        principal = principal_of(request)
        registration = dataclasses.replace(
            registration,
            referred_by=referrer,
            partner_consent=data.partner_consent and referrer is not None,
            assisted_by=principal.id if assisting is not None and principal else None,
        )
        result = await services.register_attendee(slug, registration, data.equality)
        body = RegistrationCreated(
            reference=result.reference,
            status=result.status,
            ticket_code=result.ticket_code,
            manage_token=result.manage_token,
            links=_links(result.manage_token, ticket=result.ticket_code is not None),
        )
        return Response(body, status_code=201, headers=PRIVATE)

    @get("/registrations/{manage_token:str}", summary="A registration, by its manage token")
    async def read(self, manage_token: FromPath[str]) -> Response[RegistrationOut]:
        row = await services.get_registration(manage_token)
        return Response(await with_plan(row), headers=PRIVATE)

    @patch(
        "/registrations/{manage_token:str}",
        opt={"public_post": True},
        summary="Change a registration's details and choices, by its manage token",
    )
    async def change(
        self, manage_token: FromPath[str], data: JSONBody[RegistrationPatch]
    ) -> Response[RegistrationOut]:
        result = await services.update_registration(manage_token, data.raw())
        return Response(await with_plan(result.registration), headers=PRIVATE)

    @post(
        "/registrations/{manage_token:str}/cancel",
        status_code=200,
        opt={"public_post": True},
        summary="Cancel a place or leave the waiting list",
    )
    async def cancel(self, manage_token: FromPath[str]) -> Response[RegistrationOut]:
        row = await services.cancel_registration(manage_token)
        return Response(registration_out(row), headers=PRIVATE)


async def _ticket_code(manage_token: str) -> str:
    row = await services.get_registration(manage_token)
    if row["status"] != "confirmed" or not row["ticket_code"]:
        raise NotFound("There is no ticket for this registration", code="no_ticket")
    return str(row["ticket_code"])


class AttendeeFilesController(Controller):
    path = "/r/{manage_token:str}"
    include_in_schema = False

    @get("/ticket.svg")
    async def ticket_svg(self, manage_token: FromPath[str]) -> Response[bytes]:
        code = await _ticket_code(manage_token)
        return Response(tickets.qr_svg(code), media_type="image/svg+xml", headers=PRIVATE)

    @get("/ticket.png")
    async def ticket_png(self, manage_token: FromPath[str]) -> Response[bytes]:
        code = await _ticket_code(manage_token)
        return Response(tickets.qr_png(code), media_type="image/png", headers=PRIVATE)

    @get("/ticket.pdf")
    async def ticket_pdf(
        self, manage_token: FromPath[str], size: FromQuery[str] = "a4"
    ) -> Response[bytes]:
        """The printable ticket, tagged for screen readers; ?size=a6 for a small card."""
        row = await services.get_registration(manage_token)
        if row["status"] != "confirmed" or not row["ticket_code"]:
            raise NotFound("There is no ticket for this registration", code="no_ticket")
        pdf = ticket_pdf.ticket_pdf(row, row["event"], row["slot"], size)
        name = f"ticket-{row['reference']}{'-a6' if size == 'a6' else ''}.pdf"
        return Response(
            pdf,
            media_type="application/pdf",
            headers={**PRIVATE, "Content-Disposition": f'inline; filename="{name}"'},
        )

    @get("/invite.ics")
    async def invite(self, manage_token: FromPath[str]) -> Response[bytes]:
        row = await services.get_registration(manage_token)
        if row["status"] == "waitlisted":
            raise NotFound("There is no calendar invite until you have a place", code="no_invite")
        return Response(
            invites.invite_ics(row, row["event"], row["slot"]),
            media_type="text/calendar",  # Litestar adds "; charset=utf-8" to text/*
            headers={**PRIVATE, "Content-Disposition": 'attachment; filename="invite.ics"'},
        )


ROUTES: list[Any] = [RegistrationApiController, AttendeeFilesController]
