"""People: who has access to what, managed in the browser by the person responsible.

A manager is a superuser (everyone), or an organiser for the people of their own
organising body: its organisers and door staff (organisation = the body) and the
council recruiters it invited (managed_by = the body). Managers invite people by
email (a link to set a password, INVITE_LIFETIME, used once), resend or revoke an
invitation, change a role within their scope, deactivate and reactivate an
account (its sessions and API tokens end at once), and reset a lost two-factor
device. Every action is in the audit log, which /organiser/audit shows.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from fairground import accounts, twofactor
from fairground.audit import record_audit
from fairground.db import is_sqlite, write_transaction
from fairground.errors import Conflict, Invalid, NotFound
from fairground.mail import queue_email
from fairground.settings import get_settings
from fairground.tables import ApiToken, AuditLog, Organisation, PasswordReset, User
from fairground.text import check_line
from fairground.web import forget_principal, page

Row = dict[str, Any]
ROLE_NAMES = {
    "organiser": "an organiser",
    "door": "door staff",
    "exhibitor": "exhibitor staff",
    "council": "a council recruiter",
    "superuser": "an administrator",
}
ROLE_LABELS = {
    "organiser": "Organiser",
    "door": "Door staff",
    "exhibitor": "Exhibitor staff",
    "council": "Council recruiter",
    "superuser": "Administrator",
}
# What a manager may invite, and change a role to, within their scope.
INVITABLE = ("organiser", "council")
ROLE_CHANGES = ("organiser", "door")


# Scope -----------------------------------------------------------------------


def _scope(principal: accounts.Principal) -> Any:
    """The where-clause of the people this principal manages (None: everyone)."""
    if principal.is_superuser:
        return None
    org = principal.organisation_id
    if principal.role != "organiser" or org is None:
        raise PermissionDeniedException("Your account cannot manage people")
    return ((User.organisation == org) & User.role.is_in(["organiser", "door"])) | (
        User.managed_by == org
    )


async def people(principal: accounts.Principal) -> list[Row]:
    query = User.select(
        User.id,
        User.name,
        User.email,
        User.role,
        User.active,
        User.password_hash,
        User.totp_enabled_at,
        User.last_login_at,
        User.organisation.name.as_alias("org_name"),
        User.organisation.code.as_alias("council_code"),
    ).order_by(User.name)
    scope = _scope(principal)
    if scope is not None:
        query = query.where(scope)
    rows = await query
    return [
        {
            **{k: v for k, v in row.items() if k != "password_hash"},
            "invited": not row["password_hash"],
            "two_factor": row["totp_enabled_at"] is not None,
        }
        for row in rows
    ]


async def managed_person(principal: accounts.Principal, user_id: int) -> Row:
    """A person this principal manages (404 for anyone else: not "here")."""
    query = User.select(
        User.id, User.email, User.name, User.role, User.active, User.password_hash
    ).where(User.id == user_id)
    scope = _scope(principal)
    if scope is not None:
        query = query.where(scope)
    row = await query.first()
    if row is None:
        raise NotFound("You do not manage anyone with this id", code="person_not_found")
    if row["id"] == principal.id:
        raise Invalid("Use your account page to change your own account", code="own_account")
    return row


# Invitations -----------------------------------------------------------------


async def invite(
    principal: accounts.Principal | None,
    *,
    email: str,
    name: str,
    role: str,
    council_code: str = "",
    organisation_id: int | None = None,
) -> int:
    """Make an account with no password and email it a link to set one. Without a
    principal (the command line) anything may be invited into any organisation."""
    root = principal is None or principal.is_superuser
    errors: dict[str, str] = {}
    name = check_line(name, "name", "Their name", 200, errors)
    if not name and "name" not in errors:
        errors["name"] = "Enter their full name"
    try:
        email = accounts.normalise_email(email)
    except Invalid as exc:
        errors.update(exc.fields)
    allowed = accounts.ROLES if root else INVITABLE
    if role not in allowed:
        errors["role"] = "Choose the kind of account"
    org = organisation_id if root or principal is None else principal.organisation_id
    managed_by = None if root or principal is None else principal.organisation_id
    if role == "council":
        code = council_code.strip()[:20]
        row = await Organisation.select(Organisation.id).where(Organisation.code == code).first()
        if row is None:
            errors["council_code"] = "Enter the code of a council, like E08000025"
        else:
            org = int(row["id"])
    elif root and role in ("organiser", "door") and org is None:
        errors["organisation"] = "Choose their organisation"
    if errors:
        raise Invalid("Some answers need correcting", fields=errors)
    async with write_transaction():
        if await User.exists().where(User.email == email):
            message = "Someone already has an account with this email address"
            raise Conflict(message, code="user_exists", fields={"email": message})
        user_id = await accounts.create_user(email=email, name=name, role=role, organisation_id=org)
        if managed_by is not None and role == "council":
            await User.update({User.managed_by: managed_by}).where(User.id == user_id)
        await _send_invitation(principal.name if principal else "", user_id)
        actor = principal.id if principal else None
        await record_audit(actor, "person_invited", ("user", user_id), role=role)
    return user_id


async def _send_invitation(inviter: str, user_id: int) -> None:
    row = (
        await User.select(User.email, User.name, User.role, User.organisation.name.as_alias("org"))
        .where(User.id == user_id)
        .first()
    )
    assert row is not None
    started = await accounts.start_password_reset(row["email"], accounts.INVITE_LIFETIME)
    assert started is not None
    context = {
        "person_name": row["name"],
        "invited_by": inviter,
        "role_name": ROLE_NAMES.get(row["role"], row["role"]),
        "org_name": row["org"] or "Fairground",
        "link": f"{get_settings().base_url}/password-reset/{started[1]}",
        "days": accounts.INVITE_LIFETIME.days,
    }
    await queue_email("staff_invite", row["email"], context)


async def resend(principal: accounts.Principal, user_id: int) -> None:
    person = await managed_person(principal, user_id)
    if person["password_hash"]:
        raise Conflict("This person has already set a password", code="not_invited")
    async with write_transaction():
        await _void_links(user_id)
        await _send_invitation(principal.name, user_id)
        await record_audit(principal.id, "invitation_resent", ("user", user_id))


async def revoke_invitation(principal: accounts.Principal, user_id: int) -> None:
    person = await managed_person(principal, user_id)
    if person["password_hash"]:
        raise Conflict("This person has already set a password", code="not_invited")
    async with write_transaction():
        await _void_links(user_id)
        await User.update({User.active: False}).where(User.id == user_id)
        await record_audit(principal.id, "invitation_revoked", ("user", user_id))


async def _void_links(user_id: int) -> None:
    await PasswordReset.update({PasswordReset.used_at: datetime.now(UTC)}).where(
        (PasswordReset.user == user_id) & PasswordReset.used_at.is_null()
    )


# Changes ---------------------------------------------------------------------


async def end_access(user_id: int) -> None:
    """Sessions and API tokens end now: the next request is anonymous."""
    await twofactor.end_all_sessions(user_id)
    await ApiToken.delete().where(ApiToken.user == user_id)
    forget_principal(user_id)


async def deactivate(principal: accounts.Principal, user_id: int) -> None:
    await managed_person(principal, user_id)
    async with write_transaction():
        await User.update({User.active: False}).where(User.id == user_id)
        await _void_links(user_id)
        await record_audit(principal.id, "person_deactivated", ("user", user_id))
    await end_access(user_id)


async def reactivate(principal: accounts.Principal, user_id: int) -> None:
    await managed_person(principal, user_id)
    async with write_transaction():
        await User.update({User.active: True}).where(User.id == user_id)
        await record_audit(principal.id, "person_reactivated", ("user", user_id))


async def change_role(principal: accounts.Principal, user_id: int, role: str) -> None:
    person = await managed_person(principal, user_id)
    allowed = accounts.ROLES if principal.is_superuser else ROLE_CHANGES
    if role not in allowed or person["role"] not in allowed:
        message = "Choose organiser or door staff"
        raise Invalid(message, fields={"role": message})
    if role == person["role"]:
        return
    async with write_transaction():
        await User.update({User.role: role}).where(User.id == user_id)
        await record_audit(
            principal.id, "role_changed", ("user", user_id), before=person["role"], after=role
        )
    await end_access(user_id)  # signs in again, with the new role's rules (two-factor)


async def reset_two_factor(actor_id: int | None, user_id: int) -> None:
    """A lost device: two-factor sign-in is off until they set it up again (at their
    next sign-in, if their role requires it); their sessions end."""
    async with write_transaction():
        await twofactor.disable(user_id)
        await record_audit(actor_id, "two_factor_reset", ("user", user_id))
    await twofactor.end_all_sessions(user_id)
    forget_principal(user_id)


# The audit log -----------------------------------------------------------------

AUDIT_PAGE = 100
AUDIT_CSV_LIMIT = 50_000


async def _body_event_slugs(org: int) -> list[str]:
    from events.tables import Event

    rows = await Event.select(Event.slug).where(Event.organisation == org)
    return [row["slug"] for row in rows]


async def audit_rows(
    principal: accounts.Principal, filters: dict[str, str], limit: int
) -> list[Row]:
    """Newest first. An organiser sees what was done to their body's events and people,
    and what their body's people did; a superuser sees everything."""
    query = AuditLog.select(
        AuditLog.id,
        AuditLog.at,
        AuditLog.action,
        AuditLog.object_type,
        AuditLog.object_id,
        AuditLog.detail,
        AuditLog.actor.email.as_alias("actor_email"),
        AuditLog.actor.name.as_alias("actor_name"),
    )
    clauses: list[Any] = []
    if not principal.is_superuser:
        if principal.role != "organiser" or principal.organisation_id is None:
            raise PermissionDeniedException("Your account cannot see the audit log")
        org = principal.organisation_id
        scope = _scope(principal)
        staff = [row["id"] for row in await User.select(User.id).where(scope)]
        ids = [str(i) for i in staff]
        slugs = await _body_event_slugs(org)
        visible: Any = AuditLog.actor.is_in(staff or [0])
        visible |= (AuditLog.object_type == "user") & AuditLog.object_id.is_in(ids or ["-"])
        visible |= (AuditLog.object_type == "event") & AuditLog.object_id.is_in(slugs or ["-"])
        visible |= (AuditLog.object_type == "organisation") & (AuditLog.object_id == str(org))
        clauses.append(visible)
    if filters.get("person"):
        needle = f"%{filters['person'][:100]}%"
        like = "like" if is_sqlite() else "ilike"  # SQLite's LIKE ignores case already
        who = await User.select(User.id).where(
            getattr(User.email, like)(needle) | getattr(User.name, like)(needle)
        )
        clauses.append(AuditLog.actor.is_in([row["id"] for row in who] or [0]))
    if filters.get("event"):
        clauses.append(
            (AuditLog.object_type == "event") & (AuditLog.object_id == filters["event"][:60])
        )
    if filters.get("action"):
        clauses.append(AuditLog.action == filters["action"][:60])
    since, until = _day(filters.get("from")), _day(filters.get("to"))
    if since:
        clauses.append(AuditLog.at >= datetime.combine(since, time(), UTC))
    if until:
        clauses.append(AuditLog.at < datetime.combine(until + timedelta(days=1), time(), UTC))
    for clause in clauses:
        query = query.where(clause)
    return await query.order_by(AuditLog.id, ascending=False).limit(limit)


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        raise Invalid(
            "Enter a date like 2026-12-31", fields={"from": "Enter a real date"}
        ) from None


