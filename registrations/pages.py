"""Attendee pages: the registration journey and the manage page (by manage token).

Handlers are thin: they read the form, keep the answers in the server-side
session between steps (never in hidden fields), and call the services.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import ResponseHeader
from litestar.params import FromPath
from litestar.response import Redirect, Template

from events import services as events
from fairground.errors import Conflict, Invalid, NotFound
from fairground.i18n import N_
from fairground.seed import councils, job_families
from fairground.web import page, principal_of
from registrations import extras, forms, invites, partners, services
from registrations.areas import group_councils
from registrations.tables import Registration

PUBLIC = {"public_post": True}
# The manage token is in the URL: keep it out of Referer headers and search engines.
TOKEN_HEADERS = [ResponseHeader(name="Referrer-Policy", value="no-referrer")]

Req = Request[Any, Any, Any]


async def _event_for_registration(slug: str) -> dict[str, Any]:
    """A draft is not there at all for the public; other states are shown."""
    event = await events.get_event(slug)
    if event["status"] == "draft":
        raise NotFound(N_("There is no event at this address"), code="event_not_found")
    return event


def _answers(request: Req, slug: str) -> dict[str, Any]:
    return dict(request.session.get(forms.session_key(slug)) or {})


def _keep(request: Req, slug: str, answers: dict[str, Any]) -> None:
    request.session[forms.session_key(slug)] = answers


def _forget(request: Req, slug: str) -> None:
    request.session.pop(forms.session_key(slug), None)


def _url(slug: str, step: str) -> str:
    base = f"/events/{slug}/register"
    return base if step == "details" else f"{base}/{step}"


def _next_url(slug: str, step: str, back_to_check: bool) -> str:
    if back_to_check:
        return _url(slug, "check")
    return _url(slug, forms.STEPS[forms.STEPS.index(step) + 1])


def _closed(request: Req, event: dict[str, Any], status_code: int = 200) -> Template:
    _forget(request, event["slug"])
    opens = event["registration_opens_at"]
    opens_later = event["status"] == "published" and opens is not None and opens > datetime.now(UTC)
    return page(
        request,
        "registrations/closed.html",
        status_code=status_code,
        event=event,
        opens_later=opens_later,
    )


async def _step_context(
    event: dict[str, Any], step: str, answers: dict[str, Any]
) -> dict[str, Any]:
    """Only what each step's template needs: slots, councils or job families."""
    if step == "details":
        return {
            "slots": await events.get_slots(event["id"]),
            "councils": await councils(),
            "event_full": event["confirmed_count"] >= event["capacity"],
        }
    if step == "interests":
        chosen = answers.get("consent_councils", [])
        areas = group_councils(await councils(), answers.get("home_council", ""), chosen)
        return {"families": await job_families(), "areas": areas}
    if step == "check":
        return {
            "slots": await events.get_slots(event["id"]),
            "council_names": {c["code"]: c["name"] for c in await councils()},
            "family_names": {f["code"]: f["name"] for f in await job_families()},
        }
    return {}


def _back_url(slug: str, step: str, back_to_check: bool) -> str:
    if step == "details":
        return _url(slug, "check") if back_to_check else f"/events/{slug}"
    if back_to_check and step != "check":
        return _url(slug, "check")
    return _url(slug, forms.STEPS[forms.STEPS.index(step) - 1])


async def _show(
    request: Req,
    event: dict[str, Any],
    step: str,
    answers: dict[str, Any],
    errors: dict[str, str] | None = None,
    back_to_check: bool = False,
) -> Template:
    back_to_check = back_to_check or bool(request.query_params.get("change"))
    return page(
        request,
        f"registrations/{step}.html",
        status_code=400 if errors else 200,
        event=event,
        answers=answers,
        errors=errors or {},
        action=_url(event["slug"], step),
        back_to_check=back_to_check,
        back_url=_back_url(event["slug"], step, back_to_check),
        **await _step_context(event, step, answers),
        **forms.PAGE_CONSTANTS,
    )


