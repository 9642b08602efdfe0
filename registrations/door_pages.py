"""Door pages: the camera scanner, manual check-in, walk-up registration, and the
organiser's live door dashboard (with its Server-Sent Events stream).

Thin handlers: every rule lives in registrations.checkin, .door and .services.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.channels import ChannelsPlugin
from litestar.datastructures import FormMultiDict
from litestar.params import FromPath
from litestar.response import Redirect, ServerSentEvent, Template
from litestar.response.sse import ServerSentEventMessage

from events.guards import door_of_event, organiser_of_event
from events.services import counts, get_event, get_slots
from fairground import timefmt
from fairground.accounts import current_principal, require_roles
from fairground.audit import record_audit
from fairground.errors import Conflict, Invalid
from fairground.text import clean_label
from fairground.web import CSP, page
from registrations import checkin, door
from registrations.checkin_api import channel_for
from registrations.services import register_attendee, validate_registration

Row = dict[str, Any]
ROOT = Path(__file__).resolve().parents[1]
SERVICE_WORKER = ROOT / "static" / "js" / "door-sw.js"
KEEP_ALIVE_SECONDS = 15.0
# The QR decoder is WebAssembly: only the scanner page may compile it, so the
# rest of the site keeps the stricter policy.
SCANNER_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'")
CHART_WIDTH, CHART_HEIGHT = 600, 200


def _door_of(form: FormMultiDict) -> str:
    """The door's name the page's script put in the form (fairground.text.clean_label)."""
    return clean_label(form.get("door", ""), "door")


def _find_url(slug: str, done: str, ref: str) -> str:
    """Back to the find page after a check-in: the outcome and the registration's
    reference only. Names and emails never go in a URL (logs, history, Referer)."""
    params = {k: v for k, v in (("done", done), ("ref", ref)) if v}
    return f"/door/events/{slug}/find" + (f"?{urlencode(params)}" if params else "")


async def _find_page(
    request: Request[Any, Any, Any], slug: str, query: str, results: list[Row], done: str
) -> Template:
    event = await get_event(slug)
    return page(
        request,
        "registrations/door/find.html",
        event=event,
        opening=door.opening_of(event),
        q=query,
        results=results,
        done=done,
        who=results[0]["name"] if done and results else "",
    )


class DoorPagesController(Controller):
    path = "/door"
    include_in_schema = False
    guards = [require_roles("door", "organiser")]

    @get("/events/{slug:str}/scan", guards=[door_of_event])
    async def scan(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        event = await get_event(slug)
        response = page(request, "registrations/door/scan.html", event=event)
        response.headers["Content-Security-Policy"] = SCANNER_CSP
        return response

    @get("/events/{slug:str}/find", guards=[door_of_event])
    async def find(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        """The search form; after a check-in, that attendee's row, found by reference."""
        ref = request.query_params.get("ref", "")[:20]
        results = await door.attendee_by_reference(slug, ref) if ref else []
        return await _find_page(request, slug, "", results, request.query_params.get("done", ""))

    @post("/events/{slug:str}/find", guards=[door_of_event], status_code=200)
    async def search(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        """The search itself is a POST, so that the name typed stays out of every URL."""
        form = await request.form()
        query = str(form.get("q", "")).strip()
        results = await door.search_attendees(slug, query) if query else []
        return await _find_page(request, slug, query, results, "")

    @post("/events/{slug:str}/attendees/{registration_id:int}/checkin", guards=[door_of_event])
    async def check_in(
        self, request: Request[Any, Any, Any], slug: FromPath[str], registration_id: FromPath[int]
    ) -> Redirect:
        form = await request.form()
        principal = current_principal(request)
        scan = checkin.Scan(
            code="", event=slug, door=_door_of(form), user_id=principal.id, device="manual"
        )
        verdict = await checkin.check_in_by_id(slug, registration_id, scan)
        _announce(request, await checkin.event_id_for(slug), verdict["result"])
        ref = verdict.get("attendee", {}).get("reference", "")
        return Redirect(_find_url(slug, done=verdict["result"], ref=ref), status_code=303)

    @post("/events/{slug:str}/attendees/{registration_id:int}/undo", guards=[door_of_event])
    async def undo(
        self, request: Request[Any, Any, Any], slug: FromPath[str], registration_id: FromPath[int]
    ) -> Redirect:
        form = await request.form()
        principal = current_principal(request)
        undone = await checkin.undo_check_in(slug, registration_id, _door_of(form), principal.id)
        if undone:  # the check-in log has the row; the audit log says who took it back
            await record_audit(principal.id, "check_in_undone", ("registration", registration_id))
            _announce(request, await checkin.event_id_for(slug), "undone")
        result = "undone" if undone else "not_checked_in"
        ref = await door.reference_of(slug, registration_id)
        return Redirect(_find_url(slug, done=result, ref=ref), status_code=303)

    @get("/events/{slug:str}/walk-up", guards=[door_of_event])
    async def walk_up_form(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        return await _walk_up_page(request, slug, {}, {})

    @post("/events/{slug:str}/walk-up", guards=[door_of_event])
    async def walk_up(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
        form = await request.form()
        values = {k: str(form.get(k, "")) for k in ("name", "email", "slot_id", "door")}
        return await _register_walk_up(request, slug, values)

    @get("/events/{slug:str}/tickets/{reference:str}", guards=[door_of_event])
    async def walk_up_ticket(
        self, request: Request[Any, Any, Any], slug: FromPath[str], reference: FromPath[str]
    ) -> Template:
        """The ticket of someone registered here without an email: shown, and printable."""
        ticket = await door.walk_up_ticket(slug, reference)
        return page(
            request,
            "registrations/door/ticket.html",
            event=await get_event(slug),
            ticket=ticket,
            done=request.query_params.get("done", ""),
        )


class ServiceWorkerController(Controller):
    """The service worker is served from /door/ so that its scope covers the scanner."""

    path = "/door"
    include_in_schema = False

    @get("/sw.js")
    async def service_worker(self) -> Response[bytes]:
        return Response(
            SERVICE_WORKER.read_bytes(),
            media_type="text/javascript",  # Litestar adds "; charset=utf-8"
            headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/door/"},
        )


def _announce(request: Request[Any, Any, Any], event_id: int, result: str) -> None:
    if result in ("ok", "undone"):
        channels = request.app.plugins.get(ChannelsPlugin)
        channels.publish({"result": result}, channel_for(event_id))


async def _walk_up_page(
    request: Request[Any, Any, Any],
    slug: str,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Template:
    event = await get_event(slug)
    tally = await counts(event["id"])
    slots = await get_slots(event["id"])
    return page(
        request,
        "registrations/door/walk_up.html",
        status_code=400 if errors else status_code,
        event=event,
        opening=door.opening_of(event),
        values=values,
        errors=errors,
        full=tally.confirmed >= event["capacity"],
        slot_options=[
            (str(s["id"]), timefmt.when(s["starts_at"], s["ends_at"], event["timezone"]))
            for s in slots
        ],
    )


async def _register_walk_up(
    request: Request[Any, Any, Any], slug: str, values: dict[str, str]
) -> Response[Any]:
    """Register, then check in at once; a full event, or a door not open, says so and
    registers nobody. Without an email the ticket is shown (and can be printed)."""
    event = await get_event(slug)
    closed = not door.opening_of(event)["open"]
    if closed or (await counts(event["id"])).confirmed >= event["capacity"]:
        return await _walk_up_page(request, slug, values, {}, status_code=409)
    raw = {"name": values["name"], "email": values["email"], "slot_id": values["slot_id"] or None}
    try:
        door_name = clean_label(values["door"], "door")  # before anything is written
        data = await validate_registration(event, raw, walk_up=True)
        result = await register_attendee(slug, data)
    except Invalid as exc:
        return await _walk_up_page(request, slug, values, exc.fields)
    except Conflict as exc:
        message = _CONFLICTS.get(exc.code, exc.detail)
        return await _walk_up_page(request, slug, values, {"email": message})
    if result.status != "confirmed":  # the last place went to someone else meanwhile
        return await _walk_up_page(request, slug, values, {}, status_code=409)
    verdict = await checkin.check_in(
        checkin.Scan(
            code=result.ticket_code or "",
            event=slug,
            door=door_name,
            device="walk-up",
            user_id=current_principal(request).id,
        )
    )
    _announce(request, int(event["id"]), verdict["result"])
    if data.email is None:
        ticket_url = f"/door/events/{slug}/tickets/{result.reference}?done=walk_up"
        return Redirect(ticket_url, status_code=303)
    return Redirect(_find_url(slug, done="walk_up", ref=result.reference), status_code=303)


_CONFLICTS = {
    "already_registered": "This email address is already registered: find them instead",
    "registration_closed": "Registration for this event is closed",
}


class DoorDashboardController(Controller):
    path = "/organiser/events/{slug:str}/door"
    include_in_schema = False
    guards = [require_roles("organiser"), organiser_of_event]

    @get("/")
    async def dashboard(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        return await _dashboard(request, slug, "registrations/door/dashboard.html")

    @get("/panel")
    async def panel(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        """The figures alone, which the page's script swaps in on each live update."""
        return await _dashboard(request, slug, "registrations/door/_panel.html")

    @get("/events")
    async def stream(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> ServerSentEvent:
        channels = request.app.plugins.get(ChannelsPlugin)
        channel = channel_for(await checkin.event_id_for(slug))
        return ServerSentEvent(
            _updates(channels, channel),
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )


async def _dashboard(request: Request[Any, Any, Any], slug: str, template: str) -> Template:
    event = await get_event(slug)
    stats = await door.checkin_stats(slug)
    return page(
        request,
        template,
        event=event,
        stats=stats,
        doors=sorted(stats["by_door"].items(), key=lambda kv: (-kv[1], kv[0])),
        bars=chart_bars(stats["per_15_minutes"], event["timezone"]),
        chart={"width": CHART_WIDTH, "height": CHART_HEIGHT},
    )


def chart_bars(series: list[Row], tz: str) -> list[Row]:
    """Bars for the per-15-minutes SVG chart, in the chart's own units."""
    if not series:
        return []
    top = max(1, max(int(p["count"]) for p in series))
    width = CHART_WIDTH / len(series)
    bars = []
    for i, point in enumerate(series):
        height = round((CHART_HEIGHT - 20) * int(point["count"]) / top, 1)
        bars.append(
            {
                "x": round(i * width + 1, 1),
                "width": max(1.0, round(width - 2, 1)),
                "y": round(CHART_HEIGHT - height, 1),
                "height": height,
                "count": int(point["count"]),
                "label": timefmt.clock(timefmt.local(datetime.fromisoformat(point["start"]), tz)),
            }
        )
    return bars


async def _updates(
    channels: ChannelsPlugin, channel: str
) -> AsyncGenerator[ServerSentEventMessage, None]:
    """One event per check-in or undo; a comment every 15 s keeps proxies from
    closing a quiet connection."""
    async with channels.start_subscription([channel]) as subscriber:
        inbox: asyncio.Queue[bytes] = asyncio.Queue()

        async def pump() -> None:
            async for message in subscriber.iter_events():
                inbox.put_nowait(message)

        task = asyncio.create_task(pump())
        try:
            # Sent at once, so the browser knows the stream is open.
            yield ServerSentEventMessage(data=None, comment="connected", retry=3000)
            while True:
                try:
                    message = await asyncio.wait_for(inbox.get(), KEEP_ALIVE_SECONDS)
                except TimeoutError:
                    yield ServerSentEventMessage(data=None, comment="keep-alive")
                    continue
                yield ServerSentEventMessage(event="checkin", data=_payload(message))
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _payload(message: bytes) -> str:
    try:
        return json.dumps(json.loads(message))
    except ValueError:
        return "{}"


ROUTES: list[Any] = [DoorPagesController, ServiceWorkerController, DoorDashboardController]
