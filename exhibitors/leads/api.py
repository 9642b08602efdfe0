"""The leads JSON API (API.md, "Leads" and "Councils")."""

from __future__ import annotations

import re
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Stream
from msgspec import Meta

from exhibitors.guards import staff_of_exhibitor
from exhibitors.leads import delivery, services
from exhibitors.leads.schemas import LeadIn, LeadOut, OutcomeIn
from fairground.accounts import council_recruiter_guard, current_principal, require_roles

Req = Request[Any, Any, Any]
Slug = Annotated[str, Meta(max_length=80)]
Short = Annotated[str, Meta(max_length=60)]
# A delivery id to page after (query parameters take Litestar's constraints, not msgspec's).
After = Annotated[int, QueryParameter(ge=0, le=2**31 - 1)]
CSV_TYPE = "text/csv"  # Litestar adds "; charset=utf-8" to text/*
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def lead_filter(event: str | None, outcome: str | None, rule: str | None) -> delivery.LeadFilter:
    return delivery.LeadFilter(event=event or None, outcome=outcome or None, rule=rule or None)


def export_response(code: str, filters: delivery.LeadFilter, fmt: str) -> Stream:
    chunks = delivery.csv_chunks if fmt == "csv" else delivery.xlsx_chunks
    name = f"leads-{code}{'-' + filters.event if filters.event else ''}"
    # The event filter is whatever the caller typed: a header carries only Latin-1,
    # and a quote would end the filename early.
    name = re.sub(r"[^A-Za-z0-9_-]", "_", name)[:120] + f".{fmt}"
    return Stream(
        chunks(code, filters),
        media_type=CSV_TYPE if fmt == "csv" else XLSX_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


class LeadApiController(Controller):
    path = "/api/v1"
    tags = ["leads"]

    @post("/leads", summary="Capture a lead at a stand", guards=[require_roles("exhibitor")])
    async def capture(self, request: Req, data: JSONBody[LeadIn]) -> Response[LeadOut]:
        principal = current_principal(request)
        exhibitor_id = await services.exhibitor_for_scan(principal, data.code, data.exhibitor_id)
        captured = await services.capture_lead(exhibitor_id, data, principal.id)
        return Response(captured.lead, status_code=201 if captured.created else 200)

    @get(
        "/exhibitors/{exhibitor_id:int}/leads",
        guards=[staff_of_exhibitor],
        summary="An exhibitor's leads",
    )
    async def exhibitor_leads(self, exhibitor_id: FromPath[int]) -> list[LeadOut]:
        return await services.leads_for_exhibitor(exhibitor_id)


class CouncilApiController(Controller):
    path = "/api/v1/councils/{code:str}"
    tags = ["councils"]
    guards = [require_roles("council"), council_recruiter_guard]

    @get("/leads", summary="Leads routed to a council")
    async def leads(
        self,
        code: FromPath[str],
        event: FromQuery[Slug | None] = None,
        outcome: FromQuery[Short | None] = None,
        rule: FromQuery[Short | None] = None,
        after: After = 0,
    ) -> list[dict[str, Any]]:
        return await delivery.council_leads(code, lead_filter(event, outcome, rule), after)

    @get("/leads.csv", summary="Export a council's leads (CSV)")
    async def leads_csv(
        self, request: Req, code: FromPath[str], event: FromQuery[Slug | None] = None
    ) -> Stream:
        filters = lead_filter(event, None, None)
        await delivery.audit_export(current_principal(request).id, code, "csv", filters)
        return export_response(code, filters, "csv")

    @get("/leads.xlsx", summary="Export a council's leads (XLSX)")
    async def leads_xlsx(
        self, request: Req, code: FromPath[str], event: FromQuery[Slug | None] = None
    ) -> Stream:
        filters = lead_filter(event, None, None)
        await delivery.audit_export(current_principal(request).id, code, "xlsx", filters)
        return export_response(code, filters, "xlsx")

    @post("/leads/{delivery_id:int}/outcome", status_code=200, summary="Report a lead's outcome")
    async def outcome(
        self,
        request: Req,
        code: FromPath[str],
        delivery_id: FromPath[int],
        data: JSONBody[OutcomeIn],
    ) -> dict[str, Any]:
        await delivery.set_outcome(code, delivery_id, data.outcome, current_principal(request).id)
        return await delivery.council_lead(code, delivery_id)


ROUTES: list[Any] = [LeadApiController, CouncilApiController]