def _missing_step(answers: dict[str, Any], step: str) -> str | None:
    """The first earlier step not yet answered: people cannot skip ahead."""
    done = answers.get("done", [])
    for earlier in forms.STEPS[: forms.STEPS.index(step)]:
        if earlier != "equality" and earlier not in done:
            return earlier
    return None


async def _get_step(request: Req, slug: str, step: str) -> Response[Any]:
    event = await _event_for_registration(slug)
    if not events.registration_open(event):
        return _closed(request, event)
    answers = _answers(request, slug)
    if await _remember_partner(request, event, answers):
        _keep(request, slug, answers)
    missing = _missing_step(answers, step)
    if missing:
        return Redirect(_url(slug, missing), status_code=303)
    return await _show(request, event, step, answers)


async def _remember_partner(request: Req, event: dict[str, Any], answers: dict[str, Any]) -> bool:
    """A ?via=<code> link of a partner invited to the fair, or partner staff signed in
    (assisted registration): kept with the answers through the steps."""
    assisting = await partners.assisting_partner(principal_of(request), event["id"])
    found = None
    if assisting is not None:
        found = {"id": assisting, "name": await partners.referrer_name(assisting)}
    elif "via" in request.query_params:
        found = await partners.partner_for_code(event["id"], request.query_params.get("via"))
    if found is None:
        return False
    answers["referred_by"] = found["id"]
    answers["referred_by_name"] = found["name"]
    answers["assisted"] = assisting is not None
    return True


async def _errors_for(
    event: dict[str, Any], step: str, answers: dict[str, Any], assisted: bool = False
) -> dict[str, str]:
    """This step's errors: the form's own rules, then the service's (which win)."""
    errors = forms.own_errors(step, answers, bool(await events.get_slots(event["id"])))
    try:
        await services.validate_registration(event, forms.to_raw(answers), email_optional=assisted)
    except Invalid as exc:
        errors.update(forms.form_errors(exc))
    return forms.step_errors(step, errors)


async def _post_step(request: Req, slug: str, step: str) -> Response[Any]:
    event = await _event_for_registration(slug)
    if not events.registration_open(event):
        return _closed(request, event)
    form = await request.form()
    answers = {**_answers(request, slug), **forms.read_step(form, step)}
    back_to_check = form.get("change") == "1"
    if step == "interests" and form.get("select_all"):
        # The no-JavaScript "select all": tick every council and show the page again.
        answers["consent_councils"] = [c["code"] for c in await councils()]
        _keep(request, slug, answers)
        return await _show(request, event, step, answers, back_to_check=back_to_check)
    errors = await _errors_for(event, step, answers, bool(answers.get("assisted")))
    if errors:
        _keep(request, slug, answers)
        return await _show(request, event, step, answers, errors, back_to_check)
    if step == "details":  # shown on "Check your answers" as it is stored: "B1 2ND"
        answers["postcode"] = events.normalise_postcode(answers["postcode"], "postcode")
    answers["done"] = sorted({*answers.get("done", []), step})
    _keep(request, slug, answers)
    return Redirect(_next_url(slug, step, back_to_check), status_code=303)


async def _post_equality(request: Req, slug: str) -> Response[Any]:
    event = await _event_for_registration(slug)
    if not events.registration_open(event):
        return _closed(request, event)
    form = await request.form()
    answers = _answers(request, slug)
    # "Skip this section" forgets any earlier answers: skipping means none are kept.
    given, errors = forms.read_equality(form)
    if errors and not form.get("skip"):
        return await _show(request, event, "equality", {**answers, "equality": given}, errors)
    answers["equality"] = None if form.get("skip") else given
    answers["done"] = sorted({*answers.get("done", []), "equality"})
    _keep(request, slug, answers)
    return Redirect(_url(slug, "check"), status_code=303)


