"""Small factories: make_event(**overrides) and friends."""

from __future__ import annotations

import itertools
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp

from events.services import assign_door_staff, create_event, get_event
from exhibitors.tables import Exhibitor, ExhibitorStaff, Stand, StandAllocation, Vacancy
from fairground.accounts import TWO_FACTOR_ROLES, create_token, create_user
from fairground.tables import Organisation, User

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


async def make_org(name: str | None = None, **overrides: Any) -> int:
    rows = await Organisation.insert(
        Organisation(name=name or f"Organisation {next(_counter)}", kind="other", **overrides)
    ).returning(Organisation.id)
    return int(rows[0]["id"])


async def make_partner(
    name: str | None = None, kind: str = "charity", invite_to: int | None = None
) -> dict[str, Any]:
    """A partner organisation ({"id", "name", "short_code"}), invited to an event."""
    from fairground.organisations import create_partner
    from registrations.partners import invite_partner

    org = await create_partner(name or f"Partner {next(_counter)}", kind)
    if invite_to is not None:
        await invite_partner(invite_to, org["short_code"], actor_id=None)
    return org


async def council_id(code: str) -> int:
    row = await Organisation.select(Organisation.id).where(Organisation.code == code).first()
    assert row is not None
    return int(row["id"])


async def make_user(
    role: str = "organiser", org: int | None = None, **overrides: Any
) -> dict[str, Any]:
    n = next(_counter)
    email = overrides.pop("email", f"{role}{n}@example.org")
    user_id = await create_user(
        email=email,
        name=overrides.pop("name", f"{role.title()} {n}"),
        role=role,
        password=overrides.pop("password", PASSWORD),
        organisation_id=org,
    )
    user = {"id": user_id, "email": email, "password": PASSWORD, "role": role, "org": org}
    # Roles that must sign in with a security code are enrolled, as if they had
    # scanned the QR code; login() computes the code (two_factor=False: not enrolled).
    if overrides.pop("two_factor", role in TWO_FACTOR_ROLES):
        user["totp_secret"] = await enrol(user_id)
    return user


async def enrol(user_id: int) -> str:
    """Two-factor sign-in on for this user, with a fresh secret (returned)."""
    secret = pyotp.random_base32()
    await User.update({User.totp_secret: secret, User.totp_enabled_at: datetime.now(UTC)}).where(
        User.id == user_id
    )
    return secret


async def security_code(user_id: int) -> str:
    """A code the app would show that the server has not accepted yet: the current
    step's, or the next one's if this user already used it (within the window).
    Logging the same person in thrice in 30 seconds moves their last step back."""
    row = await User.select(User.totp_secret, User.totp_last_step).where(User.id == user_id).first()
    assert row and row["totp_secret"], "this user has no two-factor sign-in"
    now = int(time.time()) // 30
    last = row["totp_last_step"]
    step = now if last is None or last < now else now + 1
    if last is not None and last >= now + 1:
        await User.update({User.totp_last_step: now - 2}).where(User.id == user_id)
        step = now
    return pyotp.TOTP(row["totp_secret"]).at(step * 30)


def future(days: int = 30, hour: int = 10) -> datetime:
    base = datetime.now(UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return base + timedelta(days=days)


def happening_now() -> datetime:
    """A start time for an event that is on now: it began an hour or two ago (so its
    door, open from 2 hours before the start to the end, admits people) and, with
    make_event's 5 hours, ends 3 to 4 hours from now. Tests that check people in use
    it: a check-in happens at the door of an event that is on."""
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)


async def make_open_event(org: int | None = None, **overrides: Any) -> dict[str, Any]:
    """An event that is on now (happening_now), its door open."""
    return await make_event(org, **{"starts_at": happening_now(), **overrides})


async def make_event(org: int | None = None, **overrides: Any) -> dict[str, Any]:
    org = org or await make_org()
    starts = overrides.pop("starts_at", future())
    fields = {
        "title": f"Careers fair {next(_counter)}",
        "venue_name": "Library of Birmingham",
        "venue_address": "Centenary Square, Broad Street, Birmingham",
        "venue_postcode": "B1 2ND",
        "access_notes": "Step-free entrance",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=5),
        "timezone": "Europe/London",
        "capacity": 100,
        "status": "published",
        "slots": [],
    }
    fields.update(overrides)
    slug = await create_event(org, fields)
    return await get_event(slug)


async def make_exhibitor(event_id: int, org: int | None = None) -> int:
    rows = await Exhibitor.insert(
        Exhibitor(event=event_id, organisation=org or await make_org(), status="approved")
    ).returning(Exhibitor.id)
    return int(rows[0]["id"])


async def add_door(event_id: int, user_id: int) -> None:
    await assign_door_staff(event_id, user_id)


async def add_staff(exhibitor_id: int, user_id: int) -> None:
    await ExhibitorStaff.insert(ExhibitorStaff(exhibitor=exhibitor_id, user=user_id))


async def token_for(user: dict[str, Any]) -> str:
    return await create_token(user["id"])


def csrf_from(html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


async def login(client: Any, user: dict[str, Any]) -> None:
    """Sign in through the real form (CSRF token and all), with the security code
    computed as the authenticator app would when the account has two-factor on."""
    page = await client.get("/login")
    response = await client.post(
        "/login",
        data={
            "email": user["email"],
            "password": user["password"],
            "_csrf_token": csrf_from(page.text),
        },
    )
    assert response.status_code in (302, 303), response.text
    if response.headers.get("location") == "/login/code":
        page = await client.get("/login/code")
        response = await client.post(
            "/login/code",
            data={"code": await security_code(user["id"]), "_csrf_token": csrf_from(page.text)},
        )
        assert response.status_code in (302, 303), response.text


async def post_form(
    client: Any, url: str, data: dict[str, Any], page_url: str | None = None
) -> Any:
    """POST a form the way a browser does: fetch the page for its CSRF token first."""
    page = await client.get(page_url or url)
    return await client.post(url, data={**data, "_csrf_token": csrf_from(page.text)})


__all__ = ["get_event", "make_event"]


async def add_vacancy(
    exhibitor_id: int, title: str, job_family: str = "digital", url: str = "", stand: str = ""
) -> None:
    """A vacancy for an exhibitor; with `stand`, a stand of that code for it too."""
    await Vacancy.insert(
        Vacancy(exhibitor=exhibitor_id, title=title, job_family=job_family, url=url)
    )
    if stand:
        row = await Exhibitor.select(Exhibitor.event).where(Exhibitor.id == exhibitor_id).first()
        assert row is not None
        stands = await Stand.insert(Stand(event=row["event"], code=stand)).returning(Stand.id)
        await StandAllocation.insert(StandAllocation(stand=stands[0]["id"], exhibitor=exhibitor_id))


async def security_code_for(email: str) -> str:
    row = await User.select(User.id).where(User.email == email.strip().lower()).first()
    assert row is not None, email
    return await security_code(int(row["id"]))


async def pass_second_step(page: Any, email: str, secret: str | None = None) -> None:
    """In a browser test, after the password: type the code the app would show, when
    the account has two-factor sign-in on (the page asks for it). `secret`: for an
    app on a database of its own (tests/hardening/fault_seed.py), its first code."""
    await page.wait_for_load_state()
    if "/login/code" not in page.url:
        return
    code = pyotp.TOTP(secret).now() if secret else await security_code_for(email)
    await page.get_by_label("Security code").fill(code)
    async with page.expect_navigation():
        await page.get_by_role("button", name="Continue").click()
