"""The second step of signing in (the security code), setting up two-factor sign-in,
and one's own account: password, sessions, remembered devices, API tokens, sign-ins."""

from __future__ import annotations

import time
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from fairground import accounts, twofactor
from fairground.audit import record_audit
from fairground.controllers import _client_address, _failed_sign_in, _home_for, _sign_in
from fairground.db import write_transaction
from fairground.errors import Invalid, NotFound
from fairground.settings import get_settings
from fairground.tables import ApiToken, User
from fairground.web import forget_principal, page

PENDING_FOR = 10 * 60  # seconds between the password and the security code
CODE_HINT = "Enter the 6-digit code shown in your authenticator app"
WRONG_CODE = "The security code is not correct. Check your authenticator app and try again"
REPLAYED_CODE = "This security code has already been used. Wait for your app to show a new one"
WRONG_RECOVERY = "The recovery code is not correct or was already used"


def _pending(request: Request[Any, Any, Any]) -> tuple[int, str] | None:
    session = request.session if isinstance(request.scope.get("session"), dict) else {}
    uid, started = session.get("pending"), session.get("pending_at", 0)
    if not isinstance(uid, int):
        return None
    if isinstance(started, int) and started and time.time() - started > PENDING_FOR:
        return None
    return uid, str(session.get("next") or "/")


class SecurityCodeController(Controller):
    """/login/code: the second step, after a correct password."""

    include_in_schema = False

    @get("/login/code")
    async def code_form(self, request: Request[Any, Any, Any]) -> Response[Any]:
        if _pending(request) is None:
            return Redirect("/login")
        recovery = request.query_params.get("recovery") == "1"
        return page(request, "accounts/code.html", errors={}, recovery=recovery)

    @post("/login/code")
    async def code(self, request: Request[Any, Any, Any]) -> Response[Any]:
        pending = _pending(request)
        if pending is None:
            return Redirect("/login")
        user_id, next_path = pending
        form = await request.form()
        recovery = form.get("recovery") == "1"
        raw = str(form.get("recovery_code" if recovery else "code", ""))
        user = (
            await User.select(User.email, User.totp_secret)
            .where((User.id == user_id) & User.active.eq(True))
            .first()
        )
        if user is None or not user["totp_secret"]:
            request.clear_session()
            return Redirect("/login")
        throttle = accounts.LoginThrottle(request.app.stores.get("throttle"))
        await throttle.check(user["email"], _client_address(request))
        field = "recovery_code" if recovery else "code"
        error = None if recovery else twofactor.code_error(raw)
        if error is None:
            if recovery:
                ok = await twofactor.use_recovery_code(user_id, raw)
                error = None if ok else WRONG_RECOVERY
            else:
                verdict = await twofactor.check_code(user["totp_secret"], user_id, raw)
                error = {"ok": None, "replayed": REPLAYED_CODE}.get(verdict, WRONG_CODE)
        if error is not None:
            if recovery or twofactor.code_error(raw) is None:  # a guess that could have been right
                await throttle.failed(user["email"], _client_address(request))
                await _failed_sign_in(request, user["email"], "recovery" if recovery else "app")
            return page(
                request,
                "accounts/code.html",
                status_code=400,
                errors={field: error},
                recovery=recovery,
            )
        await throttle.succeeded(user["email"])
        principal = await accounts.get_principal(user_id)
        if principal is None:
            return Redirect("/login")
        await _sign_in(request, principal, second_factor="recovery" if recovery else "app")
        if recovery:
            await record_audit(user_id, "recovery_code_used", ("user", user_id))
        response: Response[Any] = Redirect(
            next_path if next_path != "/" else _home_for(principal), status_code=303
        )
        if form.get("remember") == "yes":
            raw_device = await twofactor.remember_device(user_id, _agent_of(request))
            response.set_cookie(
                twofactor.DEVICE_COOKIE,
                raw_device,
                max_age=int(twofactor.DEVICE_LIFETIME.total_seconds()),
                path="/login",
                secure=get_settings().secure_cookies,
                httponly=True,
                samesite="lax",
            )
        return response


def _agent_of(request: Request[Any, Any, Any]) -> str:
    return twofactor.agent_family(request.headers.get("user-agent", ""))