async def _submit(request: Req, slug: str) -> Response[Any]:
    event = await _event_for_registration(slug)
    if not events.registration_open(event):
        return _closed(request, event, status_code=409)
    answers = _answers(request, slug)
    missing = _missing_step(answers, "check")
    if missing:
        return Redirect(_url(slug, missing), status_code=303)
    assisting = await partners.assisting_partner(principal_of(request), event["id"])
    try:
        data = await services.validate_registration(
            event, forms.to_raw(answers), email_optional=assisting is not None
        )
    except Invalid as exc:
        errors = forms.form_errors(exc)
        step = forms.first_step_with_errors(errors) or "details"
        return await _show(request, event, step, answers, forms.step_errors(step, errors) or errors)
    referred_by = answers.get("referred_by")
    if not isinstance(referred_by, int) or not await partners.is_invited(event["id"], referred_by):
        referred_by = None
    form = await request.form()
    principal = principal_of(request)
    data = dataclasses.replace(
        data,
        referred_by=referred_by,
        partner_consent=referred_by is not None and form.get("partner_consent") == "yes",
        assisted_by=principal.id if assisting is not None and principal else None,
    )
    try:
        result = await services.register_attendee(slug, data, equality=answers.get("equality"))
    except Conflict as exc:
        return _conflict_page(request, event, exc, str(answers.get("email", "")))
    _forget(request, slug)
    return Redirect(f"/r/{result.manage_token}/confirmation", status_code=303)


def _conflict_page(request: Req, event: dict[str, Any], exc: Conflict, email: str) -> Template:
    if exc.code == "registration_closed":
        return _closed(request, event, status_code=409)
    if exc.code != "already_registered":
        raise exc
    # Say only what the person already knows: the address they typed.
    _forget(request, event["slug"])
    return page(
        request,
        "registrations/already_registered.html",
        status_code=409,
        event=event,
        email=email,
    )


class RegisterController(Controller):
    """The public registration journey, one step per page."""

    path = "/events/{slug:str}/register"
    include_in_schema = False

    @get("/")
    async def details(self, request: Req, slug: FromPath[str]) -> Response[Any]:
        return await _get_step(request, slug, "details")

    @post("/", opt=PUBLIC)
    async def save_details(self, request: Req, slug: FromPath[str]) -> Response[Any]:
        return await _post_step(request, slug, "details")

    @get("/interests")
    async def interests(self, request: Req, slug: FromPath[str]) -> Response[Any]:
        return await _get_step(request, slug, "interests")

    @post("/interests", opt=PUBLIC)
    async def save_interests(self, request: Req, slug: FromPath[str]) -> Response[Any]:
        return await _post_step(request, slug, "interests")

    @get("/access")
    async def access(self, request: Req, slug: FromPath[str]) -> Response[Any]:
        return await _get_step(request, slug, "access")

    @post("/access", opt=PUBLIC)
    async def save_access(self, request: Req, slug: FromPath[str]) -> Response[Any]:
        return await _post_step(request, slug, "access")

    @get("/equality")
    async def equality(self, request: Req, slug: FromPath[str]) -> Response[Any]:
        return await _get_step(request, slug, "equality")

    @post("/equality", opt=PUBLIC)
    async def save_equality(self, request: Req, slug: FromPath[str]) -> Response[Any]:
        return await _post_equality(request, slug)

    @get("/check")
    async def check(self, request: Req, slug: FromPath[str]) -> Response[Any]:
        return await _get_step(request, slug, "check")

    @post("/check", opt=PUBLIC)
    async def submit(self, request: Req, slug: FromPath[str]) -> Response[Any]:
        return await _submit(request, slug)


async def _waitlist_position(registration: dict[str, Any]) -> int:
    """Place in the queue: waiting people of the event who registered earlier, plus one.
    (A freed slot goes first to someone waiting for that slot, so this is a guide.)"""
    earlier = await Registration.count().where(
        (Registration.event == registration["event"]["id"])
        & (Registration.status == "waitlisted")
        & (Registration.id < registration["id"])
    )
    return int(earlier) + 1