async def audit_actions() -> list[str]:
    rows = await AuditLog.select(AuditLog.action).distinct().order_by(AuditLog.action)
    return [row["action"] for row in rows]


def audit_csv(rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["time (UTC)", "person", "email", "action", "record", "record id", "detail"])
    for row in rows:
        raw = row["detail"] or {}
        data = json.loads(raw) if isinstance(raw, str) else raw
        detail = (
            " ".join(f"{k}={v}" for k, v in sorted(data.items())) if isinstance(data, dict) else ""
        )
        cells = [
            row["at"].astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            row["actor_name"] or "",
            row["actor_email"] or "",
            row["action"],
            row["object_type"],
            row["object_id"],
            detail,
        ]
        # A cell a spreadsheet would run as a formula is quoted as text.
        writer.writerow(["'" + c if c[:1] in ("=", "+", "-", "@") else c for c in map(str, cells)])
    return out.getvalue()


# Pages -----------------------------------------------------------------------

DONE = {
    "invited": "The invitation has been sent.",
    "resent": "A new invitation has been sent. The old link no longer works.",
    "revoked": "The invitation has been revoked.",
    "deactivated": "The account has been deactivated. Its sessions and API tokens have ended.",
    "reactivated": "The account has been reactivated.",
    "role": "The role has been changed. They will sign in again.",
    "two-factor": "Two-factor sign-in has been reset. They will set it up at their next sign-in.",
}


