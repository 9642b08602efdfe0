"""Interview pages: the jobseeker's (by manage token) and the stand's (its staff).

Handlers are thin: read the form, call one service, redirect or show the errors.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from events import services as events_services
from events.services import get_event
from exhibitors.guards import staff_of_exhibitor
from exhibitors.interviews import emails, services
from exhibitors.interviews.tables import InterviewBooking
from exhibitors.queries import get_exhibitor
from exhibitors.tables import Vacancy
from fairground import i18n
from fairground.accounts import current_principal, require_roles
from fairground.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from fairground.i18n import N_
from fairground.web import page
from registrations import extras
from registrations.pages import TOKEN_HEADERS
from registrations.services import get_registration

Req = Request[Any, Any, Any]
Row = dict[str, Any]
PUBLIC = {"public_post": True}


async def _manage_extras(registration: Row, event: Row) -> Row:
    """The ticket page's "Your interviews" (the seam, in the page's language)."""
    bookings = await services.bookings_for_registration(registration["id"])
    offered = bool(await services.open_slots(event["id"], None, registration["id"]))
    return {"interviews": bookings, "interviews_offered": offered}


if _manage_extras not in extras.ATTENDEE_EXTRAS:
    extras.ATTENDEE_EXTRAS.append(_manage_extras)


async def _fair_page_extras(event_id: int, job_family: str | None) -> Row:
    """The public fair page: employers with interview places still free (as of the
    page load)."""
    return {"interview_free": await services.free_slots_by_exhibitor(event_id)}


if _fair_page_extras not in events_services.PAGE_EXTRAS:
    events_services.PAGE_EXTRAS.append(_fair_page_extras)


def _slot_id(value: Any, field: str = "slot") -> int:
    try:
        number = int(str(value))
    except ValueError:
        number = 0
    if not 0 < number < 2**31:
        message = N_("Choose an interview time")
        raise Invalid(message, fields={field: message})
    return number


def _groups(slots: list[Row]) -> list[Row]:
    """Slots by exhibitor (and vacancy), in the order of their first time."""
    groups: dict[tuple[int, int | None], Row] = {}
    for s in slots:
        key = (s["exhibitor"], s["vacancy_id"])
        groups.setdefault(
            key,
            {
                "exhibitor_name": s["exhibitor_name"],
                "stand": s["stand"],
                "vacancy_title": s["vacancy_title"],
                "slots": [],
            },
        )["slots"].append({**s, "left": s["capacity"] - s["booked_count"]})
    return list(groups.values())


class AttendeeInterviewPages(Controller):
    path = "/r/{manage_token:str}/interviews"
    include_in_schema = False
    response_headers = TOKEN_HEADERS

    async def _choose(
        self, request: Req, manage_token: str, errors: dict[str, str] | None = None,
        moving: Row | None = None, status_code: int = 200,
    ) -> Template:  # fmt: skip
        registration = await get_registration(manage_token)
        event = registration["event"]
        slots = await services.open_slots(event["id"], None, registration["id"])
        return page(
            request,
            "interviews/choose.html",
            status_code=status_code,
            registration=registration,
            event=event,
            groups=_groups(slots),
            bookings=await services.bookings_for_registration(registration["id"]),
            moving=moving,
            errors=errors or {},
            limit=(await services.policy(event["id"]))["per_person_limit"],
        )

    @get("/")
    async def choose(self, request: Req, manage_token: FromPath[str]) -> Template:
        return await self._choose(request, manage_token)

    @post("/", opt=PUBLIC)
    async def book(self, request: Req, manage_token: FromPath[str]) -> Response[Any]:
        form = await request.form()
        try:
            await services.book(manage_token, _slot_id(form.get("slot")))
        except (Conflict, Forbidden, Invalid) as exc:
            return await self._choose(
                request, manage_token, {"slot": i18n.translate(exc.detail)}, status_code=400
            )
        return Redirect(f"/r/{manage_token}?interview=booked#interviews", status_code=303)

    async def _booking(self, manage_token: str, booking_id: int) -> Row:
        registration = await get_registration(manage_token)
        found = [
            b
            for b in await services.bookings_for_registration(registration["id"])
            if b["id"] == booking_id
        ]
        if not found:
            raise NotFound(
                N_("There is no interview booking at this address"), code="booking_not_found"
            )
        return found[0]

    @get("/{booking_id:int}/move")
    async def choose_move(
        self, request: Req, manage_token: FromPath[str], booking_id: FromPath[int]
    ) -> Template:
        moving = await self._booking(manage_token, booking_id)
        return await self._choose(request, manage_token, moving=moving)

    @post("/{booking_id:int}/move", opt=PUBLIC)
    async def move(
        self, request: Req, manage_token: FromPath[str], booking_id: FromPath[int]
    ) -> Response[Any]:
        form = await request.form()
        moving = await self._booking(manage_token, booking_id)
        try:
            await services.move(manage_token, booking_id, _slot_id(form.get("slot")))
        except (Conflict, Forbidden, Invalid) as exc:
            errors = {"slot": i18n.translate(exc.detail)}
            return await self._choose(request, manage_token, errors, moving, status_code=400)
        return Redirect(f"/r/{manage_token}?interview=moved#interviews", status_code=303)

    @post("/{booking_id:int}/cancel", opt=PUBLIC)
    async def cancel(
        self, request: Req, manage_token: FromPath[str], booking_id: FromPath[int]
    ) -> Response[Any]:
        try:
            await services.cancel(manage_token, booking_id)
        except Conflict as exc:
            return await self._choose(
                request, manage_token, {"slot": i18n.translate(exc.detail)}, status_code=409
            )
        return Redirect(f"/r/{manage_token}?interview=cancelled#interviews", status_code=303)

    @get("/{booking_id:int}/invite.ics")
    async def ics(self, manage_token: FromPath[str], booking_id: FromPath[int]) -> Response[bytes]:
        registration = await get_registration(manage_token)
        row = (
            await InterviewBooking.select(InterviewBooking.id)
            .where(
                (InterviewBooking.id == booking_id)
                & (InterviewBooking.registration == registration["id"])
            )
            .first()
        )
        found = await emails.booking_with_sequence(booking_id) if row else None
        if found is None:
            raise NotFound(
                N_("There is no interview booking at this address"), code="booking_not_found"
            )
        booking, reg, event = found
        with i18n.use(reg.get("language")):
            body = emails.booking_ics(booking, reg, i18n.localise(event))
        return Response(
            body,
            media_type="text/calendar",
            headers={
                "Content-Disposition": f'attachment; filename="interview-{booking_id}.ics"',
                "Cache-Control": "private, no-store",
            },
        )


# ---------------------------------------------------------------- the stand


def _local(value: str, tz: str, field: str, day: date) -> datetime:
    """ "10:30" on the fair's day in its zone."""
    try:
        hours, minutes = (int(p) for p in value.strip().split(":", 1))
        return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=ZoneInfo(tz))
    except (ValueError, TypeError):
        message = "Enter a time like 10:30"
        raise Invalid(message, fields={field: message}) from None


