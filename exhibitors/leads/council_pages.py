"""The council portal's lead pages: list with filters, detail and outcome, exports,
and the council's webhook (address, secret shown once, sends and re-sending)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Stream, Template
from msgspec import Meta

from exhibitors.leads import delivery, webhooks
from exhibitors.leads.api import After, export_response, lead_filter
from exhibitors.leads.names import load_names, with_names
from exhibitors.leads.tables import LeadDelivery
from fairground.accounts import (
    council_recruiter_guard,
    current_principal,
    organisation_id_for_council,
    require_roles,
)
from fairground.errors import Invalid
from fairground.tables import Organisation
from fairground.web import page

Req = Request[Any, Any, Any]
Slug = Annotated[str, Meta(max_length=80)]
Short = Annotated[str, Meta(max_length=60)]
PAGE = 100
_lead: Any = LeadDelivery.lead


async def _council(code: str) -> dict[str, Any]:
    row = (
        await Organisation.select(Organisation.id, Organisation.code, Organisation.name)
        .where(Organisation.code == code)
        .first()
    )
    assert row is not None  # the guard matched the principal's own council
    return row


async def _events_of(code: str) -> list[dict[str, Any]]:
    return (
        await LeadDelivery.select(
            _lead.event.slug.as_alias("slug"),
            _lead.event.title.as_alias("title"),
        )
        .where(LeadDelivery.council.code == code)
        .distinct()
    )


async def _webhook_page(request: Req, code: str, **extra: Any) -> Template:
    council = await _council(code)
    return page(
        request,
        "leads/council_webhook.html",
        status_code=400 if extra.get("errors") else 200,
        council=council,
        webhook=await webhooks.webhook_of(council["id"]),
        sends=await webhooks.recent_sends(council["id"]),
        **extra,
    )


async def _lead_page(
    request: Req,
    code: str,
    delivery_id: int,
    saved: bool = False,
    errors: dict[str, str] | None = None,
) -> Template:
    return page(
        request,
        "leads/council_lead.html",
        status_code=400 if errors else 200,
        council=await _council(code),
        lead=with_names(await delivery.council_lead(code, delivery_id), await load_names()),
        outcomes=delivery.OUTCOMES,
        saved=saved,
        errors=errors or {},
    )


class CouncilLeadsController(Controller):
    path = "/council/{code:str}"
    include_in_schema = False
    guards = [require_roles("council"), council_recruiter_guard]

    @get("/leads")
    async def index(
        self,
        request: Req,
        code: FromPath[str],
        event: FromQuery[Slug | None] = None,
        outcome: FromQuery[Short | None] = None,
        after: After = 0,
    ) -> Template:
        filters = lead_filter(event, outcome, None)
        leads = await delivery.council_leads(code, filters, after, PAGE)
        names = await load_names()
        return page(
            request,
            "leads/council_index.html",
            council=await _council(code),
            leads=[with_names(lead, names) for lead in leads],
            filters=filters,
            events=await _events_of(code),
            outcomes=delivery.OUTCOMES,
            next_after=leads[-1]["delivery_id"] if len(leads) == PAGE else None,
        )

    @get("/leads/{delivery_id:int}")
    async def detail(
        self, request: Req, code: FromPath[str], delivery_id: FromPath[int]
    ) -> Template:
        saved = request.query_params.get("saved") == "1"
        return await _lead_page(request, code, delivery_id, saved=saved)

    @post("/leads/{delivery_id:int}/outcome")
    async def outcome(
        self, request: Req, code: FromPath[str], delivery_id: FromPath[int]
    ) -> Response[Any]:
        form = await request.form()
        principal = current_principal(request)
        try:
            await delivery.set_outcome(
                code, delivery_id, str(form.get("outcome", "")), principal.id
            )
        except Invalid as exc:
            if "outcome" not in exc.fields:
                raise
            errors = {"outcome": "Choose what came of the lead"}
            return await _lead_page(request, code, delivery_id, errors=errors)
        return Redirect(f"/council/{code}/leads/{delivery_id}?saved=1", status_code=303)

    @get("/leads.csv")
    async def csv(
        self, request: Req, code: FromPath[str], event: FromQuery[Slug | None] = None
    ) -> Stream:
        filters = lead_filter(event, None, None)
        await delivery.audit_export(current_principal(request).id, code, "csv", filters)
        return export_response(code, filters, "csv")

    @get("/leads.xlsx")
    async def xlsx(
        self, request: Req, code: FromPath[str], event: FromQuery[Slug | None] = None
    ) -> Stream:
        filters = lead_filter(event, None, None)
        await delivery.audit_export(current_principal(request).id, code, "xlsx", filters)
        return export_response(code, filters, "xlsx")

    @get("/webhook")
    async def webhook(self, request: Req, code: FromPath[str]) -> Template:
        return await _webhook_page(request, code)

    @post("/webhook")
    async def set_webhook(self, request: Req, code: FromPath[str]) -> Response[Any]:
        form = await request.form()
        url = str(form.get("url", ""))
        try:
            secret = await webhooks.set_webhook(await organisation_id_for_council(code), url)
        except Invalid as exc:
            return await _webhook_page(request, code, errors=exc.fields, url=url)
        return await _webhook_page(request, code, secret=secret, saved=True)

    @post("/webhook/rotate")
    async def rotate(self, request: Req, code: FromPath[str]) -> Template:
        secret = await webhooks.rotate_secret(await organisation_id_for_council(code))
        return await _webhook_page(request, code, secret=secret)

    @post("/webhook/remove")
    async def remove(self, code: FromPath[str]) -> Redirect:
        await webhooks.remove_webhook(await organisation_id_for_council(code))
        return Redirect(f"/council/{code}/webhook", status_code=303)

    @post("/webhook/sends/{send_id:int}/resend")
    async def resend(self, code: FromPath[str], send_id: FromPath[int]) -> Redirect:
        await webhooks.resend(await organisation_id_for_council(code), send_id)
        return Redirect(f"/council/{code}/webhook", status_code=303)
