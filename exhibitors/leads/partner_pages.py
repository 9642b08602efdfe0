"""Pages of employability partners, and the organiser's partner pages.

Partner staff (role "partner"): their fairs, and per fair their referral link and
poster, "register a client" (the registration journey, assisted), and what came
of the people they referred (exhibitors.leads.partners). Organisers: invite
partners to a fair, their links and posters, and the funder summary.
Staff pages: English.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from events import services as events
from events.guards import organiser_of_event
from events.tables import Event
from exhibitors.leads.partners import (
    funder_csv,
    funder_summary,
    partner_referrals,
    referrals_csv,
)
from fairground.accounts import current_principal, require_roles
from fairground.errors import Invalid, NotFound
from fairground.tables import Organisation
from fairground.web import page
from registrations import invites, partners, ticket_pdf

Req = Request[Any, Any, Any]
PRIVATE = {"Cache-Control": "private, no-store"}


def referral_url(event: dict[str, Any], code: str) -> str:
    return f"{invites.event_url(event)}?via={code}"


def _csv(body: str, name: str) -> Response[str]:
    return Response(
        body,
        media_type="text/csv",
        headers={**PRIVATE, "Content-Disposition": f'attachment; filename="{name}"'},
    )


def _poster(event: dict[str, Any], partner: dict[str, Any]) -> Response[bytes]:
    pdf = ticket_pdf.poster_pdf(event, partner["name"], referral_url(event, partner["short_code"]))
    name = f"poster-{event['slug']}-{partner['short_code']}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={**PRIVATE, "Content-Disposition": f'inline; filename="{name}"'},
    )


async def _own_partner(request: Req) -> dict[str, Any]:
    principal = current_principal(request)
    row = (
        await Organisation.select(Organisation.id, Organisation.name, Organisation.short_code)
        .where(
            (Organisation.id == (principal.organisation_id or -1))
            & (Organisation.kind == "partner")
        )
        .first()
    )
    if row is None:
        raise NotFound("Your account is not linked to a partner", code="partner_not_found")
    return row


async def _invited_event(partner: dict[str, Any], slug: str) -> dict[str, Any]:
    event = await events.get_event(slug)
    if not await partners.is_invited(event["id"], partner["id"]):
        raise NotFound("Your organisation is not invited to this event", code="event_not_found")
    return event


class PartnerPagesController(Controller):
    """Partner staff: their fairs and what came of their referrals."""

    path = "/partner"
    include_in_schema = False
    guards = [require_roles("partner")]

    @get("/")
    async def index(self, request: Req) -> Template:
        partner = await _own_partner(request)
        ids = await partners.partner_events(partner["id"])
        rows = (
            await Event.select(Event.slug, Event.title, Event.starts_at, Event.timezone)
            .where(Event.id.is_in(ids))
            .order_by(Event.starts_at, ascending=False)
            if ids
            else []
        )
        return page(request, "partners/index.html", partner=partner, events=rows)

    @get("/events/{slug:str}")
    async def event(self, request: Req, slug: FromPath[str]) -> Template:
        partner = await _own_partner(request)
        event = await _invited_event(partner, slug)
        report = await partner_referrals(partner["short_code"], slug)
        return page(
            request,
            "partners/event.html",
            partner=partner,
            event=event,
            report=report,
            link=referral_url(event, partner["short_code"]),
        )

    @get("/events/{slug:str}/referrals.csv")
    async def event_csv(self, request: Req, slug: FromPath[str]) -> Response[str]:
        partner = await _own_partner(request)
        await _invited_event(partner, slug)
        report = await partner_referrals(partner["short_code"], slug)
        return _csv(referrals_csv(report), f"referrals-{slug}.csv")

    @get("/events/{slug:str}/poster.pdf")
    async def poster(self, request: Req, slug: FromPath[str]) -> Response[bytes]:
        partner = await _own_partner(request)
        return _poster(await _invited_event(partner, slug), partner)


class OrganiserPartnersController(Controller):
    """The organiser invites partners, prints their posters, and reports to funders."""

    path = "/organiser/events/{slug:str}"
    include_in_schema = False
    guards = [require_roles("organiser"), organiser_of_event]

    @get("/partners")
    async def partners_page(self, request: Req, slug: FromPath[str]) -> Template:
        return await self._page(request, slug)

    async def _page(
        self, request: Req, slug: str, errors: dict[str, str] | None = None, value: str = ""
    ) -> Template:
        event = await events.get_event(slug)
        rows = await partners.event_partners(event["id"])
        for row in rows:
            row["link"] = referral_url(event, row["short_code"])
        return page(
            request,
            "partners/organiser.html",
            status_code=400 if errors else 200,
            event=event,
            rows=rows,
            errors=errors or {},
            value=value,
            invited=request.query_params.get("invited"),
        )

    @post("/partners")
    async def invite(self, request: Req, slug: FromPath[str]) -> Response[Any]:
        event = await events.get_event(slug)
        form = await request.form()
        value = str(form.get("partner", ""))[:200]
        try:
            org = await partners.invite_partner(event["id"], value, current_principal(request).id)
        except Invalid as exc:
            return await self._page(request, slug, exc.fields, value)
        return Redirect(f"/organiser/events/{slug}/partners?invited={org['short_code']}")

    @get("/partners/{code:str}/poster.pdf")
    async def poster(self, slug: FromPath[str], code: FromPath[str]) -> Response[bytes]:
        event = await events.get_event(slug)
        partner = await partners.partner_for_code(event["id"], code)
        if partner is None:
            raise NotFound("This partner is not invited to this event", code="partner_not_found")
        return _poster(event, partner)

    @get("/funder-summary")
    async def funder(
        self, request: Req, slug: FromPath[str], format: FromQuery[str] = "html"
    ) -> Response[Any]:
        event = await events.get_event(slug)
        summary = await funder_summary(event)
        if format == "csv":
            return _csv(funder_csv(summary), f"funder-summary-{slug}.csv")
        return page(request, "partners/funder_summary.html", event=event, summary=summary)


ROUTES: list[Any] = [PartnerPagesController, OrganiserPartnersController]