async def _manage_context(manage_token: str, with_extras: bool = False) -> dict[str, Any]:
    """The registration with its event and slot, and the links the page offers; with
    `with_extras`, what the apps above add (registrations.extras: the plan, the
    interviews)."""
    registration = await services.get_registration(manage_token)
    event, slot = registration["event"], registration["slot"]
    starts_at, ends_at = invites.times_of(event, slot)
    waiting = registration["status"] == "waitlisted"
    return {
        "registration": registration,
        "event": event,
        "slot": slot,
        "links": registration["links"],
        "starts_at": starts_at,
        "ends_at": ends_at,
        "position": await _waitlist_position(registration) if waiting else None,
        "map_url": forms.map_url(event),
        "referrer": await partners.referrer_name(registration["referred_by"]),
        "manage_url": invites.manage_url(manage_token),
        **(await extras.attendee_extras(registration, event) if with_extras else {}),
    }


class AttendeeController(Controller):
    """Pages reached by the unguessable manage token in the attendee's email."""

    path = "/r/{manage_token:str}"
    include_in_schema = False
    response_headers = TOKEN_HEADERS

    @get("/")
    async def manage(self, request: Req, manage_token: FromPath[str]) -> Template:
        # After the change page: saved and emailed (1), saved (2), nothing changed (0).
        saved = request.query_params.get("saved")
        saved = saved if saved in ("0", "1", "2") else None
        context = await _manage_context(manage_token, with_extras=True)
        return page(request, "registrations/manage.html", saved=saved, **context)

    @get("/plan")
    async def plan(self, request: Req, manage_token: FromPath[str]) -> Template:
        """The plan for the day on its own, to print (templates/registrations/plan.html)."""
        context = await _manage_context(manage_token, with_extras=True)
        if context.get("plan") is None:
            raise NotFound(N_("There is no plan at this address"), code="plan_not_found")
        return page(request, "registrations/plan.html", **context)

    @get("/confirmation")
    async def confirmation(self, request: Req, manage_token: FromPath[str]) -> Template:
        context = await _manage_context(manage_token)
        return page(request, "registrations/confirmation.html", **context)

    @get("/cancel")
    async def confirm_cancel(self, request: Req, manage_token: FromPath[str]) -> Response[Any]:
        context = await _manage_context(manage_token)
        if context["registration"]["status"] == "cancelled":
            return Redirect(f"/r/{manage_token}/cancelled", status_code=303)
        return page(request, "registrations/cancel.html", **context)

    @post("/cancel", opt=PUBLIC)
    async def cancel(self, manage_token: FromPath[str]) -> Redirect:
        await services.cancel_registration(manage_token)
        return Redirect(f"/r/{manage_token}/cancelled", status_code=303)

    @post("/referral/remove", opt=PUBLIC)
    async def remove_referral(self, manage_token: FromPath[str]) -> Redirect:
        await partners.remove_referral(manage_token)
        return Redirect(f"/r/{manage_token}", status_code=303)

    @post("/partner-consent", opt=PUBLIC)
    async def partner_consent(self, request: Req, manage_token: FromPath[str]) -> Redirect:
        form = await request.form()
        await partners.set_partner_consent(manage_token, form.get("given") == "yes")
        return Redirect(f"/r/{manage_token}#referral", status_code=303)

    @get("/cancelled")
    async def cancelled(self, request: Req, manage_token: FromPath[str]) -> Response[Any]:
        context = await _manage_context(manage_token)
        if context["registration"]["status"] != "cancelled":
            return Redirect(f"/r/{manage_token}", status_code=303)
        return page(request, "registrations/cancelled.html", **context)


ROUTES: list[Any] = [RegisterController, AttendeeController]