def _int(value: Any, field: str, label: str) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        message = f"Enter {label} as a number"
        raise Invalid(message, fields={field: message}) from None


def schedule_from_form(form: Any, event: Row) -> services.ScheduleInput:
    tz = event["timezone"]
    day = event["starts_at"].astimezone(ZoneInfo(tz)).date()
    breaks = []
    if str(form.get("break_start", "")).strip():
        breaks.append(
            (
                _local(str(form.get("break_start")), tz, "break_start", day),
                _local(str(form.get("break_end", "")), tz, "break_end", day),
            )
        )
    vacancy = str(form.get("vacancy", "")).strip()
    return services.ScheduleInput(
        starts_at=_local(str(form.get("starts", "")), tz, "starts", day),
        ends_at=_local(str(form.get("ends", "")), tz, "ends", day),
        slot_minutes=_int(form.get("slot_minutes", ""), "slot_minutes", "the interview length"),
        gap_minutes=_int(form.get("gap_minutes", ""), "gap_minutes", "the gap"),
        parallel=_int(form.get("parallel", ""), "parallel", "the number of tables"),
        breaks=breaks,
        mode=str(form.get("mode", "open"))[:8],
        vacancy_id=_int(vacancy, "vacancy", "the vacancy") if vacancy else None,
    )