class PeopleController(Controller):
    path = "/organiser/people"
    include_in_schema = False
    guards = [accounts.require_roles("organiser")]

    @get("/")
    async def index(self, request: Request[Any, Any, Any]) -> Template:
        return await _people_page(request, {}, {})

    @post("/invite")
    async def invite_person(self, request: Request[Any, Any, Any]) -> Response[Any]:
        principal = accounts.current_principal(request)
        form = await request.form()
        values = {k: str(form.get(k, "")) for k in ("name", "email", "role", "council_code")}
        try:
            await invite(
                principal,
                email=values["email"],
                name=values["name"],
                role=values["role"],
                council_code=values["council_code"],
                organisation_id=principal.organisation_id,
            )
        except (Invalid, Conflict) as exc:
            return await _people_page(request, exc.fields or {"email": exc.detail}, values, 400)
        return Redirect("/organiser/people?done=invited", status_code=303)

    @post("/{user_id:int}/resend")
    async def resend(self, request: Request[Any, Any, Any], user_id: FromPath[int]) -> Redirect:
        await resend(accounts.current_principal(request), user_id)
        return Redirect("/organiser/people?done=resent", status_code=303)

    @post("/{user_id:int}/revoke")
    async def revoke(self, request: Request[Any, Any, Any], user_id: FromPath[int]) -> Redirect:
        await revoke_invitation(accounts.current_principal(request), user_id)
        return Redirect("/organiser/people?done=revoked", status_code=303)

    @post("/{user_id:int}/deactivate")
    async def deactivate(self, request: Request[Any, Any, Any], user_id: FromPath[int]) -> Redirect:
        await deactivate(accounts.current_principal(request), user_id)
        return Redirect("/organiser/people?done=deactivated", status_code=303)

    @post("/{user_id:int}/reactivate")
    async def reactivate(self, request: Request[Any, Any, Any], user_id: FromPath[int]) -> Redirect:
        await reactivate(accounts.current_principal(request), user_id)
        return Redirect("/organiser/people?done=reactivated", status_code=303)

    @post("/{user_id:int}/role")
    async def role(self, request: Request[Any, Any, Any], user_id: FromPath[int]) -> Redirect:
        role = str((await request.form()).get("role", ""))
        await change_role(accounts.current_principal(request), user_id, role)
        return Redirect("/organiser/people?done=role", status_code=303)

    @post("/{user_id:int}/reset-two-factor")
    async def reset_two_factor(
        self, request: Request[Any, Any, Any], user_id: FromPath[int]
    ) -> Redirect:
        principal = accounts.current_principal(request)
        await managed_person(principal, user_id)
        await reset_two_factor(principal.id, user_id)
        return Redirect("/organiser/people?done=two-factor", status_code=303)


