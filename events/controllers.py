"""Event pages (public, organiser, door) and the event API."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, patch, post
from litestar.params import FromPath, JSONBody
from litestar.response import Redirect, Template

from events import door_staff, forms, services
from events.guards import door_of_event, is_organiser_of, organiser_of_event
from events.ics import event_feed
from events.jsonld import event_jsonld
from events.schemas import EventIn, EventOut, EventPatch
from events.serialise import event_out
from fairground.accounts import current_principal, require_roles
from fairground.audit import record_audit
from fairground.errors import Conflict, Forbidden, Invalid, NotFound
from fairground.organisations import organisation_contact
from fairground.settings import get_settings
from fairground.web import page, principal_of


async def _visible_event(request: Request[Any, Any, Any], slug: FromPath[str]) -> dict[str, Any]:
    """A published, closed or cancelled event; a draft only for its organisers."""
    event = await services.get_event(slug)
    if event["status"] == "draft":
        principal = principal_of(request)
        if principal is None or not is_organiser_of(principal, event["organisation"]):
            raise NotFound("There is no event at this address", code="event_not_found")
    return event


class PublicEventController(Controller):
    include_in_schema = False

    @get("/")
    async def home(self, request: Request[Any, Any, Any]) -> Template:
        return page(request, "events/index.html", events=await services.upcoming_events())

    @get("/events/{slug:str}")
    async def event_page(
        self, request: Request[Any, Any, Any], slug: FromPath[str]
    ) -> Response[Any]:
        if slug.endswith(".ics"):  # the feed lives at /events/<slug>.ics (API.md)
            return await self._feed(request, slug.removesuffix(".ics"))
        event = await _visible_event(request, slug)
        extras: dict[str, Any] = {}
        for extra in services.PAGE_EXTRAS:
            extras.update(await extra(event["id"], request.query_params.get("job_family")))
        counts = await services.counts(event["id"])
        registration_open = services.registration_open(event)
        organiser = await services.organiser_name(event["organisation"])
        full = counts.confirmed >= event["capacity"]
        return page(
            request,
            "events/event.html",
            **extras,
            event=event,
            slots=await services.get_slots(event["id"]),
            counts=counts,
            registration_open=registration_open,
            organiser=organiser,
            contact=(await organisation_contact(event["organisation"]))["contact_email"],
            event_data=None
            if event["status"] == "draft"
            else event_jsonld(event, organiser, registration_open, full),
        )

    async def _feed(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[bytes]:
        event = await _visible_event(request, slug)
        return Response(
            event_feed(event),
            media_type="text/calendar",  # Litestar adds "; charset=utf-8" to text/*
            headers={"Content-Disposition": f'inline; filename="{slug}.ics"'},
        )


async def _overview(
    request: Request[Any, Any, Any],
    event: dict[str, Any],
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Template:
    """The organiser's event page; with errors, the door team form's answers again."""
    query = request.query_params
    return page(
        request,
        "events/organiser/event.html",
        status_code=400 if errors else 200,
        event=event,
        slots=await services.get_slots(event["id"]),
        counts=await services.counts(event["id"]),
        flash=query.get("created") or query.get("saved"),
        door_flash="invited" if query.get("invited") else "removed" if query.get("removed") else "",
        door_team=await door_staff.door_team(event["id"]),
        notified=_pop_notified(request, event["slug"]) if not errors else None,
        errors=errors or {},
        values=values or {},
    )


class OrganiserController(Controller):
    path = "/organiser"
    include_in_schema = False
    guards = [require_roles("organiser")]

    @get("/")
    async def dashboard(self, request: Request[Any, Any, Any]) -> Template:
        principal = current_principal(request)
        org = None if principal.is_superuser else principal.organisation_id
        return page(
            request,
            "events/organiser/index.html",
            events=await services.events_for_organisation(org),
        )

    @get("/events/new")
    async def new_form(self, request: Request[Any, Any, Any]) -> Template:
        return self._form(request, None, forms.form_values(None, [], _tz()), {})

    @post("/events/new")
    async def create(self, request: Request[Any, Any, Any]) -> Response[Any]:
        principal = current_principal(request)
        form = await request.form()
        try:
            if principal.organisation_id is None:
                raise Invalid(
                    "Your account has no organisation",
                    fields={"title": "Your account has no organisation to run events for"},
                )
            fields = forms.parse_event_form(form, _tz())
            slug = await services.create_event(principal.organisation_id, fields)
        except Invalid as exc:
            return self._form(request, None, forms.values_from_form(form), forms.form_errors(exc))
        await record_audit(principal.id, "event_created", ("event", slug))
        return Redirect(f"/organiser/events/{slug}?created=1")

    @get("/events/{slug:str}", guards=[organiser_of_event])
    async def overview(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        return await _overview(request, await services.get_event(slug))

    @get("/events/{slug:str}/edit", guards=[organiser_of_event])
    async def edit_form(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        event = await services.get_event(slug)
        values = forms.form_values(event, await services.get_slots(event["id"]), event["timezone"])
        return self._form(request, event, values, {})

    @post("/events/{slug:str}/edit", guards=[organiser_of_event])
    async def update(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
        event = await services.get_event(slug)
        form = await request.form()
        try:
            fields = forms.parse_event_form(form, event["timezone"])
            fields.pop("slug", None)
            fields.pop("status", None)
            rescheduled = await services.update_event(slug, fields)
        except Invalid as exc:
            return self._form(request, event, forms.values_from_form(form), forms.form_errors(exc))
        await record_audit(current_principal(request).id, "event_updated", ("event", slug))
        if rescheduled:  # every confirmed attendee gets the updated invite
            confirmed = (await services.counts(event["id"])).confirmed
            request.set_session({**request.session, "notified": [slug, confirmed]})
        return Redirect(f"/organiser/events/{slug}?saved=1")

    @post("/events/{slug:str}/status", guards=[organiser_of_event])
    async def change_status(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Redirect:
        form = await request.form()
        status = str(form.get("status", ""))
        await services.set_status(slug, status)
        await record_audit(current_principal(request).id, f"event_{status}", ("event", slug))
        return Redirect(f"/organiser/events/{slug}?saved=1")

    @post("/events/{slug:str}/door-staff", guards=[organiser_of_event])
    async def add_door_staff(
        self, request: Request[Any, Any, Any], slug: FromPath[str]
    ) -> Response[Any]:
        """Invite someone to the door team by email (a link to set a password)."""
        event = await services.get_event(slug)
        form = await request.form()
        values = {k: str(form.get(k, "")) for k in ("name", "email")}
        try:
            await door_staff.invite_door_staff(
                event, values["name"], values["email"], current_principal(request).id
            )
        except (Invalid, Conflict) as exc:
            errors = exc.fields or {"email": exc.detail}
            return await _overview(request, event, errors=errors, values=values)
        return Redirect(f"/organiser/events/{slug}?invited=1#door-team", status_code=303)

    @post("/events/{slug:str}/door-staff/{user_id:int}/remove", guards=[organiser_of_event])
    async def remove_door_staff(
        self, request: Request[Any, Any, Any], slug: FromPath[str], user_id: FromPath[int]
    ) -> Redirect:
        """Take someone off the door team: their access to this event ends at once."""
        event = await services.get_event(slug)
        await door_staff.remove_door_staff(event, user_id, current_principal(request).id)
        return Redirect(f"/organiser/events/{slug}?removed=1#door-team", status_code=303)

    def _form(
        self,
        request: Request[Any, Any, Any],
        event: dict[str, Any] | None,
        values: dict[str, Any],
        errors: dict[str, str],
    ) -> Template:
        return page(
            request,
            "events/organiser/form.html",
            status_code=400 if errors else 200,
            event=event,
            values=values,
            errors=errors,
            slot_rows=forms.SLOT_ROWS,
        )


class DoorController(Controller):
    path = "/door"
    include_in_schema = False
    guards = [require_roles("door", "organiser")]

    @get("/")
    async def index(self, request: Request[Any, Any, Any]) -> Template:
        principal = current_principal(request)
        if principal.role == "door":
            events = await services.events_for_door(principal.id)
        else:
            org = None if principal.is_superuser else principal.organisation_id
            events = await services.events_for_organisation(org)
        return page(request, "events/door/index.html", events=events)

    @get("/events/{slug:str}", guards=[door_of_event])
    async def event(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
        event = await services.get_event(slug)
        return page(
            request,
            "events/door/event.html",
            opening=services.door_opening(event),
            event=event,
            counts=await services.counts(event["id"]),
        )


def _pop_notified(request: Request[Any, Any, Any], slug: str) -> int | None:
    """How many attendees the last edit sent an updated invite to, shown once."""
    session = dict(request.session) if request.session else {}
    notified = session.pop("notified", None)
    if notified is None:
        return None
    request.set_session(session)
    return int(notified[1]) if notified[0] == slug else None


def _tz() -> str:
    return get_settings().timezone


def _fields_from_api(data: EventIn | EventPatch) -> dict[str, Any]:
    raw = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    venue = raw.pop("venue", None)
    if venue is not None:
        venue_dict = msgspec.structs.asdict(venue)
        raw.update({f"venue_{k}" if k != "access_notes" else k: v for k, v in venue_dict.items()})
    if "slots" in raw:
        raw["slots"] = [msgspec.structs.asdict(s) for s in raw["slots"]]
    if "translations" in raw:
        raw["translations"] = {k: msgspec.to_builtins(v) for k, v in raw["translations"].items()}
    return raw


class EventApiController(Controller):
    path = "/api/v1/events"
    tags = ["events"]

    @get("/", summary="Published upcoming events")
    async def list_events(self) -> list[EventOut]:
        return [await event_out(e) for e in await services.upcoming_events()]

    @post("/", guards=[require_roles("organiser")], summary="Create an event")
    async def create(
        self, request: Request[Any, Any, Any], data: JSONBody[EventIn]
    ) -> Response[EventOut]:
        principal = current_principal(request)
        if principal.organisation_id is None:
            raise Forbidden("Your account has no organisation to run events for")
        slug = await services.create_event(principal.organisation_id, _fields_from_api(data))
        await record_audit(principal.id, "event_created", ("event", slug))
        return Response(await event_out(await services.get_event(slug)), status_code=201)

    @get("/{slug:str}", summary="One event (public once published)")
    async def read(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> EventOut:
        return await event_out(await _visible_event(request, slug))

    @patch("/{slug:str}", guards=[organiser_of_event], summary="Change an event")
    async def update(
        self, request: Request[Any, Any, Any], slug: FromPath[str], data: JSONBody[EventPatch]
    ) -> EventOut:
        await services.update_event(slug, _fields_from_api(data))
        await record_audit(current_principal(request).id, "event_updated", ("event", slug))
        return await event_out(await services.get_event(slug))


ROUTES: list[Any] = [PublicEventController, OrganiserController, DoorController, EventApiController]
