"""The attendee's "Change your details and choices" page (by manage token).

One form for everything an attendee may change themselves; it posts to one
service call (registrations.changes.update_registration), so a refusal changes
nothing and shows the form again as it was sent, with an error summary.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import FromPath
from litestar.response import Redirect, Template

from events import services as events
from fairground.errors import Conflict, Invalid
from fairground.i18n import N_
from fairground.seed import councils, job_families
from fairground.web import page
from registrations import services
from registrations.areas import group_councils
from registrations.changes import check_changeable
from registrations.pages import PUBLIC, TOKEN_HEADERS

Req = Request[Any, Any, Any]
LISTS = ("interests", "consent_councils")
TEXTS = ("phone", "postcode", "job_alerts", "slot_id", "access_needs", "language")
# The service's field names → the form's.
FORM_NAMES = {
    "consent": "consent_councils",
    "consent.councils": "consent_councils",
    "consent.job_alerts": "job_alerts",
}
ORDER = ("phone", "postcode", "slot_id", "interests", "consent_councils", "job_alerts", "language")


def _answers_of(registration: dict[str, Any]) -> dict[str, Any]:
    """The form's fields as the registration has them now."""
    slot = registration["slot"]
    return {
        "phone": registration["phone"],
        "postcode": registration["postcode"],
        "slot_id": str(slot["id"]) if slot else "",
        "interests": list(registration["interests"] or []),
        "consent_councils": list(registration["consent_councils"] or []),
        "job_alerts": "yes" if registration["consent_job_alerts"] else "no",
        "access_needs": registration["access_needs"],
        "language": registration["language"],
    }


def _read(form: FormMultiDict) -> dict[str, Any]:
    answers: dict[str, Any] = {name: str(form.get(name, "")).strip() for name in TEXTS}
    for name in LISTS:
        answers[name] = [str(v) for v in form.getall(name, []) if str(v).strip()]
    return answers


def _raw(answers: dict[str, Any], has_slots: bool) -> dict[str, Any]:
    """The body update_registration() reads (the API's names)."""
    raw: dict[str, Any] = {
        "phone": answers["phone"],
        "postcode": answers["postcode"],
        "interests": answers["interests"],
        "access_needs": answers["access_needs"],
        "language": answers["language"],
        "consent": {
            "councils": answers["consent_councils"],
            "job_alerts": answers["job_alerts"] == "yes",
        },
    }
    if has_slots:  # no slots, no field: the service would refuse an empty one
        slot = answers["slot_id"]
        raw["slot_id"] = int(slot) if slot.isdigit() and len(slot) < 10 else slot or None
    return raw


def _errors(exc: Invalid | Conflict) -> dict[str, str]:
    named = {FORM_NAMES.get(k, k): v for k, v in exc.fields.items()}
    ordered = {k: named[k] for k in (*ORDER, "access_needs") if k in named}
    return {**ordered, **named} or {"_form": exc.detail}


async def _movable_slots(registration: dict[str, Any]) -> list[dict[str, Any]]:
    """The entry times to offer: none once the ticket is used or the fair is over."""
    event = registration["event"]
    if registration["checked_in_at"] is not None or event["ends_at"] <= datetime.now(UTC):
        return []
    return await events.get_slots(event["id"])


async def _show(
    request: Req,
    registration: dict[str, Any],
    answers: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    event = registration["event"]
    areas = group_councils(
        await councils(), registration["home_council"], answers["consent_councils"]
    )
    return page(
        request,
        "registrations/change.html",
        status_code=status_code,
        registration=registration,
        event=event,
        slots=await _movable_slots(registration),
        families=await job_families(),
        areas=areas,
        answers=answers,
        errors=errors or {},
    )


class ChangeController(Controller):
    """Change your details and choices: the link on the ticket page and in emails."""

    path = "/r/{manage_token:str}/change"
    include_in_schema = False
    response_headers = TOKEN_HEADERS

    @get("/")
    async def change(self, request: Req, manage_token: FromPath[str]) -> Response[Any]:
        registration = await services.get_registration(manage_token)
        try:
            check_changeable(registration)
        except Conflict:
            return Redirect(f"/r/{manage_token}", status_code=303)
        return await _show(request, registration, _answers_of(registration))

    @post("/", opt=PUBLIC)
    async def save(self, request: Req, manage_token: FromPath[str]) -> Response[Any]:
        registration = await services.get_registration(manage_token)
        answers = _read(await request.form())
        if answers["job_alerts"] not in ("yes", "no"):
            errors = {"job_alerts": N_("Select yes if you want emails about new jobs")}
            return await _show(request, registration, answers, errors, 400)
        has_slots = bool(await _movable_slots(registration))
        try:
            result = await services.update_registration(manage_token, _raw(answers, has_slots))
        except Invalid as exc:
            return await _show(request, registration, answers, _errors(exc), 400)
        except Conflict as exc:
            if not exc.fields:  # about the place itself (cancelled): the error page
                raise
            return await _show(request, registration, answers, _errors(exc), 409)
        saved = ("1" if result.emailed else "2") if result.changed else "0"
        # A new language: these pages follow it too (the link sets the cookie).
        lang = f"&lang={answers['language']}" if "language" in result.changed else ""
        return Redirect(f"/r/{manage_token}?saved={saved}{lang}", status_code=303)


ROUTES: list[Any] = [ChangeController]
