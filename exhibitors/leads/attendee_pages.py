"""Attendee pages by manage token: the follow-up survey, export or erase my data, and
the consent given at stands (withdrawn with one button)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import ResponseHeader
from litestar.params import FromPath
from litestar.response import Redirect, Template

from exhibitors.leads import retention, stand_consent, survey
from fairground.errors import Invalid
from fairground.seed import job_families
from fairground.web import page
from registrations.services import get_registration

Req = Request[Any, Any, Any]
PUBLIC = {"public_post": True}
TOKEN_HEADERS = [ResponseHeader(name="Referrer-Policy", value="no-referrer")]


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


async def _survey_page(
    request: Req, token: str, answers: dict[str, Any], errors: dict[str, str]
) -> Template:
    context = await survey.follow_up_context(token)
    return page(
        request,
        "leads/follow_up.html",
        status_code=400 if errors else 200,
        family_options=[(f["code"], f["name"]) for f in await job_families()],
        council_options=[(c["code"], c["name"]) for c in context["councils"]],
        answers=answers,
        errors=errors,
        **context,
    )


async def _stand_consents_page(
    request: Req, token: str, errors: dict[str, str] | None = None, done: str = ""
) -> Template:
    registration = await get_registration(token)
    consents = await stand_consent.stand_consents(token)
    withdrawn = [c for c in consents if c["exhibitor_id"] == _number(done) and c["withdrawn_at"]]
    return page(
        request,
        "leads/stand_consents.html",
        status_code=400 if errors else 200,
        registration=registration,
        event=registration["event"],
        consents=consents,
        done=withdrawn[0] if withdrawn else None,
        errors=errors or {},
    )


def _number(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 10 else None


async def _confirm_page(request: Req, token: str, exhibitor: str) -> Template:
    """ "Are you sure?" for one of the attendee's stand consents; a stale or forged
    choice gets the list back with the error."""
    registration = await get_registration(token)
    consents = await stand_consent.stand_consents(token)
    chosen = [c for c in consents if c["exhibitor_id"] == _number(exhibitor)]
    if not chosen or chosen[0]["withdrawn_at"] is not None:
        errors = {"exhibitor": "Choose a stand from the list"}
        return await _stand_consents_page(request, token, errors)
    return page(
        request,
        "leads/stand_consent_confirm.html",
        registration=registration,
        event=registration["event"],
        consent=chosen[0],
    )


class AttendeeLeadController(Controller):
    path = "/r/{manage_token:str}"
    include_in_schema = False
    response_headers = TOKEN_HEADERS

    @get("/follow-up")
    async def follow_up(self, request: Req, manage_token: FromPath[str]) -> Template:
        registration = await get_registration(manage_token)
        answers = {
            "councils": registration["consent_councils"] or [],
            "interests": registration["interests"] or [],
        }
        return await _survey_page(request, manage_token, answers, {})

    @post("/follow-up", opt=PUBLIC)
    async def save_follow_up(self, request: Req, manage_token: FromPath[str]) -> Response[Any]:
        form = await request.form()
        councils = [str(v) for v in form.getall("councils", [])]
        interests = [str(v) for v in form.getall("interests", [])]
        consent = form.get("consent") == "yes"
        answers = {"councils": councils, "interests": interests, "consent": consent}
        try:
            await survey.save_follow_up(manage_token, councils, interests, consent)
        except Invalid as exc:
            errors = exc.fields or {"_form": exc.detail}
            return await _survey_page(request, manage_token, answers, errors)
        return Redirect(f"/r/{manage_token}/follow-up/thanks", status_code=303)

    @get("/follow-up/thanks")
    async def thanks(self, request: Req, manage_token: FromPath[str]) -> Template:
        context = await survey.follow_up_context(manage_token)
        return page(request, "leads/follow_up_thanks.html", **context)

    @get("/stand-consents")
    async def stand_consents(self, request: Req, manage_token: FromPath[str]) -> Template:
        done = request.query_params.get("withdrawn") or ""
        return await _stand_consents_page(request, manage_token, done=done[:12])

    @post("/stand-consents", opt=PUBLIC)
    async def withdraw_stand_consent(
        self, request: Req, manage_token: FromPath[str]
    ) -> Response[Any]:
        """One button a stand: the first POST asks to confirm, the second withdraws."""
        form = await request.form()
        exhibitor = str(form.get("exhibitor", ""))
        if form.get("confirm") != "yes":
            return await _confirm_page(request, manage_token, exhibitor)
        try:
            done = await stand_consent.withdraw_stand_consent(manage_token, exhibitor)
        except Invalid as exc:
            return await _stand_consents_page(request, manage_token, exc.fields)
        url = f"/r/{manage_token}/stand-consents?withdrawn={done['exhibitor_id']}"
        return Redirect(url, status_code=303)

    @get("/data")
    async def data(self, request: Req, manage_token: FromPath[str]) -> Template:
        registration = await get_registration(manage_token)
        return page(
            request, "leads/my_data.html", registration=registration, event=registration["event"]
        )

    @get("/data.json")
    async def export(self, manage_token: FromPath[str]) -> Response[bytes]:
        data = await retention.export_my_data(manage_token)
        body = json.dumps(data, default=_default, ensure_ascii=False, indent=2).encode()
        headers = {
            "Content-Disposition": 'attachment; filename="my-fairground-data.json"',
            "Cache-Control": "no-store",
        }
        return Response(body, media_type="application/json", headers=headers)

    @post("/data/erase", opt=PUBLIC)
    async def erase(self, request: Req, manage_token: FromPath[str]) -> Response[Any]:
        form = await request.form()
        if form.get("confirm") != "yes":
            registration = await get_registration(manage_token)
            errors = {"confirm": "Tick the box to confirm that you want your data erased"}
            return page(request, "leads/my_data.html", status_code=400, errors=errors,
                        registration=registration, event=registration["event"])  # fmt: skip
        await retention.erase_my_data(manage_token)
        return Redirect("/data-erased", status_code=303)


class ErasedController(Controller):
    path = "/data-erased"
    include_in_schema = False

    @get("/")
    async def erased(self, request: Req) -> Template:
        return page(request, "leads/erased.html")