class StandInterviewPages(Controller):
    path = "/exhibitor/{exhibitor_id:int}/interviews"
    include_in_schema = False
    guards = [require_roles("exhibitor", "organiser"), staff_of_exhibitor]

    async def _page(
        self, request: Req, exhibitor_id: int, errors: dict[str, str] | None = None,
        done: str = "", status_code: int = 200, form: Any = None,
    ) -> Template:  # fmt: skip
        exhibitor = await get_exhibitor(exhibitor_id)
        event = await get_event(exhibitor["event_slug"])
        slots = await services.stand_schedule(exhibitor_id)
        vacancies = await Vacancy.select(Vacancy.id, Vacancy.title).where(
            Vacancy.exhibitor == exhibitor_id
        )
        schedules = await services.schedules_for_exhibitor(exhibitor_id)
        return page(
            request,
            "interviews/stand.html",
            status_code=status_code,
            exhibitor=exhibitor,
            event=event,
            slots=slots,
            next_slot=next((s for s in slots if s.get("next")), None),
            vacancies=vacancies,
            invited_schedules=[s for s in schedules if s["mode"] == "invited"],
            invitable=await services.invitable(exhibitor_id) if schedules else [],
            errors=errors or {},
            done=done[:20],
            form=form or {},
        )

    @get("/")
    async def schedule(self, request: Req, exhibitor_id: FromPath[int]) -> Template:
        return await self._page(request, exhibitor_id, done=request.query_params.get("done") or "")

    @post("/schedules")
    async def publish(self, request: Req, exhibitor_id: FromPath[int]) -> Response[Any]:
        form = await request.form()
        exhibitor = await get_exhibitor(exhibitor_id)
        event = await get_event(exhibitor["event_slug"])
        try:
            data = schedule_from_form(form, event)
            await services.publish_schedule(exhibitor_id, data, current_principal(request).id)
        except (Invalid, Conflict) as exc:
            errors = exc.fields or {"starts": exc.detail}
            return await self._page(request, exhibitor_id, errors, status_code=400, form=form)
        return Redirect(f"/exhibitor/{exhibitor_id}/interviews?done=published", status_code=303)

    @post("/walk-in")
    async def walk_in(self, request: Req, exhibitor_id: FromPath[int]) -> Response[Any]:
        form = await request.form()
        try:
            await services.walk_in(exhibitor_id, str(form.get("code", ""))[:2000])
        except DomainError as exc:
            errors = exc.fields or {"code": exc.detail}
            errors = {"code": next(iter(errors.values()))}
            return await self._page(request, exhibitor_id, errors, status_code=400)
        return Redirect(f"/exhibitor/{exhibitor_id}/interviews?done=walk-in", status_code=303)

    @post("/{booking_id:int}/outcome")
    async def outcome(
        self, request: Req, exhibitor_id: FromPath[int], booking_id: FromPath[int]
    ) -> Response[Any]:
        form = await request.form()
        if await services.booking_exhibitor(booking_id) != exhibitor_id:
            raise NotFound(
                "There is no interview booking at this address", code="booking_not_found"
            )
        start: date | None = None
        raw = str(form.get("start_date", "")).strip()
        try:
            if raw:
                try:
                    start = date.fromisoformat(raw)
                except ValueError:
                    message = "Enter the start date like 2026-06-01"
                    raise Invalid(message, fields={"start_date": message}) from None
            outcome = str(form.get("outcome", ""))[:20]
            await services.record_outcome(booking_id, outcome, start, current_principal(request).id)
        except (Invalid, Conflict) as exc:
            errors = exc.fields or {"outcome": exc.detail}
            return await self._page(request, exhibitor_id, errors, status_code=400)
        return Redirect(f"/exhibitor/{exhibitor_id}/interviews?done=outcome", status_code=303)

    @post("/invitations")
    async def invite(self, request: Req, exhibitor_id: FromPath[int]) -> Response[Any]:
        form = await request.form()
        try:
            schedule_id = _int(form.get("schedule", ""), "schedule", "the schedule")
            people = [_int(v, "people", "a person") for v in form.getall("people", [])][:500]
            if not people:
                message = "Choose the people to invite"
                raise Invalid(message, fields={"people": message})
            await services.invite(exhibitor_id, schedule_id, people)
        except (Invalid, NotFound) as exc:
            errors = exc.fields or {"people": exc.detail}
            if "registration_ids" in errors:
                errors = {"people": errors["registration_ids"]}
            return await self._page(request, exhibitor_id, errors, status_code=400)
        return Redirect(f"/exhibitor/{exhibitor_id}/interviews?done=invited", status_code=303)


ROUTES: list[Any] = [AttendeeInterviewPages, StandInterviewPages]