async def _people_page(
    request: Request[Any, Any, Any],
    errors: dict[str, str],
    values: dict[str, str],
    status: int = 200,
) -> Template:
    principal = accounts.current_principal(request)
    return page(
        request,
        "accounts/people.html",
        status_code=status,
        people=await people(principal),
        errors=errors,
        values=values,
        role_names=ROLE_LABELS,
        role_changes=ROLE_CHANGES,
        invite_days=accounts.INVITE_LIFETIME.days,
        done=DONE.get(request.query_params.get("done", "")),
    )


class AuditController(Controller):
    path = "/organiser/audit"
    include_in_schema = False
    guards = [accounts.require_roles("organiser")]

    @get("/")
    async def index(self, request: Request[Any, Any, Any]) -> Response[Any]:
        principal = accounts.current_principal(request)
        filters = {
            k: str(request.query_params.get(k, "")).strip()[:100]
            for k in ("person", "event", "action", "from", "to")
        }
        errors: dict[str, str] = {}
        try:
            csv_wanted = request.query_params.get("format") == "csv"
            rows = await audit_rows(
                principal, filters, AUDIT_CSV_LIMIT if csv_wanted else AUDIT_PAGE
            )
        except Invalid as exc:
            errors, rows, csv_wanted = exc.fields, [], False
        if csv_wanted:
            return Response(
                audit_csv(rows),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": 'attachment; filename="fairground-audit.csv"'},
            )
        return page(
            request,
            "accounts/audit.html",
            status_code=400 if errors else 200,
            rows=rows,
            filters=filters,
            errors=errors,
            actions=await audit_actions(),
            limit=AUDIT_PAGE,
        )


ROUTES: list[Any] = [PeopleController, AuditController]