class TwoFactorController(Controller):
    """/account/two-factor: set up (or, where optional, turn off) two-factor sign-in."""

    path = "/account/two-factor"
    include_in_schema = False

    @get("/")
    async def setup_page(self, request: Request[Any, Any, Any]) -> Template:
        principal = accounts.current_principal(request)
        return await _setup_page(request, principal, {})

    @post("/")
    async def confirm(self, request: Request[Any, Any, Any]) -> Template:
        principal = accounts.current_principal(request)
        if principal.two_factor:
            return await _setup_page(request, principal, {})
        secret = request.session.get("totp_setup")
        form = await request.form()
        raw = str(form.get("code", ""))
        if not isinstance(secret, str) or not secret:
            return await _setup_page(
                request, principal, {"code": "Start again: scan the new QR code"}
            )
        throttle = accounts.LoginThrottle(request.app.stores.get("throttle"))
        await throttle.check(principal.email, _client_address(request))
        error = twofactor.code_error(raw)
        step = None
        if error is None:
            step = twofactor.matching_step(secret, raw)
            error = None if step is not None else WRONG_CODE
        if error is not None or step is None:
            await throttle.failed(principal.email, _client_address(request))
            return await _setup_page(request, principal, {"code": error or WRONG_CODE}, 400)
        async with write_transaction():
            codes = await twofactor.enable(principal.id, secret, step)
            await record_audit(principal.id, "two_factor_enabled", ("user", principal.id))
        # Sessions opened with the password alone end; this one has given a code.
        await twofactor.end_all_sessions(principal.id, keep=request.cookies.get("fg_session"))
        session = {k: v for k, v in request.session.items() if k != "totp_setup"}
        request.set_session(session)
        forget_principal(principal.id)
        return page(request, "accounts/recovery_codes.html", codes=codes, first=True)

    @post("/recovery-codes")
    async def new_codes(self, request: Request[Any, Any, Any]) -> Response[Any]:
        principal = accounts.current_principal(request)
        if not principal.two_factor:  # nothing to renew: set it up first
            return Redirect("/account/two-factor", status_code=303)
        async with write_transaction():
            codes = await twofactor.new_recovery_codes(principal.id)
            await record_audit(principal.id, "recovery_codes_renewed", ("user", principal.id))
        return page(request, "accounts/recovery_codes.html", codes=codes, first=False)

    @post("/off")
    async def turn_off(self, request: Request[Any, Any, Any]) -> Response[Any]:
        principal = accounts.current_principal(request)
        if twofactor.required_for(principal.role):
            raise PermissionDeniedException("Your role must sign in with a security code")
        form = await request.form()
        if not await _password_ok(principal.id, str(form.get("password", ""))):
            errors = {"password": "Enter your current password"}
            return await _setup_page(request, principal, errors, 400)
        async with write_transaction():
            await twofactor.disable(principal.id)
            await record_audit(principal.id, "two_factor_disabled", ("user", principal.id))
        forget_principal(principal.id)
        return Redirect("/account?done=two-factor-off", status_code=303)


async def _setup_page(
    request: Request[Any, Any, Any],
    principal: accounts.Principal,
    errors: dict[str, str],
    status: int = 200,
) -> Template:
    context: dict[str, Any] = {"errors": errors, "required": twofactor.required_for(principal.role)}
    if principal.two_factor:
        context["codes_left"] = await twofactor.recovery_codes_left(principal.id)
        return page(request, "accounts/two_factor.html", status_code=status, **context)
    secret = request.session.get("totp_setup")
    if not isinstance(secret, str) or not secret:
        secret = twofactor.new_secret()
        request.set_session({**request.session, "totp_setup": secret})
    uri = twofactor.provisioning_uri(secret, principal.email)
    context |= {"qr": twofactor.qr_svg(uri), "key": twofactor.grouped(secret)}
    return page(request, "accounts/two_factor.html", status_code=status, **context)


async def _password_ok(user_id: int, password: str) -> bool:
    row = await User.select(User.password_hash).where(User.id == user_id).first()
    return row is not None and accounts.password_matches(row["password_hash"], password[:1000])


