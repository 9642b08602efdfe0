"""Organiser pages: routing rules, job-family subscriptions and the preview; the report."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from events.guards import organiser_of_event
from events.services import get_event
from exhibitors.leads import reports, routing
from fairground.accounts import require_roles
from fairground.errors import Invalid, NotFound
from fairground.seed import councils, job_families
from fairground.web import page

Req = Request[Any, Any, Any]


async def _routing_page(request: Req, slug: str, errors: dict[str, str] | None = None) -> Template:
    event = await get_event(slug)
    council_rows = await councils()
    return page(
        request,
        "leads/organiser_routing.html",
        status_code=400 if errors else 200,
        errors=errors or {},
        event=event,
        rules=routing.RULES,
        enabled=await routing.enabled_rules(event["id"]),
        subscriptions=await routing.subscriptions(event["id"]),
        council_options=[("", "")] + [(c["code"], c["name"]) for c in council_rows],
        family_options=[("", "")] + [(f["code"], f["name"]) for f in await job_families()],
        council_names={c["id"]: c["name"] for c in council_rows},
        preview=await routing.preview(event["id"]),
        saved=request.query_params.get("saved") == "1",
    )


class OrganiserLeadsController(Controller):
    path = "/organiser/events/{slug:str}"
    include_in_schema = False
    guards = [require_roles("organiser"), organiser_of_event]

    @get("/routing")
    async def routing_page(self, request: Req, slug: FromPath[str]) -> Template:
        return await _routing_page(request, slug)

    @post("/routing")
    async def save_rules(self, request: Req, slug: FromPath[str]) -> Redirect:
        form = await request.form()
        event = await get_event(slug)
        await routing.set_rules(event["id"], {str(v) for v in form.getall("rules", [])})
        return Redirect(f"/organiser/events/{slug}/routing?saved=1", status_code=303)

    @post("/routing/subscriptions")
    async def subscribe(self, request: Req, slug: FromPath[str]) -> Response[Any]:
        form = await request.form()
        event = await get_event(slug)
        council, family = str(form.get("council", "")), str(form.get("job_family", ""))
        errors: dict[str, str] = {}
        if not council:
            errors["council"] = "Choose a council"
        if not family:
            errors["job_family"] = "Choose a job family"
        try:
            if not errors:
                await routing.subscribe(event["id"], council, family)
        except (Invalid, NotFound) as exc:
            errors = exc.fields or {"council": exc.detail}
        if errors:
            return await _routing_page(request, slug, errors)
        return Redirect(f"/organiser/events/{slug}/routing?saved=1", status_code=303)

    @post("/routing/subscriptions/{subscription_id:int}/delete")
    async def unsubscribe(self, slug: FromPath[str], subscription_id: FromPath[int]) -> Redirect:
        event = await get_event(slug)
        await routing.unsubscribe(event["id"], subscription_id)
        return Redirect(f"/organiser/events/{slug}/routing?saved=1", status_code=303)

    @get("/report")
    async def report(self, request: Req, slug: FromPath[str]) -> Template:
        event = await get_event(slug)
        return page(
            request, "leads/report.html", event=event, report=await reports.event_report(event)
        )

    @get("/report/print")
    async def report_print(self, request: Req, slug: FromPath[str]) -> Template:
        event = await get_event(slug)
        return page(
            request,
            "leads/report_print.html",
            event=event,
            report=await reports.event_report(event),
        )
