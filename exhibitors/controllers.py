"""The exhibitor portal and the council portal (their landing pages)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.params import FromPath
from litestar.response import Template

from exhibitors.guards import exhibitors_for_user, staff_of_exhibitor
from exhibitors.tables import Exhibitor
from fairground.accounts import council_recruiter_guard, current_principal, require_roles
from fairground.tables import Organisation
from fairground.web import page


class ExhibitorPortalController(Controller):
    path = "/exhibitor"
    include_in_schema = False
    guards = [require_roles("exhibitor", "organiser")]

    @get("/")
    async def index(self, request: Request[Any, Any, Any]) -> Template:
        principal = current_principal(request)
        return page(
            request,
            "exhibitors/portal/index.html",
            exhibitors=await exhibitors_for_user(principal.id),
        )

    @get("/{exhibitor_id:int}", guards=[staff_of_exhibitor])
    async def stand(self, request: Request[Any, Any, Any], exhibitor_id: FromPath[int]) -> Template:
        exhibitor = (
            await Exhibitor.select(
                *Exhibitor.all_columns(),
                Exhibitor.organisation.name,
                Exhibitor.event.title,
                Exhibitor.event.slug,
            )
            .where(Exhibitor.id == exhibitor_id)
            .first()
        )
        return page(request, "exhibitors/portal/stand.html", exhibitor=exhibitor)


class CouncilPortalController(Controller):
    path = "/council"
    include_in_schema = False
    guards = [require_roles("council")]

    @get("/{code:str}", guards=[council_recruiter_guard])
    async def index(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
        council = await Organisation.select().where(Organisation.code == code).first()
        return page(request, "exhibitors/council/index.html", council=council)


ROUTES: list[Any] = [ExhibitorPortalController, CouncilPortalController]