class OwnAccountController(Controller):
    """/account: one's own password, sessions, devices, API tokens and sign-ins."""

    path = "/account"
    include_in_schema = False

    @get("/")
    async def account(self, request: Request[Any, Any, Any]) -> Template:
        principal = accounts.current_principal(request)
        return await _account_page(request, principal)

    @post("/tokens")
    async def new_token(self, request: Request[Any, Any, Any]) -> Template:
        principal = accounts.current_principal(request)
        form = await request.form()
        label = str(form.get("label", ""))
        try:
            async with write_transaction():
                token = await accounts.create_token(principal.id, label)
                await record_audit(principal.id, "token_created", ("user", principal.id))
        except Invalid as exc:
            return await _account_page(
                request, principal, errors=exc.fields, label=label, status=400
            )
        return await _account_page(request, principal, new_token=token)

    @post("/tokens/{token_id:int}/revoke")
    async def revoke_token(
        self, request: Request[Any, Any, Any], token_id: FromPath[int]
    ) -> Redirect:
        principal = accounts.current_principal(request)
        async with write_transaction():
            gone = (
                await ApiToken.delete()
                .where((ApiToken.id == token_id) & (ApiToken.user == principal.id))
                .returning(ApiToken.token_hash)
            )
            if not gone:
                raise NotFound("You have no such token", code="token_not_found")
            await record_audit(
                principal.id, "token_revoked", ("user", principal.id), token=token_id
            )
        forget_principal(principal.id)
        return Redirect("/account?done=token-revoked#tokens", status_code=303)

    @post("/sessions/{session_id:int}/end")
    async def end_session(
        self, request: Request[Any, Any, Any], session_id: FromPath[int]
    ) -> Redirect:
        principal = accounts.current_principal(request)
        if not await twofactor.end_session(principal.id, session_id):
            raise NotFound("You have no such session", code="session_not_found")
        await record_audit(principal.id, "session_ended", ("user", principal.id))
        return Redirect("/account?done=session-ended#sessions", status_code=303)

    @post("/devices/{device_id:int}/forget")
    async def forget_device(
        self, request: Request[Any, Any, Any], device_id: FromPath[int]
    ) -> Redirect:
        principal = accounts.current_principal(request)
        if not await twofactor.forget_device(principal.id, device_id):
            raise NotFound("You have no such device", code="device_not_found")
        await record_audit(principal.id, "device_forgotten", ("user", principal.id))
        return Redirect("/account?done=device-forgotten#devices", status_code=303)

    @post("/password")
    async def change_password(self, request: Request[Any, Any, Any]) -> Response[Any]:
        principal = accounts.current_principal(request)
        form = await request.form()
        current, new = str(form.get("current_password", "")), str(form.get("new_password", ""))
        errors: dict[str, str] = {}
        throttle = accounts.LoginThrottle(request.app.stores.get("throttle"))
        await throttle.check(principal.email, _client_address(request))
        if not await _password_ok(principal.id, current):
            await throttle.failed(principal.email, _client_address(request))
            errors["current_password"] = "Your current password is not correct"  # noqa: S105
        else:
            try:
                password_hash = accounts.hash_password(new)
            except Invalid as exc:
                errors["new_password"] = exc.fields.get("password", exc.detail)
        if errors:
            return await _account_page(request, principal, errors=errors, status=400)
        async with write_transaction():
            await User.update({User.password_hash: password_hash}).where(User.id == principal.id)
            await record_audit(principal.id, "password_changed", ("user", principal.id))
        # Every other session ends: whoever knew the old password is signed out.
        await twofactor.end_all_sessions(principal.id, keep=request.cookies.get("fg_session"))
        return Redirect("/account?done=password-changed", status_code=303)


DONE = {
    "password-changed": "Your password has been changed. Your other sessions have been ended.",
    "token-revoked": "The token has been revoked.",
    "session-ended": "The session has been ended.",
    "device-forgotten": "The device will be asked for a security code next time.",
    "two-factor-off": "Two-factor sign-in is off.",
}


async def _account_page(
    request: Request[Any, Any, Any],
    principal: accounts.Principal,
    *,
    errors: dict[str, str] | None = None,
    new_token: str | None = None,
    label: str = "",
    status: int = 200,
) -> Template:
    tokens = await (
        ApiToken.select(ApiToken.id, ApiToken.label, ApiToken.created_at, ApiToken.last_used_at)
        .where(ApiToken.user == principal.id)
        .order_by(ApiToken.created_at, ascending=False)
    )
    current = request.cookies.get("fg_session", "")
    return page(
        request,
        "accounts/account.html",
        status_code=status,
        errors=errors or {},
        new_token=new_token,
        label=label,
        tokens=tokens,
        sessions=await twofactor.sessions_of(principal.id),
        current_session=current,
        devices=await twofactor.devices(principal.id),
        sign_ins=await twofactor.recent_sign_ins(principal.id),
        two_factor_required=twofactor.required_for(principal.role),
        done=DONE.get(request.query_params.get("done", "")),
    )


ROUTES: list[Any] = [SecurityCodeController, TwoFactorController, OwnAccountController]
