"""Public exhibitor pages: the "Exhibit at this fair" form and exhibitor logos."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from events.services import get_event
from exhibitors import forms, logos
from exhibitors.applications import apply_for_stand, check_open
from exhibitors.tables import Exhibitor
from fairground.errors import Conflict, DomainError, NotFound
from fairground.seed import job_families
from fairground.tables import Organisation
from fairground.web import page

Req = Request[Any, Any, Any]
RESULT_KEY = "exhibit_result"


async def _public_event(slug: str) -> dict[str, Any]:
    event = await get_event(slug)
    if event["status"] == "draft":
        raise NotFound("There is no event at this address", code="event_not_found")
    return event


async def _show(
    request: Req,
    event: dict[str, Any],
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    try:
        check_open(event)
        closed = False
    except Conflict:
        closed = True
    organisations = await Organisation.select(Organisation.name).order_by(Organisation.name)
    return page(
        request,
        "exhibitors/apply.html",
        status_code=status_code,
        event=event,
        closed=closed,
        values=values,
        errors=errors or {},
        organisations=[o["name"] for o in organisations],
        families=[(f["code"], f["name"]) for f in await job_families()],
        rows=forms.vacancy_rows(values),
    )


class ApplicationController(Controller):
    path = "/events/{slug:str}/exhibit"
    include_in_schema = False

    @get("/")
    async def form(self, request: Req, slug: FromPath[str]) -> Template:
        return await _show(request, await _public_event(slug), {"tables": "1", "staff": "2"})

    @post("/", opt={"public_post": True})
    async def submit(self, request: Req, slug: FromPath[str]) -> Response[Any]:
        event = await _public_event(slug)
        form = await request.form()
        raw, numbers = forms.application_raw(form)
        try:
            result = await apply_for_stand(slug, raw)
        except DomainError as exc:
            if not exc.fields:
                raise
            errors = forms.form_errors(exc.fields, numbers)
            code = 409 if isinstance(exc, Conflict) else 400
            return await _show(request, event, forms.values(form), errors, code)
        request.session[RESULT_KEY] = {
            "slug": slug,
            "status": result.status,
            "verification": result.verification.status,
            "reason": result.verification.reason,
            "email": raw["contact"]["email"].strip().lower(),
        }
        return Redirect(f"/events/{slug}/exhibit/sent", status_code=303)

    @get("/sent")
    async def sent(self, request: Req, slug: FromPath[str]) -> Response[Any]:
        event = await _public_event(slug)
        result = request.session.get(RESULT_KEY)
        if not isinstance(result, dict) or result.get("slug") != slug:
            return Redirect(f"/events/{slug}/exhibit", status_code=303)
        return page(request, "exhibitors/apply_sent.html", event=event, result=result)


class LogoController(Controller):
    include_in_schema = False

    @get("/logos/{name:str}")
    async def logo(self, name: FromPath[str]) -> Response[bytes]:
        """Only a logo some exhibitor uses, by the random name we gave it."""
        path = logos.logo_path(name)
        if path is None or not await Exhibitor.exists().where(Exhibitor.logo == name):
            raise NotFound("There is no logo at this address", code="logo_not_found")
        return Response(
            path.read_bytes(),
            media_type="image/png",
            headers={
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "public, max-age=86400",
                "Content-Security-Policy": "default-src 'none'",
            },
        )
