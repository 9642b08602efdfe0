"""The door team of an event: organisers invite door staff by email, see the team,
and remove people. Removing someone ends their access to that event at once: every
door page and the scan API check the assignment on each request (events.guards,
registrations.checkin_api), whatever session or token they come with.

An invitation is what exhibitor staff get (exhibitors.services): the account is made
without a password and the email carries a link to set one (a password reset).
"""

from __future__ import annotations

from typing import Any

from events.tables import DoorAssignment
from fairground.accounts import create_user, normalise_email, start_password_reset
from fairground.audit import record_audit
from fairground.db import write_transaction
from fairground.errors import Conflict, Invalid, NotFound
from fairground.mail import queue_email
from fairground.settings import get_settings
from fairground.tables import User
from fairground.text import check_line

Row = dict[str, Any]
MAX_NAME = 200


async def door_team(event_id: int) -> list[Row]:
    """The event's door staff, by name; `invited` until they have set a password."""
    rows = (
        await DoorAssignment.select(
            DoorAssignment.user.id.as_alias("id"),
            DoorAssignment.user.name.as_alias("name"),
            DoorAssignment.user.email.as_alias("email"),
            DoorAssignment.user.password_hash.as_alias("password_hash"),
        )
        .where(DoorAssignment.event == event_id)
        .order_by(DoorAssignment.user.name)
    )
    return [
        {"id": r["id"], "name": r["name"], "email": r["email"], "invited": not r["password_hash"]}
        for r in rows
    ]


def _check_person(name: str, email: str) -> tuple[str, str]:
    errors: dict[str, str] = {}
    name = check_line(name, "name", "Their name", MAX_NAME, errors)
    try:
        email = normalise_email(email)
    except Invalid as exc:
        errors.update(exc.fields)
    if errors:
        raise Invalid("Some answers need correcting", fields=errors)
    return name, email


async def _door_account(name: str, email: str, organisation_id: int) -> tuple[int, bool]:
    """The door account with this email, made if there is none; and whether it still
    needs a password. Another kind of account is refused (it would gain door access)."""
    user = await User.select(User.id, User.role, User.password_hash).where(User.email == email)
    if user and user[0]["role"] != "door":
        message = "This email address belongs to a different kind of account: use another"
        raise Conflict(message, code="account_exists", fields={"email": message})
    if user:
        return int(user[0]["id"]), not user[0]["password_hash"]
    if not name:
        message = f"Enter their full name, {MAX_NAME} characters or fewer"
        raise Invalid(message, fields={"name": message})
    user_id = await create_user(
        email=email, name=name, role="door", organisation_id=organisation_id
    )
    return user_id, True


async def invite_door_staff(event: Row, name: str, email: str, actor: int) -> None:
    """Add someone to the door team and email them: a link to set a password for a
    new account (or one that never set it), else a link to sign in."""
    name, email = _check_person(name, email)
    async with write_transaction():
        user_id, needs_password = await _door_account(name, email, event["organisation"])
        if await DoorAssignment.exists().where(
            (DoorAssignment.event == event["id"]) & (DoorAssignment.user == user_id)
        ):
            message = "This person is already on the door team"
            raise Conflict(message, code="already_door_staff", fields={"email": message})
        await DoorAssignment.insert(DoorAssignment(event=event["id"], user=user_id))
        link = None
        if needs_password:
            started = await start_password_reset(email)
            link = f"{get_settings().base_url}/password-reset/{started[1]}" if started else None
        await record_audit(actor, "door_staff_invited", ("event", event["slug"]), user_id=user_id)
        await _send_invite(event, email, link, actor)


async def _send_invite(event: Row, email: str, link: str | None, actor: int) -> None:
    base = get_settings().base_url
    person = await User.select(User.name).where(User.email == email).first()
    inviter = await User.select(User.name).where(User.id == actor).first()
    context = {
        "event": event,
        "person": person or {"name": ""},
        "invited_by": inviter["name"] if inviter else "",
        "invite_link": link,
        "door_url": f"{base}/door/events/{event['slug']}",
        "login_url": f"{base}/login",
        "reset_url": f"{base}/password-reset",
    }
    await queue_email("door_staff_invite", email, context)


async def remove_door_staff(event: Row, user_id: int, actor: int) -> None:
    """Take someone off the door team; NotFound if they are not on it."""
    async with write_transaction():
        removed = (
            await DoorAssignment.delete()
            .where((DoorAssignment.event == event["id"]) & (DoorAssignment.user == user_id))
            .returning(DoorAssignment.id)
        )
        if not removed:
            raise NotFound("This person is not on the door team", code="not_door_staff")
        await record_audit(actor, "door_staff_removed", ("event", event["slug"]), user_id=user_id)
