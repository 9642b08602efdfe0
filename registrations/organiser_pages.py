"""Organiser pages for registrations: the access-requests queue and the outbox."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from events import services as events
from events.guards import organiser_of_event
from fairground.accounts import Principal, current_principal, require_roles
from fairground.audit import record_audit
from fairground.db import write_transaction
from fairground.errors import Invalid, NotFound
from fairground.mail import build_message, mail_pause
from fairground.tables import OutboxMessage, User
from fairground.text import check_block
from fairground.web import page
from registrations import forms
from registrations.tables import AccessRequest, Registration

Req = Request[Any, Any, Any]


ACCESS_STATUSES = ("open", "arranged", "declined")
OUTBOX_PAGE = 100


async def _access_requests(event_id: int) -> list[dict[str, Any]]:
    """Open requests first, soonest notice deadline first: what to book next."""
    rows = await AccessRequest.select(
        *AccessRequest.all_columns(),
        AccessRequest.registration.name.as_alias("name"),
        AccessRequest.registration.email.as_alias("email"),
        AccessRequest.registration.reference.as_alias("reference"),
        AccessRequest.registration.status.as_alias("registration_status"),
    ).where(AccessRequest.registration.event == event_id)
    return sorted(rows, key=lambda r: (r["status"] != "open", r["notice_deadline"], r["id"]))


async def _update_access_request(
    event_id: int, request_id: int, status: str, note: str, actor_id: int
) -> None:
    """Only a request of this event (the guard checked the event, not the id); the
    note is a block of text (fairground.text)."""
    errors: dict[str, str] = {}
    if status not in ACCESS_STATUSES:
        errors["status"] = "Choose open, arranged or declined"
    note = check_block(note, "note", "The note", forms.MAX_TEXT, errors)
    if errors:
        raise Invalid("Some answers need correcting", fields=errors)
    async with write_transaction():
        found = await AccessRequest.exists().where(
            (AccessRequest.id == request_id) & (AccessRequest.registration.event == event_id)
        )
        if not found:
            raise NotFound("There is no such access request", code="access_request_not_found")
        await AccessRequest.update({AccessRequest.status: status, AccessRequest.note: note}).where(
            AccessRequest.id == request_id
        )
        await record_audit(
            actor_id, "access_request_updated", ("access_request", request_id), status=status
        )


def _outbox_scope(principal: Principal) -> Any:
    """Superusers see every message; an organiser sees those to people who
    registered for their organisation's events and to their own staff."""
    if principal.is_superuser:
        return None
    if principal.organisation_id is None:
        return OutboxMessage.id < 0
    org = principal.organisation_id
    attendees = Registration.select(Registration.email).where(
        Registration.event.organisation == org
    )
    staff = User.select(User.email).where(User.organisation == org)
    return OutboxMessage.recipient.is_in(attendees) | OutboxMessage.recipient.is_in(staff)


async def _recent_messages(principal: Principal) -> list[dict[str, Any]]:
    columns = [c for c in OutboxMessage.all_columns() if c._meta.name != "payload"]
    query = OutboxMessage.select(*columns).order_by(OutboxMessage.id, ascending=False)
    scope = _outbox_scope(principal)
    if scope is not None:
        query = query.where(scope)
    return await query.limit(OUTBOX_PAGE)


async def _message(principal: Principal, message_id: int) -> dict[str, Any]:
    """One message and its parsed MIME: the text part and the attachments' names."""
    condition = OutboxMessage.id == message_id
    scope = _outbox_scope(principal)
    row = (
        await OutboxMessage.select()
        .where(condition if scope is None else condition & scope)
        .first()
    )
    if row is None:
        raise NotFound("There is no such message", code="message_not_found")
    payload = await build_message(message_id) or b""  # a deferred message is built now
    return {**row, "payload": payload, **forms.read_mime(payload)}


class OrganiserRegistrationController(Controller):
    """The organiser's access-requests queue and the outbox of sent email."""

    path = "/organiser"
    include_in_schema = False
    guards = [require_roles("organiser")]

    @get("/events/{slug:str}/access-requests", guards=[organiser_of_event])
    async def access_requests(self, request: Req, slug: FromPath[str]) -> Template:
        event = await events.get_event(slug)
        return page(
            request,
            "registrations/organiser/access_requests.html",
            event=event,
            rows=await _access_requests(event["id"]),
            saved=request.query_params.get("saved"),
            statuses=ACCESS_STATUSES,
        )

    @post("/events/{slug:str}/access-requests/{request_id:int}", guards=[organiser_of_event])
    async def update_access_request(
        self, request: Req, slug: FromPath[str], request_id: FromPath[int]
    ) -> Redirect:
        event = await events.get_event(slug)
        form = await request.form()
        # Field names carry the id: every request on the page has its own form.
        status = str(form.get(f"status-{request_id}", ""))
        note = str(form.get(f"note-{request_id}", ""))
        actor = current_principal(request).id
        await _update_access_request(event["id"], request_id, status, note, actor)
        return Redirect(f"/organiser/events/{slug}/access-requests?saved={request_id}")

    @get("/outbox")
    async def outbox_list(self, request: Req) -> Template:
        principal = current_principal(request)
        rows = await _recent_messages(principal)
        template = "registrations/organiser/outbox.html"
        everything = principal.is_superuser
        return page(request, template, rows=rows, everything=everything, paused=await mail_pause())

    @get("/outbox/{message_id:int}")
    async def outbox_message(self, request: Req, message_id: FromPath[int]) -> Template:
        message = await _message(current_principal(request), message_id)
        return page(request, "registrations/organiser/message.html", message=message)


ROUTES: list[Any] = [OrganiserRegistrationController]
