"""Organiser pages: applications and decisions, stands and the floor plan, subscribers."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Redirect, Template

from events.guards import organiser_of_event
from events.services import get_event
from exhibitors import services, stands, subscribers
from exhibitors.applications import is_current_subscriber, waiting_count
from exhibitors.queries import exhibitors_of_event, get_exhibitor, staff_of
from exhibitors.validation import REASONS
from fairground.accounts import current_principal, require_roles
from fairground.errors import Conflict, DomainError, Invalid, NotFound
from fairground.web import page

Req = Request[Any, Any, Any]
STATUSES = ("applied", "approved", "waitlisted", "rejected", "withdrawn")
UPLOAD_LIMIT = 3 * 1024 * 1024


def _status_code(exc: DomainError) -> int:
    """409 for a conflict, 404 for an id that is not this fair's (a stand of another
    event is not found here), else 400."""
    return exc.status_code if isinstance(exc, Conflict | NotFound) else 400


def _filters(request: Req) -> dict[str, str]:
    status = request.query_params.get("status", "")
    verification = request.query_params.get("verification", "")
    return {
        "status": status if status in STATUSES else "",
        "verification": verification if verification in ("verified", "needs_review") else "",
    }


class OrganiserExhibitorsController(Controller):
    path = "/organiser/events/{slug:str}"
    include_in_schema = False
    guards = [require_roles("organiser"), organiser_of_event]

    @get("/exhibitors")
    async def applications(self, request: Req, slug: FromPath[str]) -> Template:
        event = await get_event(slug)
        filters = _filters(request)
        rows = await exhibitors_of_event(event["id"], filters)
        for row in rows:
            row["current"] = is_current_subscriber(
                {
                    "subscriber_ref": row["organisation_ref"],
                    "subscriber_until": row["organisation_until"],
                }
            )
        return page(
            request,
            "exhibitors/organiser/list.html",
            event=event,
            exhibitors=rows,
            filters=filters,
            statuses=STATUSES,
            reasons=REASONS,
            waiting=await waiting_count(event["id"]),
            decided=request.query_params.get("decided"),
        )

    @get("/exhibitors/{exhibitor_id:int}")
    async def application(
        self, request: Req, slug: FromPath[str], exhibitor_id: FromPath[int]
    ) -> Template:
        return await self._detail(request, slug, exhibitor_id)

    @post("/exhibitors/{exhibitor_id:int}/decision")
    async def decide(
        self, request: Req, slug: FromPath[str], exhibitor_id: FromPath[int]
    ) -> Response[Any]:
        event = await get_event(slug)
        form = await request.form()
        choice = services.Decision(
            decision=str(form.get("decision", "")),
            stand=str(form.get("stand", "")).strip(),
            message=str(form.get("message", "")),
        )
        try:
            await services.decide_exhibitor(
                event["id"], exhibitor_id, choice, current_principal(request).id
            )
        except DomainError as exc:
            if not exc.fields:
                raise
            values = {"decision": choice.decision, "stand": choice.stand, "message": choice.message}
            return await self._detail(request, slug, exhibitor_id, exc, values)
        return Redirect(
            f"/organiser/events/{slug}/exhibitors?decided={exhibitor_id}", status_code=303
        )

    async def _detail(
        self,
        request: Req,
        slug: str,
        exhibitor_id: int,
        exc: DomainError | None = None,
        values: dict[str, str] | None = None,
    ) -> Template:
        event = await get_event(slug)
        exhibitor = await get_exhibitor(exhibitor_id, event["id"])
        every = await stands.stands_of_event(event["id"])
        free = [s for s in every if s["exhibitor"] in (None, exhibitor_id)]
        return page(
            request,
            "exhibitors/organiser/detail.html",
            status_code=_status_code(exc) if exc else 200,
            event=event,
            exhibitor=exhibitor,
            current=is_current_subscriber(
                {
                    "subscriber_ref": exhibitor["organisation_ref"],
                    "subscriber_until": exhibitor["organisation_until"],
                }
            ),
            reason=REASONS.get(exhibitor["review_reason"], ""),
            staff=await staff_of(exhibitor_id),
            free_stands=free,
            errors=exc.fields if exc else {},
            values=values or {},
        )


class StandsController(Controller):
    path = "/organiser/events/{slug:str}/stands"
    include_in_schema = False
    guards = [require_roles("organiser"), organiser_of_event]

    @get("/")
    async def plan(self, request: Req, slug: FromPath[str]) -> Template:
        selected = request.query_params.get("stand", "")
        chosen = int(selected) if re.fullmatch(r"[0-9]{1,9}", selected) else None
        return await self._show(request, slug, chosen)

    @post("/")
    async def create(self, request: Req, slug: FromPath[str]) -> Response[Any]:
        event = await get_event(slug)
        form = await request.form()
        try:
            stand_id = await stands.create_stand(event["id"], stands.parse_stand(dict(form)))
        except DomainError as exc:
            if not exc.fields:
                raise
            return await self._show(request, slug, None, exc, dict(form))
        return Redirect(f"/organiser/events/{slug}/stands?stand={stand_id}", status_code=303)

    @post("/{stand_id:int}")
    async def update(
        self, request: Req, slug: FromPath[str], stand_id: FromPath[int]
    ) -> Response[Any]:
        event = await get_event(slug)
        form = await request.form()
        try:
            await stands.update_stand(event["id"], stand_id, stands.parse_stand(dict(form)))
        except DomainError as exc:
            if not exc.fields:
                raise
            return await self._show(request, slug, stand_id, exc, dict(form))
        return Redirect(f"/organiser/events/{slug}/stands?stand={stand_id}", status_code=303)

    @post("/{stand_id:int}/delete")
    async def delete(
        self, request: Req, slug: FromPath[str], stand_id: FromPath[int]
    ) -> Response[Any]:
        event = await get_event(slug)
        await stands.delete_stand(event["id"], stand_id)
        return Redirect(f"/organiser/events/{slug}/stands", status_code=303)

    @post("/{stand_id:int}/allocate")
    async def allocate(
        self, request: Req, slug: FromPath[str], stand_id: FromPath[int]
    ) -> Response[Any]:
        event = await get_event(slug)
        form = await request.form()
        raw = str(form.get("exhibitor", ""))
        try:
            if not re.fullmatch(r"[0-9]{1,9}", raw):
                raise Invalid("Choose an exhibitor", fields={"exhibitor": "Choose an exhibitor"})
            actor = current_principal(request).id
            await stands.allocate_stand(event["id"], int(raw), stand_id, actor)
        except DomainError as exc:
            if not exc.fields:
                raise
            return await self._show(request, slug, stand_id, exc)
        return Redirect(
            f"/organiser/events/{slug}/stands?stand={stand_id}&saved=1", status_code=303
        )

    @post("/{stand_id:int}/release")
    async def release(
        self, request: Req, slug: FromPath[str], stand_id: FromPath[int]
    ) -> Response[Any]:
        event = await get_event(slug)
        await stands.release_stand(event["id"], stand_id, current_principal(request).id)
        return Redirect(f"/organiser/events/{slug}/stands?stand={stand_id}", status_code=303)

    async def _show(
        self,
        request: Req,
        slug: str,
        selected: int | None,
        exc: DomainError | None = None,
        values: dict[str, Any] | None = None,
    ) -> Template:
        event = await get_event(slug)
        every = await stands.stands_of_event(event["id"])
        chosen = next((s for s in every if s["id"] == selected), None)
        approved = await exhibitors_of_event(event["id"], {"status": "approved"})
        return page(
            request,
            "exhibitors/organiser/stands.html",
            status_code=_status_code(exc) if exc else 200,
            event=event,
            stands=every,
            plan=stands.floor_plan(every, selected=selected),
            selected=chosen,
            unplaced=[e for e in approved if e["stand"] is None],
            errors=exc.fields if exc else {},
            values=values or {},
            saved=request.query_params.get("saved"),
        )


async def _upload(request: Req) -> bytes:
    """The CSV from the file field, or else the pasted text."""
    form = await request.form()
    upload = form.get("file")
    if isinstance(upload, UploadFile):
        data = await upload.read()
        if data:
            return data
    return str(form.get("text", "")).encode("utf-8")


class SubscribersController(Controller):
    path = "/organiser/subscribers"
    include_in_schema = False
    guards = [require_roles("organiser")]

    @get("/")
    async def index(self, request: Req) -> Template:
        return await self._index(request, {})

    @post("/preview", request_max_body_size=UPLOAD_LIMIT)
    async def preview(self, request: Req) -> Template:
        data = await _upload(request)
        try:
            preview = await subscribers.preview_import(data)
        except Invalid as exc:
            return await self._index(request, exc.fields, 400)
        return page(
            request,
            "exhibitors/organiser/subscribers_preview.html",
            preview=preview,
            data=base64.b64encode(data).decode("ascii"),
        )

    @post("/apply", request_max_body_size=UPLOAD_LIMIT)
    async def apply(self, request: Req) -> Response[Any]:
        form = await request.form()
        try:
            data = base64.b64decode(str(form.get("data", "")), validate=True)
        except (binascii.Error, ValueError):
            return await self._index(request, {"file": "Upload the file again"}, 400)
        try:
            preview = await subscribers.apply_import(data, current_principal(request).id)
        except DomainError as exc:
            return await self._index(request, exc.fields or {"file": exc.detail}, _status_code(exc))
        return Redirect(f"/organiser/subscribers?applied={preview.changing}", status_code=303)

    async def _index(
        self, request: Req, errors: dict[str, str], status_code: int = 200
    ) -> Template:
        return page(
            request,
            "exhibitors/organiser/subscribers.html",
            status_code=status_code,
            subscribers=await subscribers.subscribers(),
            errors=errors,
            applied=request.query_params.get("applied"),
        )
