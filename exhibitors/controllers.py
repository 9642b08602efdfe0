"""The exhibitor portal and the council portal (their landing pages), and every
exhibitor route for app.py (`ROUTES`)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Redirect, Template

import exhibitors.plan
import exhibitors.structured  # noqa: F401  (the fair page's floor plan and JobPostings)
from events.services import get_event
from exhibitors import forms, services, stands
from exhibitors.api import ROUTES as API_ROUTES
from exhibitors.guards import exhibitors_for_user, staff_of_exhibitor
from exhibitors.organiser import (
    OrganiserExhibitorsController,
    StandsController,
    SubscribersController,
)
from exhibitors.public import ApplicationController, LogoController
from exhibitors.queries import get_exhibitor, staff_of
from fairground.accounts import council_recruiter_guard, current_principal, require_roles
from fairground.errors import DomainError
from fairground.organisations import organisation_contact
from fairground.seed import job_families
from fairground.tables import Organisation
from fairground.web import page

Req = Request[Any, Any, Any]
LOGO_UPLOAD_LIMIT = 3 * 1024 * 1024  # the rule is 2 MB; a bit more reaches it and is told so


class ExhibitorPortalController(Controller):
    path = "/exhibitor"
    include_in_schema = False
    guards = [require_roles("exhibitor", "organiser")]

    @get("/")
    async def index(self, request: Req) -> Template:
        principal = current_principal(request)
        return page(
            request,
            "exhibitors/portal/index.html",
            exhibitors=await exhibitors_for_user(principal.id),
        )

    @get("/{exhibitor_id:int}", guards=[staff_of_exhibitor])
    async def stand(self, request: Req, exhibitor_id: FromPath[int]) -> Template:
        return await _overview(request, exhibitor_id)

    @post("/{exhibitor_id:int}/staff", guards=[staff_of_exhibitor])
    async def invite(self, request: Req, exhibitor_id: FromPath[int]) -> Response[Any]:
        form = await request.form()
        name, email = str(form.get("name", "")), str(form.get("email", ""))
        try:
            await services.invite_colleague(
                exhibitor_id, name, email, current_principal(request).id
            )
        except DomainError as exc:
            if not exc.fields:
                raise
            return await _overview(request, exhibitor_id, exc, {"name": name, "email": email})
        return Redirect(f"/exhibitor/{exhibitor_id}?invited=1", status_code=303)

    @get("/{exhibitor_id:int}/profile", guards=[staff_of_exhibitor])
    async def profile_form(self, request: Req, exhibitor_id: FromPath[int]) -> Template:
        exhibitor = await get_exhibitor(exhibitor_id)
        values = {"profile": exhibitor["profile"], **forms.vacancy_values(exhibitor["vacancies"])}
        return await _profile(request, exhibitor, values)

    @post("/{exhibitor_id:int}/profile", guards=[staff_of_exhibitor])
    async def save_profile(self, request: Req, exhibitor_id: FromPath[int]) -> Response[Any]:
        form = await request.form()
        vacancies, numbers = forms.read_vacancies(form)
        raw = {"profile": str(form.get("profile", "")), "vacancies": vacancies}
        try:
            await services.update_profile(exhibitor_id, raw, current_principal(request).id)
        except DomainError as exc:
            if not exc.fields:
                raise
            exhibitor = await get_exhibitor(exhibitor_id)
            errors = forms.form_errors(exc.fields, numbers)
            return await _profile(request, exhibitor, forms.values(form), errors)
        return Redirect(f"/exhibitor/{exhibitor_id}?saved=1", status_code=303)

    @post(
        "/{exhibitor_id:int}/logo",
        guards=[staff_of_exhibitor],
        request_max_body_size=LOGO_UPLOAD_LIMIT,
    )
    async def logo(self, request: Req, exhibitor_id: FromPath[int]) -> Response[Any]:
        form = await request.form()
        upload = form.get("logo")
        data = await upload.read() if isinstance(upload, UploadFile) else b""
        try:
            await services.set_logo(exhibitor_id, data, current_principal(request).id)
        except DomainError as exc:
            if not exc.fields:
                raise
            exhibitor = await get_exhibitor(exhibitor_id)
            values = {
                "profile": exhibitor["profile"],
                **forms.vacancy_values(exhibitor["vacancies"]),
            }
            return await _profile(request, exhibitor, values, exc.fields, 400)
        return Redirect(f"/exhibitor/{exhibitor_id}?saved=1", status_code=303)

    @get("/{exhibitor_id:int}/badges.pdf", guards=[staff_of_exhibitor])
    async def badges(self, exhibitor_id: FromPath[int]) -> Response[bytes]:
        return Response(
            await services.badges_pdf(exhibitor_id),
            media_type="application/pdf",
            headers={
                "Content-Disposition": 'attachment; filename="badges.pdf"',
                "Cache-Control": "private, no-store",
            },
        )


async def _overview(
    request: Req,
    exhibitor_id: int,
    exc: DomainError | None = None,
    values: dict[str, str] | None = None,
) -> Template:
    exhibitor = await get_exhibitor(exhibitor_id)
    every = await stands.stands_of_event(exhibitor["event"])
    return page(
        request,
        "exhibitors/portal/stand.html",
        status_code=(409 if exc.status_code == 409 else 400) if exc else 200,
        exhibitor=exhibitor,
        event=await get_event(exhibitor["event_slug"]),
        organiser=await organisation_contact(exhibitor["event_organisation"]),
        staff=await staff_of(exhibitor_id),
        plan=stands.floor_plan(every, mine=exhibitor_id) if every else None,
        errors=exc.fields if exc else {},
        values=values or {},
        saved=request.query_params.get("saved"),
        invited=request.query_params.get("invited"),
    )


async def _profile(
    request: Req,
    exhibitor: dict[str, Any],
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int | None = None,
) -> Template:
    return page(
        request,
        "exhibitors/portal/profile.html",
        status_code=status_code or (400 if errors else 200),
        exhibitor=exhibitor,
        values=values,
        errors=errors or {},
        families=[(f["code"], f["name"]) for f in await job_families()],
        rows=forms.vacancy_rows(values, minimum=3),
    )


class CouncilPortalController(Controller):
    path = "/council"
    include_in_schema = False
    guards = [require_roles("council")]

    @get("/{code:str}", guards=[council_recruiter_guard])
    async def index(self, request: Req, code: FromPath[str]) -> Template:
        council = await Organisation.select().where(Organisation.code == code).first()
        return page(request, "exhibitors/council/index.html", council=council)


ROUTES: list[Any] = [
    ExhibitorPortalController,
    CouncilPortalController,
    ApplicationController,
    LogoController,
    OrganiserExhibitorsController,
    StandsController,
    SubscribersController,
    *API_ROUTES,
]
