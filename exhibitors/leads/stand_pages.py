"""Exhibitor staff's own lead pages: the stand scanner and the list of their leads.

The scanner is the door's camera component (static/js/qr-camera.js) followed by a
quick form that posts to `POST /api/v1/leads`; the rules live in
exhibitors.leads.services.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath
from litestar.response import Template

from events.services import get_event
from exhibitors.guards import staff_of_exhibitor
from exhibitors.leads.services import exhibitor_lead_rows
from exhibitors.queries import get_exhibitor
from fairground.accounts import require_roles
from fairground.seed import job_families
from fairground.web import page
from registrations.door_pages import SCANNER_CSP

Req = Request[Any, Any, Any]
ROOT = Path(__file__).resolve().parents[2]
SERVICE_WORKER = ROOT / "static" / "js" / "stand-sw.js"


async def _families() -> list[tuple[str, str]]:
    return [(f["code"], f["name"]) for f in await job_families()]


class StandLeadsController(Controller):
    path = "/exhibitor/{exhibitor_id:int}"
    include_in_schema = False
    guards = [require_roles("exhibitor", "organiser"), staff_of_exhibitor]

    @get("/scan")
    async def scan(self, request: Req, exhibitor_id: FromPath[int]) -> Template:
        exhibitor = await get_exhibitor(exhibitor_id)
        response = page(
            request,
            "leads/stand_scan.html",
            exhibitor=exhibitor,
            families=await _families(),
        )
        # Only the scanner may compile the QR decoder's WebAssembly.
        response.headers["Content-Security-Policy"] = SCANNER_CSP
        response.headers["Cache-Control"] = "private, no-cache"
        return response

    @get("/leads")
    async def leads(self, request: Req, exhibitor_id: FromPath[int]) -> Template:
        exhibitor = await get_exhibitor(exhibitor_id)
        event = await get_event(exhibitor["event_slug"])
        return page(
            request,
            "leads/stand_leads.html",
            exhibitor=exhibitor,
            event=event,
            rows=await exhibitor_lead_rows(exhibitor_id),
            families=dict(await _families()),
        )


class StandServiceWorkerController(Controller):
    """The stand scanner's service worker, served from /exhibitor/ so that its scope
    covers the scanner page (as the door's is served from /door/)."""

    path = "/exhibitor"
    include_in_schema = False

    @get("/sw.js")
    async def service_worker(self) -> Response[bytes]:
        return Response(
            SERVICE_WORKER.read_bytes(),
            media_type="text/javascript",  # Litestar adds "; charset=utf-8"
            headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/exhibitor/"},
        )
