"""Health, sign-in and sign-out, password reset, API tokens and the static pages."""

from __future__ import annotations

import time
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE

from fairground import accounts, organisations, twofactor
from fairground.audit import record_audit
from fairground.db import RETRY_AFTER_SECONDS, ping, write_transaction
from fairground.errors import Invalid, NotFound
from fairground.mail import queue_email
from fairground.sessions import rotate_session, rotate_session_to_new_id
from fairground.settings import get_settings
from fairground.web import page, principal_of

# Rate limited per client address (app.py); sign-in has its own throttle instead.
PUBLIC_POST = {"public_post": True}
LOGIN_ERROR = "Enter a correct email address and password"


def _safe_next(raw: str | None) -> str:
    """Only same-site paths, so the login page cannot bounce people elsewhere."""
    if not raw or not raw.startswith("/") or raw.startswith("//") or urlsplit(raw).netloc:
        return "/"
    return raw


def _client_address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


@get("/healthz", exclude_from_auth=True)
async def healthz() -> Response[dict[str, str]]:
    """Liveness and database reachability."""
    if await ping():
        return Response({"status": "ok", "database": "ok"})
    return Response(
        {"status": "unavailable", "database": "unreachable"},
        status_code=HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


class AccountController(Controller):
    include_in_schema = False

    @get("/login")
    async def login_form(self, request: Request[Any, Any, Any]) -> Template:
        next_path = _safe_next(request.query_params.get("next"))
        return page(request, "accounts/login.html", next=next_path, errors={}, email="")

    @post("/login")
    async def login(self, request: Request[Any, Any, Any]) -> Response[Any]:
        form = await request.form()
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        next_path = _safe_next(str(form.get("next", "/")))
        throttle = accounts.LoginThrottle(request.app.stores.get("throttle"))
        await throttle.check(email, _client_address(request))
        principal = await accounts.authenticate(email, password) if email and password else None
        if principal is None:
            await throttle.failed(email, _client_address(request))
            await _failed_sign_in(request, email)
            errors = {"email": LOGIN_ERROR}
            return page(
                request,
                "accounts/login.html",
                status_code=400,
                errors=errors,
                email=email,
                next=next_path,
            )
        if principal.two_factor:
            device = request.cookies.get(twofactor.DEVICE_COOKIE, "")
            if not await twofactor.device_is_remembered(principal.id, device):
                # The password was right: the security code is the second step. No
                # one is signed in until it is given (fairground.account_pages).
                await _drop_old_session(request)
                rotate_session(request)
                request.set_session(
                    {"pending": principal.id, "pending_at": int(time.time()), "next": next_path}
                )
                return Redirect("/login/code", status_code=303)
            await _sign_in(request, principal, second_factor="device")
        else:
            await _sign_in(request, principal)
        # Only a complete sign-in clears the account's failures: with the password
        # alone, wrong security codes keep counting (fairground.account_pages).
        await throttle.succeeded(email)
        return Redirect(next_path if next_path != "/" else _home_for(principal))

    @post("/logout")
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        request.clear_session()
        return Redirect("/")

    @get("/password-reset")
    async def reset_request_form(self, request: Request[Any, Any, Any]) -> Template:
        return page(request, "accounts/reset_request.html", errors={}, sent=False, email="")

    @post("/password-reset", opt=PUBLIC_POST)
    async def reset_request(self, request: Request[Any, Any, Any]) -> Template:
        form = await request.form()
        raw_email = str(form.get("email", ""))
        try:
            email = accounts.normalise_email(raw_email)
        except Invalid as exc:
            return page(
                request,
                "accounts/reset_request.html",
                status_code=400,
                errors=exc.fields,
                sent=False,
                email=raw_email,
            )
        async with write_transaction():
            started = await accounts.start_password_reset(email)
            if started is not None:
                link = f"{get_settings().base_url}/password-reset/{started[1]}"
                await queue_email("password_reset", email, {"link": link})
        return page(request, "accounts/reset_request.html", errors={}, sent=True, email=email)

    @get("/password-reset/{token:str}")
    async def reset_form(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Template:
        first = await accounts.is_first_password(token)
        return page(request, "accounts/reset.html", errors={}, token=token, first=first)

    @post("/password-reset/{token:str}", opt=PUBLIC_POST)
    async def reset(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Response[Any]:
        form = await request.form()
        password, confirm = str(form.get("password", "")), str(form.get("confirm", ""))
        first = await accounts.is_first_password(token)
        errors = {"confirm": "The passwords do not match"} if password != confirm else {}
        try:
            if not errors:
                async with write_transaction():
                    user_id = await accounts.finish_password_reset(token, password)
                    await record_audit(user_id, "password_reset", ("user", user_id))
        except Invalid as exc:
            errors = exc.fields or {"password": exc.detail}
        if errors:
            context = {"errors": errors, "token": token, "first": first}
            return page(request, "accounts/reset.html", status_code=400, **context)
        # The link in the email proved who they are; with two-factor sign-in on, the
        # security code is still asked for (an email account alone is one factor).
        principal = await accounts.get_principal(user_id)
        if principal is None:  # deactivated meanwhile
            return Redirect("/login")
        await twofactor.end_all_sessions(principal.id)
        if principal.two_factor:
            await _drop_old_session(request)
            rotate_session(request)
            request.set_session(
                {"pending": principal.id, "pending_at": int(time.time()), "next": "/"}
            )
            return Redirect("/login/code", status_code=303)
        await _sign_in(request, principal)
        return Redirect(_home_for(principal))


async def _sign_in(
    request: Request[Any, Any, Any], principal: accounts.Principal, second_factor: str = ""
) -> None:
    """A new session for this principal (the old one is dropped, against fixation),
    listed under the person (their account page can end it), the sign-in logged."""
    await _drop_old_session(request)
    session_id = rotate_session_to_new_id(request)
    request.set_session({"uid": principal.id})
    address, agent = _client_address(request), _agent(request)
    await twofactor.register_session(session_id, principal.id, address, agent)
    await twofactor.record_sign_in(principal.id, address, agent, True, second_factor)
    await record_audit(principal.id, "login", ("user", principal.id))


async def _drop_old_session(request: Request[Any, Any, Any]) -> None:
    old_id = request.cookies.get("fg_session")
    if old_id:
        await request.app.stores.get("sessions").delete(old_id)


def _agent(request: Request[Any, Any, Any]) -> str:
    return twofactor.agent_family(request.headers.get("user-agent", ""))


async def _failed_sign_in(request: Request[Any, Any, Any], email: str, second: str = "") -> None:
    """A failure on an account that exists goes in its sign-in log (its owner sees it)."""
    try:
        user_id = await accounts.user_id_by_email(email)
    except NotFound:
        return
    await twofactor.record_sign_in(
        user_id, _client_address(request), _agent(request), False, second
    )


def _home_for(principal: accounts.Principal) -> str:
    return {
        "organiser": "/organiser",
        "superuser": "/organiser",
        "door": "/door",
        "exhibitor": "/exhibitor",
        "partner": "/partner",
        "council": f"/council/{principal.council_code}/leads" if principal.council_code else "/",
    }.get(principal.role, "/")


class PagesController(Controller):
    include_in_schema = False

    @get("/accessibility")
    async def accessibility(self, request: Request[Any, Any, Any]) -> Template:
        # Where to report a problem: the address every email of the service comes from.
        contact = parseaddr(get_settings().mail_from)[1]
        return page(request, "pages/accessibility.html", contact=contact)

    @get("/privacy")
    async def privacy(self, request: Request[Any, Any, Any]) -> Template:
        return page(request, "pages/privacy.html")


class OrganisationController(Controller):
    """The organiser's own organisation: its public contact address."""

    path = "/organiser/organisation"
    include_in_schema = False
    guards = [accounts.require_roles("organiser")]

    @get("/")
    async def settings_page(self, request: Request[Any, Any, Any]) -> Template:
        contact = await organisations.organisation_contact(_own_organisation(request))
        saved = request.query_params.get("saved") == "1"
        return page(request, "accounts/organisation.html", contact=contact, errors={}, saved=saved)

    @post("/")
    async def save(self, request: Request[Any, Any, Any]) -> Response[Any]:
        org = _own_organisation(request)
        raw = str((await request.form()).get("contact_email", ""))
        try:
            await organisations.set_contact_email(org, raw, accounts.current_principal(request).id)
        except Invalid as exc:
            contact = {**await organisations.organisation_contact(org), "contact_email": raw}
            return page(
                request, "accounts/organisation.html", 400, contact=contact, errors=exc.fields
            )
        return Redirect("/organiser/organisation?saved=1", status_code=303)


def _own_organisation(request: Request[Any, Any, Any]) -> int:
    organisation_id = accounts.current_principal(request).organisation_id
    if organisation_id is None:
        raise NotFound("Your account has no organisation", code="organisation_not_found")
    return organisation_id


ROUTES: list[Any] = [healthz, AccountController, PagesController, OrganisationController]
__all__ = ["ROUTES", "principal_of"]
