"""The permission matrix: every staff endpoint × every role, as a table.

Each staff route the app declares is one row: who may call it (they get a 2xx or a
3xx that is not the sign-in page) and who may not. Everyone else gets:

- anonymous: 401 in the API error shape (API), a redirect to /login (pages);
- signed in, outside the scope: 403 (the API's error shape, `forbidden` from a
  guard or a service's own code such as `not_exhibitor_staff`; the error page);
- 404 instead of 403 only where the design hides that the object exists: a draft
  event is "not found" to anyone but its organisers (public pages and API), and an
  outbox message is "not found" outside the organiser's scope (the list is scoped
  the same way). Ids that name an object of another event, exhibitor or council
  under one's own path are 404 as well (the object is not "here"): see CROSS and
  test_objects_of_another_scope_are_not_found.

Pages are called as a browser does (session cookie, CSRF cookie and form token),
the API with bearer tokens. The CSRF token is the same for every role, and allowed
roles pass with it, so a 403 is the guard's; denied POSTs are also asked for JSON,
so the test reads the reason and checks that it is not the CSRF check.

`test_every_route_has_a_decision` fails for a route that is neither here nor in
routes.PUBLIC_ROUTES: a new staff route cannot ship without its row.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from events.forms import form_values
from events.services import get_event, get_slots
from fairground.accounts import create_user
from fairground.store import DatabaseStore
from fairground.tables import ApiToken, StaffSession, TrustedDevice
from registrations.services import RegistrationInput, register_attendee
from tests.exhibitors.helpers import image_bytes
from tests.factories import PASSWORD, add_door, make_event, make_exhibitor, make_user
from tests.hardening.routes import PUBLIC_ROUTES, app_routes, concrete
from tests.hardening.world import (
    HOOK_URL,
    ROLES,
    RUGBY,
    World,
    build_world,
    new_stand,
    new_subscription,
)
from tests.servers import app_in_loop

ALL_ROLES = ("anonymous", *ROLES)
SIGNED_IN = frozenset(ROLES)
ORGANISERS = frozenset({"organiser", "superuser"})
ANY_ORGANISER = ORGANISERS | {"organiser_other"}
DOOR = ORGANISERS | {"door"}
ANY_DOOR = ANY_ORGANISER | {"door", "door_other"}
STAND = ORGANISERS | {"exhibitor"}
ANY_STAND = ANY_ORGANISER | {"exhibitor", "exhibitor_other"}
COUNCIL = frozenset({"council", "superuser"})
PARTNER = frozenset({"partner", "superuser"})
ALLOWED_STATUS = {200, 201, 204, 302, 303}
SUBSCRIBERS_CSV = (
    "organisation,subscriber reference,email domains,active until\r\n"
    "Solihull MBC,WMJ-9,solihull.gov.uk,31/12/2099\r\n"
)
EVENT_FORM = {
    "title": "Fair by {role}",
    "venue_name": "Coventry Central Library",
    "venue_address": "Smithford Way, Coventry",
    "venue_postcode": "CV1 1FY",
    "starts_at": "2031-03-13T10:00",
    "ends_at": "2031-03-13T15:00",
    "capacity": "300",
    "status": "draft",
}
EVENT_JSON = {
    "title": "API fair by {role}",
    "slug": "api-fair-{n}",
    "starts_at": "2031-01-22T10:00:00+00:00",
    "ends_at": "2031-01-22T15:00:00+00:00",
    "venue": {"name": "Library of Birmingham", "address": "Broad Street", "postcode": "B1 2ND"},
    "capacity": 200,
}
STAND_FORM = {"code": "Z{n}", "size": "3x2", "x": "0", "y": "0"}
STAND_JSON = {"code": "Y{n}", "x": 0, "y": 0, "width": 3, "depth": 2, "needs": {"power": False}}


@dataclass(frozen=True)
class Endpoint:
    """One row: `body` strings are filled from the request's context ("{role}", a param);
    a string that is exactly "{name}" takes the value itself (an int stays an int)."""

    method: str
    path: str
    allowed: frozenset[str]
    body: Any = None
    hidden: frozenset[str] = frozenset()  # roles answered 404: existence is hidden
    fresh: tuple[str, ...] = ()  # objects made anew for each allowed role (see FRESH)
    query: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)  # path parameter → context key

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def E(method: str, path: str, allowed: frozenset[str], body: Any = None, **kw: Any) -> Endpoint:
    return Endpoint(method, path, frozenset(allowed), body, **kw)


PARTNER_HIDDEN = frozenset({"partner_other", "superuser"})
EV = "/organiser/events/{slug:str}"
DOOR_EV = "/door/events/{slug:str}"
API_EV = "/api/v1/events/{slug:str}"
STANDS = f"{EV}/stands"
EXH = "/exhibitor/{exhibitor_id:int}"
CNL = "/council/{code:str}"
API_CNL = "/api/v1/councils/{code:str}"
ATTENDEE = "attendees/{registration_id:int}"

MATRIX: list[Endpoint] = [
    # Account pages: anyone signed in.
    E("GET", "/account", SIGNED_IN),
    E("POST", "/account/tokens", SIGNED_IN, {"label": "matrix"}),
    E("POST", "/account/tokens/{token_id:int}/revoke", SIGNED_IN, {}, fresh=("own",)),
    E("POST", "/account/sessions/{session_id:int}/end", SIGNED_IN, {}, fresh=("own",)),
    E("POST", "/account/devices/{device_id:int}/forget", SIGNED_IN, {}, fresh=("own",)),
    E(
        "POST",
        "/account/password",
        SIGNED_IN,
        {"current_password": PASSWORD, "new_password": PASSWORD},
    ),
    E("GET", "/account/two-factor", SIGNED_IN),
    E("POST", "/account/two-factor", SIGNED_IN, {"code": "123456"}),
    E("POST", "/account/two-factor/recovery-codes", SIGNED_IN, {}),
    # Two-factor sign-in is required for organisers, council recruiters and superusers;
    # door, exhibitor and partner staff may turn it off.
    E(
        "POST",
        "/account/two-factor/off",
        frozenset(
            {"door", "door_other", "exhibitor", "exhibitor_other", "partner", "partner_other"}
        ),
        {"password": PASSWORD},
    ),
    # People and the audit log: organisers for their own body's people (another
    # body's person is not found), superusers for everyone.
    E("GET", "/organiser/people", ANY_ORGANISER),
    E(
        "POST",
        "/organiser/people/invite",
        ANY_ORGANISER,
        {"name": "Invited by {role}", "email": "invited-{role}@example.org", "role": "organiser"},
    ),
    *[
        E(
            "POST",
            f"/organiser/people/{{user_id:int}}/{action}",
            ORGANISERS,
            body,
            hidden=frozenset({"organiser_other"}),
            fresh=(fresh,),
        )
        for action, body, fresh in (
            ("resend", {}, "invitee"),
            ("revoke", {}, "invitee"),
            ("deactivate", {}, "person"),
            ("reactivate", {}, "person"),
            ("role", {"role": "organiser"}, "person"),
            ("reset-two-factor", {}, "person"),
        )
    ],
    E("GET", "/organiser/audit", ANY_ORGANISER),
    E("GET", "/organiser/audit", ANY_ORGANISER, query={"format": "csv", "action": "login"}),
    # Organiser: events.
    E("GET", "/organiser", ANY_ORGANISER),
    E("GET", "/organiser/events/new", ANY_ORGANISER),
    E("POST", "/organiser/events/new", ANY_ORGANISER, EVENT_FORM),
    E("GET", EV, ORGANISERS),
    E("GET", f"{EV}/edit", ORGANISERS),
    E("POST", f"{EV}/edit", ORGANISERS, "{edit_form}"),
    E("POST", f"{EV}/status", ORGANISERS, {"status": "published"}, fresh=("draft",)),
    E("POST", f"{EV}/door-staff", ORGANISERS, {"email": "{door_email}"}, fresh=("door_user",)),
    E(
        "POST",
        f"{EV}/door-staff/{{user_id:int}}/remove",
        ORGANISERS,
        {},
        fresh=("door_member",),
    ),
    E("GET", f"{EV}/access-requests", ORGANISERS),
    E(
        "POST",
        f"{EV}/access-requests/{{request_id:int}}",
        ORGANISERS,
        {"status-{request_id}": "arranged", "note-{request_id}": "Booked"},
    ),
    E("GET", f"{EV}/door", ORGANISERS),
    E("GET", f"{EV}/door/panel", ORGANISERS),
    E("GET", f"{EV}/door/events", ORGANISERS),  # Server-Sent Events
    E("GET", "/organiser/outbox", ANY_ORGANISER),
    E(
        "GET",
        "/organiser/outbox/{message_id:int}",
        ORGANISERS,
        hidden=frozenset({"organiser_other"}),
    ),
    # Organiser: exhibitors, stands, subscribers.
    E("GET", f"{EV}/exhibitors", ORGANISERS),
    E("GET", f"{EV}/exhibitors/{{exhibitor_id:int}}", ORGANISERS),
    E(
        "POST",
        f"{EV}/exhibitors/{{exhibitor_id:int}}/decision",
        ORGANISERS,
        {"decision": "waitlist", "message": "Later"},
        params={"exhibitor_id": "applied_id"},
    ),
    E("GET", STANDS, ORGANISERS),
    E("POST", STANDS, ORGANISERS, STAND_FORM),
    E("POST", f"{STANDS}/{{stand_id:int}}", ORGANISERS, STAND_FORM, fresh=("stand",)),
    E("POST", f"{STANDS}/{{stand_id:int}}/delete", ORGANISERS, {}, fresh=("stand",)),
    E(
        "POST",
        f"{STANDS}/{{stand_id:int}}/allocate",
        ORGANISERS,
        {"exhibitor": "{approved_id}"},
        fresh=("stand", "approved"),
    ),
    E("POST", f"{STANDS}/{{stand_id:int}}/release", ORGANISERS, {}, fresh=("stand",)),
    E("GET", "/organiser/organisation", ANY_ORGANISER),
    E("POST", "/organiser/organisation", ANY_ORGANISER, {"contact_email": "fairs@example.org"}),
    E("GET", "/organiser/subscribers", ANY_ORGANISER),
    E("POST", "/organiser/subscribers/preview", ANY_ORGANISER, {"text": SUBSCRIBERS_CSV}),
    E(
        "POST",
        "/organiser/subscribers/apply",
        ANY_ORGANISER,
        {"data": base64.b64encode(SUBSCRIBERS_CSV.encode()).decode()},
    ),
    # Organiser: lead routing and the report.
    E("GET", f"{EV}/routing", ORGANISERS),
    E("POST", f"{EV}/routing", ORGANISERS, {"rules": "home_council"}),
    E(
        "POST",
        f"{EV}/routing/subscriptions",
        ORGANISERS,
        {"council": RUGBY, "job_family": "social-care"},
    ),
    E(
        "POST",
        f"{EV}/routing/subscriptions/{{subscription_id:int}}/delete",
        ORGANISERS,
        {},
        fresh=("subscription",),
    ),
    E("GET", f"{EV}/report", ORGANISERS),
    E("GET", f"{EV}/report/print", ORGANISERS),
    # Door pages: the event's door staff and its organisers.
    E("GET", "/door", ANY_DOOR),
    E("GET", DOOR_EV, DOOR),
    E("GET", f"{DOOR_EV}/scan", DOOR),
    E("GET", f"{DOOR_EV}/find", DOOR),
    E("POST", f"{DOOR_EV}/find", DOOR, {"q": "amira"}),
    E("GET", f"{DOOR_EV}/walk-up", DOOR),
    E("GET", f"{DOOR_EV}/tickets/{{reference:str}}", DOOR, fresh=("walk_up",)),
    E(
        "POST",
        f"{DOOR_EV}/walk-up",
        DOOR,
        {"name": "Walk Up", "email": "walk-{role}@example.org", "slot_id": "{slot_id}"},
    ),
    E("POST", f"{DOOR_EV}/{ATTENDEE}/checkin", DOOR, {"door": "Main"}),
    E("POST", f"{DOOR_EV}/{ATTENDEE}/undo", DOOR, {"door": "Main"}),
    # Exhibitor portal and stand scanner: the exhibitor's staff and the event's organisers.
    E("GET", "/exhibitor", ANY_STAND),
    E("GET", EXH, STAND),
    E(
        "POST",
        f"{EXH}/staff",
        STAND,
        {"name": "A Colleague", "email": "colleague-{role}@example.org"},
    ),
    E("GET", f"{EXH}/profile", STAND),
    E(
        "POST",
        f"{EXH}/profile",
        STAND,
        {
            "profile": "We hire",
            "vacancy_1_title": "Social Worker",
            "vacancy_1_job_family": "digital",
        },
    ),
    E("POST", f"{EXH}/logo", STAND, "logo"),
    E("GET", f"{EXH}/badges.pdf", STAND),
    E("GET", f"{EXH}/scan", STAND),
    E("GET", f"{EXH}/leads", STAND),
    # Council portal: that council's recruiters.
    E("GET", CNL, COUNCIL),
    E("GET", f"{CNL}/leads", COUNCIL),
    E("GET", f"{CNL}/leads/{{delivery_id:int}}", COUNCIL),
    E("POST", f"{CNL}/leads/{{delivery_id:int}}/outcome", COUNCIL, {"outcome": "contacted"}),
    E("GET", f"{CNL}/leads.csv", COUNCIL),
    E("GET", f"{CNL}/leads.xlsx", COUNCIL),
    E("GET", f"{CNL}/webhook", COUNCIL),
    E("POST", f"{CNL}/webhook", COUNCIL, {"url": HOOK_URL}),
    E("POST", f"{CNL}/webhook/rotate", COUNCIL, {}),
    E("POST", f"{CNL}/webhook/remove", COUNCIL, {}),
    E("POST", f"{CNL}/webhook/sends/{{send_id:int}}/resend", COUNCIL, {}),
    # API: events.
    E("POST", "/api/v1/events", ANY_ORGANISER, EVENT_JSON),
    E("PATCH", API_EV, ORGANISERS, {"description": "Changed by {role}"}),
    E(
        "GET",
        API_EV,
        ORGANISERS,
        params={"slug": "draft"},
        hidden=frozenset(ALL_ROLES) - ORGANISERS,
    ),
    E(
        "GET",
        "/events/{slug:str}",
        ORGANISERS,
        params={"slug": "draft"},
        hidden=frozenset(ALL_ROLES) - ORGANISERS,
    ),
    # API: stands.
    E("GET", f"{API_EV}/stands", ORGANISERS),
    E("POST", f"{API_EV}/stands", ORGANISERS, STAND_JSON),
    E("PATCH", f"{API_EV}/stands/{{stand_code:str}}", ORGANISERS, {"x": 5}, fresh=("stand",)),
    E("DELETE", f"{API_EV}/stands/{{stand_code:str}}", ORGANISERS, fresh=("stand",)),
    # API: check-in.
    E("POST", "/api/v1/checkins", DOOR, {"code": "{ticket_code}", "event": "{slug}"}),
    E("GET", f"{API_EV}/checkins/stats", DOOR),
    E("GET", f"{API_EV}/offline-bundle", DOOR),
    E("GET", f"{API_EV}/attendees", DOOR, query={"q": "amira"}),
    E("POST", f"{API_EV}/attendees/search", DOOR, {"q": "amira"}),
    E("POST", f"{API_EV}/{ATTENDEE}/checkin", DOOR, {"door": "Main"}),
    E("POST", f"{API_EV}/{ATTENDEE}/undo", DOOR, {"door": "Main"}),
    # API: exhibitors and leads. A superuser staffs no stand, so cannot capture a lead.
    E(
        "POST",
        "/api/v1/exhibitors/{exhibitor_id:int}/decision",
        ORGANISERS,
        {"decision": "waitlist"},
        params={"exhibitor_id": "applied_id"},
    ),
    E(
        "POST",
        "/api/v1/leads",
        frozenset({"exhibitor"}),
        {"code": "{ticket_code}", "exhibitor_id": "{exhibitor_id}", "consent_given": True},
    ),
    E("GET", "/api/v1/exhibitors/{exhibitor_id:int}/leads", STAND),
    # Interviews: the stand's schedule and its API; the organiser's figures and policy.
    E("GET", f"{EXH}/interviews", STAND),
    E("POST", f"{EXH}/interviews/schedules", STAND, "{iv_form}"),
    E("POST", f"{EXH}/interviews/walk-in", STAND, {"code": "{walk_in_code}"}, fresh=("walk_in",)),
    E(
        "POST",
        f"{EXH}/interviews/{{booking_id:int}}/outcome",
        STAND,
        {"outcome": "offer_made", "start_date": ""},
    ),
    E(
        "POST",
        f"{EXH}/interviews/invitations",
        STAND,
        {"schedule": "{invited_schedule_id}", "people": "{registration_id}"},
    ),
    E("GET", "/api/v1/exhibitors/{exhibitor_id:int}/schedules", STAND),
    E("POST", "/api/v1/exhibitors/{exhibitor_id:int}/schedules", STAND, "{iv_json}"),
    E(
        "POST",
        "/api/v1/exhibitors/{exhibitor_id:int}/interviews/walk-in",
        STAND,
        {"code": "{walk_in_code}"},
        fresh=("walk_in",),
    ),
    E(
        "POST",
        "/api/v1/exhibitors/{exhibitor_id:int}/schedules/{schedule_id:int}/invitations",
        STAND,
        "{iv_invitations}",
        params={"schedule_id": "invited_schedule_id"},
    ),
    E("POST", "/api/v1/interviews/{booking_id:int}/outcome", STAND, {"outcome": "offer_made"}),
    E("GET", f"{API_EV}/outcomes", ORGANISERS),
    E(
        "PUT",
        f"{API_EV}/interview-policy",
        ORGANISERS,
        {"per_person_limit": 3, "cutoff_minutes": 60},
    ),
    # Employability partners: the organiser's partner pages, the partner's own pages
    # (another partner, not invited to this event, is told it is not there; the superuser
    # has no partner of their own), and the partner's referrals by API.
    E("GET", f"{EV}/partners", ORGANISERS),
    E("POST", f"{EV}/partners", ORGANISERS, {"partner": "{partner_code}"}),
    E("GET", f"{EV}/partners/{{code:str}}/poster.pdf", ORGANISERS, params={"code": "partner_code"}),
    E("GET", f"{EV}/funder-summary", ORGANISERS),
    E("GET", "/partner", frozenset({"partner", "partner_other"}), hidden=frozenset({"superuser"})),
    E("GET", "/partner/events/{slug:str}", frozenset({"partner"}), hidden=PARTNER_HIDDEN),
    E(
        "GET",
        "/partner/events/{slug:str}/referrals.csv",
        frozenset({"partner"}),
        hidden=PARTNER_HIDDEN,
    ),
    E(
        "GET",
        "/partner/events/{slug:str}/poster.pdf",
        frozenset({"partner"}),
        hidden=PARTNER_HIDDEN,
    ),
    E(
        "GET",
        "/api/v1/partners/{code:str}/referrals",
        PARTNER,
        query={"event": "{slug}"},
        params={"code": "partner_code"},
    ),
    # API: councils.
    E("GET", f"{API_CNL}/leads", COUNCIL),
    E("GET", f"{API_CNL}/leads.csv", COUNCIL),
    E("GET", f"{API_CNL}/leads.xlsx", COUNCIL),
    E("POST", f"{API_CNL}/leads/{{delivery_id:int}}/outcome", COUNCIL, {"outcome": "hired"}),
]


# Fixtures ---------------------------------------------------------------------


@pytest.fixture(scope="module")
async def server() -> AsyncIterator[str]:
    """The app under uvicorn in the tests' event loop: the test client buffers whole
    bodies, and the door dashboard's event stream never ends."""
    from app import create_app

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WEBHOOK_ALLOW_PRIVATE", "1")  # the webhook row posts a loopback URL
        async with app_in_loop(create_app()) as url:
            yield url


@dataclass
class Caller:
    """Sends one request as one role: a session for pages, a bearer token for the API."""

    http: httpx.AsyncClient
    world: World
    csrf: str
    sessions: dict[str, str]

    async def send(self, endpoint: Endpoint, role: str, ctx: dict[str, Any]) -> httpx.Response:
        url = concrete(endpoint.path, {**ctx, **{k: ctx[v] for k, v in endpoint.params.items()}})
        headers = {"accept": "application/json" if endpoint.is_api else "text/html"}
        cookies = {"csrftoken": self.csrf}
        if endpoint.is_api:
            headers.update(self.world.headers(role))
        elif role != "anonymous":
            cookies["fg_session"] = self.sessions[role]
        denied = role not in endpoint.allowed and role != "anonymous"
        if denied and endpoint.method != "GET" and not endpoint.is_api:
            headers["accept"] = "application/json"  # the reason, to tell it from CSRF's
        headers["cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        self.http.cookies.clear()
        request = self.http.build_request(
            endpoint.method,
            url,
            headers=headers,
            params=fill(endpoint.query, ctx),
            **self._body(endpoint, ctx),
        )
        response = await self.http.send(request, stream=True)
        try:
            if not response.headers.get("content-type", "").startswith("text/event-stream"):
                await response.aread()
        finally:
            await response.aclose()
        return response

    def _body(self, endpoint: Endpoint, ctx: dict[str, Any]) -> dict[str, Any]:
        if endpoint.body is None or endpoint.method == "GET":
            return {}
        if endpoint.body == "logo":
            files = {"logo": ("logo.png", image_bytes(), "image/png")}
            return {"data": {"_csrf_token": self.csrf}, "files": files}
        body = fill(endpoint.body, ctx)
        if endpoint.is_api:
            return {"json": body}
        return {"data": {**body, "_csrf_token": self.csrf}}


def fill(value: Any, ctx: dict[str, Any]) -> Any:
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in ctx:
            return ctx[value[1:-1]]
        return value.format(**ctx)
    if isinstance(value, dict):
        return {fill(k, ctx): fill(v, ctx) for k, v in value.items()}
    return value


async def session_for(user_id: int) -> str:
    """A signed-in session, written to the app's own session store (as sign-in does)."""
    session_id = secrets.token_hex(32)
    data = json.dumps({"uid": user_id, "_renewed": int(time.time())}).encode()
    await DatabaseStore("session").set(session_id, data, expires_in=3600)
    return session_id


@pytest.fixture
async def caller(server: str) -> AsyncIterator[Caller]:
    world = await build_world()
    sessions = {role: await session_for(user["id"]) for role, user in world.users.items()}
    async with httpx.AsyncClient(base_url=server, timeout=10) as http:
        csrf = (await http.get("/login")).cookies["csrftoken"]
        yield Caller(http, world, csrf, sessions)


# Context: the values a row's path and body are filled from -----------------------


async def _fresh(world: World, name: str, role: str) -> dict[str, Any]:
    """Objects an allowed role's request consumes, made anew for each role."""
    n = ALL_ROLES.index(role)
    event = world.event
    if name == "stand":
        return {"stand_id": await new_stand(event["id"], f"F{n}"), "stand_code": f"F{n}"}
    if name == "subscription":
        return {"subscription_id": await new_subscription(event["id"])}
    if name == "approved":
        return {"approved_id": await make_exhibitor(event["id"])}
    if name == "draft":
        return {"slug": (await make_event(event["organisation"], status="draft"))["slug"]}
    if name == "door_user":
        user = await make_user("door")
        await add_door(world.other_event["id"], user["id"])
        return {"door_email": user["email"]}
    if name == "door_member":  # on this event's door team, to be removed
        user = await make_user("door")
        await add_door(event["id"], user["id"])
        return {"user_id": user["id"]}
    if name == "walk_in":  # a ticket scanned at the stand into the next free interview
        person = RegistrationInput(name=f"Walk In {n}", email=f"walk-in-{n}@example.org")
        return {"walk_in_code": (await register_attendee(event["slug"], person)).ticket_code}
    if name == "own":  # a token, a listed session and a remembered device of their own
        user_id = world.users[role]["id"]
        token = await ApiToken.insert(
            ApiToken(user=user_id, token_hash=secrets.token_hex(32), label="matrix")
        ).returning(ApiToken.id)
        listed = await StaffSession.insert(
            StaffSession(user=user_id, session_id=secrets.token_hex(32))
        ).returning(StaffSession.id)
        device = await TrustedDevice.insert(
            TrustedDevice(
                user=user_id,
                token_hash=secrets.token_hex(32),
                expires_at=datetime.now(UTC) + timedelta(days=1),
            )
        ).returning(TrustedDevice.id)
        return {
            "token_id": token[0]["id"],
            "session_id": listed[0]["id"],
            "device_id": device[0]["id"],
        }
    if name == "person":  # door staff of this event's organisation
        return {"user_id": (await make_user("door", org=event["organisation"]))["id"]}
    if name == "invitee":  # invited, no password yet
        user_id = await create_user(
            email=f"invitee-{role}-{secrets.token_hex(4)}@example.org",
            name="Invitee",
            role="organiser",
            organisation_id=event["organisation"],
        )
        return {"user_id": user_id}
    if name == "walk_up":  # registered at the door without an email
        walk_up = RegistrationInput(name=f"Walk Up {n}", email=None)
        return {"reference": (await register_attendee(event["slug"], walk_up)).reference}
    raise AssertionError(name)


async def context(world: World, endpoint: Endpoint, role: str) -> dict[str, Any]:
    event = await get_event(world.event["slug"])
    ctx: dict[str, Any] = {
        **world.params,
        "role": role,
        "n": ALL_ROLES.index(role),
        "ticket_code": world.ticket_code,
        "walk_in_code": world.ticket_code,  # refused roles never reach it
        "approved_id": world.exhibitor_id,
        "door_email": world.users["door"]["email"],
        "user_id": world.users["door"]["id"],  # refused roles never reach it
        "token_id": 1,
        "session_id": 1,
        "device_id": 1,
        "reference": "FG-2222-2222",
        "edit_form": form_values(event, await get_slots(event["id"]), event["timezone"]),
    }
    if role in endpoint.allowed:
        for name in endpoint.fresh:
            ctx.update(await _fresh(world, name, role))
    return ctx


# Expectations -------------------------------------------------------------------


def problem(endpoint: Endpoint, role: str, response: httpx.Response) -> str | None:
    """What is wrong with this answer for this role, or None."""
    status, location = response.status_code, response.headers.get("location", "")
    if role in endpoint.allowed:
        if status in ALLOWED_STATUS and not location.startswith("/login"):
            return None
        return f"allowed but got {status} {location} {response.text[:200]!r}"
    if role in endpoint.hidden:
        return None if status == 404 else f"expected 404 (hidden), got {status}"
    if role == "anonymous":
        if endpoint.is_api:
            return None if status == 401 and _code(response) == "unauthorized" else f"got {status}"
        ok = status in (302, 303) and location.startswith("/login")
        return None if ok else f"expected a redirect to /login, got {status} {location}"
    if status != 403:
        return f"expected 403, got {status} {location} {response.text[:200]!r}"
    if endpoint.is_api or response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()  # `forbidden` from a guard, or a service's own code
        if not body.get("error") or "CSRF" in body.get("detail", ""):
            return f"403 for the wrong reason: {body}"
    return None


def _code(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error"))
    except ValueError:
        return ""


# Tests --------------------------------------------------------------------------


def test_every_route_has_a_decision() -> None:
    staff = {(e.method, e.path) for e in MATRIX}
    undecided = sorted(app_routes() - staff - set(PUBLIC_ROUTES))
    assert not undecided, (
        "routes with no permission row: add each to MATRIX (staff) or to "
        f"routes.PUBLIC_ROUTES (anyone, with the reason): {undecided}"
    )
    gone = sorted((staff | set(PUBLIC_ROUTES)) - app_routes())
    assert not gone, f"rows for routes the app no longer has: {gone}"


async def row_counts() -> dict[str, int]:
    """Rows per table (but the key-value store, where sessions and CSRF live), in one query."""
    from fairground.db import get_engine
    from tests.conftest import all_tables

    names = [t._meta.tablename for t in all_tables() if t._meta.tablename != "store_entry"]
    # Our own table names, not input.
    columns = ", ".join(f'(SELECT COUNT(*) FROM "{n}") AS "{n}"' for n in names)  # noqa: S608
    [row] = await get_engine().run_ddl(f"SELECT {columns}")
    return {name: int(row[name]) for name in names}


async def check(caller: Caller, endpoint: Endpoint) -> dict[str, str]:
    """Every role on one row: what went wrong, by role (empty when all is well)."""
    # Denied roles first: none of them may add or remove a row (audit log included).
    order = sorted(ALL_ROLES, key=lambda role: role in endpoint.allowed)
    problems = {}
    before: dict[str, int] | None = await row_counts()
    for role in order:
        if role in endpoint.allowed and before is not None:
            if await row_counts() != before:
                problems["(denied roles)"] = "a denied request added or removed rows"
            before = None
        ctx = await context(caller.world, endpoint, role)
        response = await caller.send(endpoint, role, ctx)
        found = problem(endpoint, role, response)
        if found:
            problems[role] = found
    return problems


READS = [e for e in MATRIX if e.method == "GET"]
WRITES = [e for e in MATRIX if e.method != "GET"]


async def test_each_role_gets_what_the_matrix_says_on_every_read(caller: Caller) -> None:
    """The reads change nothing the next row needs, so they share one world."""
    problems = {str(e): found for e in READS if (found := await check(caller, e))}
    assert not problems, json.dumps(problems, indent=1)


@pytest.mark.parametrize("endpoint", WRITES, ids=str)
async def test_each_role_gets_what_the_matrix_says_on_a_write(
    caller: Caller, endpoint: Endpoint
) -> None:
    problems = await check(caller, endpoint)
    assert not problems, f"{endpoint}: {json.dumps(problems, indent=1)}"


async def test_a_council_code_that_names_no_council_is_not_found(caller: Caller) -> None:
    ctx = {"code": "E99999999"}
    for path in (CNL, f"{CNL}/leads", f"{CNL}/webhook", f"{API_CNL}/leads", f"{API_CNL}/leads.csv"):
        endpoint = Endpoint("GET", path, COUNCIL)
        assert (await caller.send(endpoint, "superuser", ctx)).status_code == 404, path
        assert (await caller.send(endpoint, "council", ctx)).status_code == 403, path


# Objects of another scope under one's own path ----------------------------------

# (role, method, path, body, expected status): the ids in the path are the other
# event's, exhibitor's or council's. Lookups are scoped to the path's parent, so
# the object is "not found" here; the two undo rows answer "not checked in", a scan
# of another event's ticket is the `wrong_event` verdict, and the decision API (whose
# path names no event) is the other organiser's to make: 403.
CROSS: list[tuple[str, str, str, Any, int]] = [
    ("organiser", "GET", f"{EV}/exhibitors/{{exhibitor_id:int}}", None, 404),
    ("organiser", "POST", f"{EV}/exhibitors/{{applied_id:int}}/decision",
     {"decision": "waitlist"}, 404),
    ("organiser", "POST", f"{STANDS}/{{stand_id:int}}", STAND_FORM, 404),
    ("organiser", "POST", f"{STANDS}/{{stand_id:int}}/delete", {}, 404),
    ("organiser", "POST", f"{STANDS}/{{stand_id:int}}/allocate", {"exhibitor": "{approved}"}, 404),
    ("organiser", "POST", f"{STANDS}/{{stand_id:int}}/release", {}, 404),
    ("organiser", "PATCH", f"{API_EV}/stands/{{stand_code:str}}", {"x": 9}, 404),
    ("organiser", "DELETE", f"{API_EV}/stands/{{stand_code:str}}", None, 404),
    ("organiser", "POST", f"{EV}/access-requests/{{request_id:int}}",
     {"status-{request_id}": "declined"}, 404),
    ("organiser", "POST", f"{EV}/routing/subscriptions/{{subscription_id:int}}/delete", {}, 404),
    ("organiser", "GET", "/organiser/outbox/{message_id:int}", None, 404),
    ("organiser", "POST", "/api/v1/exhibitors/{applied_id:int}/decision",
     {"decision": "waitlist"}, 403),
    ("door", "POST", f"{DOOR_EV}/{ATTENDEE}/checkin", {"door": "Main"}, 404),
    ("door", "POST", f"{DOOR_EV}/{ATTENDEE}/undo", {"door": "Main"}, 303),
    ("door", "POST", f"{API_EV}/{ATTENDEE}/checkin", {"door": "Main"}, 404),
    ("door", "POST", f"{API_EV}/{ATTENDEE}/undo", {"door": "Main"}, 200),
    ("door", "POST", "/api/v1/checkins", {"code": "{ticket_code}", "event": "{slug}"}, 200),
    ("exhibitor", "POST", "/api/v1/leads", {"code": "{ticket_code}", "consent_given": True}, 403),
    ("council", "GET", f"{CNL}/leads/{{delivery_id:int}}", None, 404),
    ("council", "POST", f"{CNL}/leads/{{delivery_id:int}}/outcome", {"outcome": "hired"}, 404),
    ("council", "POST", f"{API_CNL}/leads/{{delivery_id:int}}/outcome", {"outcome": "hired"}, 404),
    ("council", "POST", f"{CNL}/webhook/sends/{{send_id:int}}/resend", {}, 404),
]  # fmt: skip


async def other_scope(world: World) -> dict[str, Any]:
    """Everything of the other scope that a request here could wrongly change."""
    from exhibitors.leads.tables import Lead, LeadDelivery, WebhookSend
    from exhibitors.tables import Exhibitor, Stand
    from registrations.tables import AccessRequest, CheckIn, Registration

    other = world.other
    return {
        "registration": await Registration.select().where(
            Registration.id == other["registration_id"]
        ),
        "checked_in": await CheckIn.count().where(  # a refused scan is logged, not admitted
            (CheckIn.registration == other["registration_id"]) & (CheckIn.verdict == "ok")
        ),
        "exhibitor": await Exhibitor.select().where(Exhibitor.id == other["applied_id"]),
        "stand": await Stand.select().where(Stand.id == other["stand_id"]),
        "request": await AccessRequest.select().where(AccessRequest.id == other["request_id"]),
        "subscription": await _subscription(other["subscription_id"]),
        "delivery": await LeadDelivery.select().where(LeadDelivery.id == other["delivery_id"]),
        "send": await WebhookSend.select().where(WebhookSend.id == other["send_id"]),
        "leads": await Lead.count().where(Lead.registration == other["registration_id"]),
    }


async def _subscription(subscription_id: int) -> list[dict[str, Any]]:
    from exhibitors.leads.tables import CouncilJobFamily

    return await CouncilJobFamily.select().where(CouncilJobFamily.id == subscription_id)


async def test_objects_of_another_scope_are_not_found(caller: Caller) -> None:
    world = caller.world
    ctx = {**world.params, **world.other, "slug": world.event["slug"], "n": 0}
    ctx["approved"] = world.exhibitor_id  # this fair's: only the stand is another's
    problems = []
    for role, method, path, body, status in CROSS:
        before = await other_scope(world)
        endpoint = Endpoint(method, path, frozenset({role}), body)
        response = await caller.send(endpoint, role, {**ctx, "role": role})
        if response.status_code != status:
            problems.append((role, method, path, response.status_code, response.text[:200]))
        elif path == "/api/v1/checkins" and response.json()["result"] != "wrong_event":
            problems.append((role, method, path, response.json()))
        if await other_scope(world) != before:
            problems.append((role, method, path, "changed the other scope"))
    assert not problems, problems


async def test_a_denial_reads_well_in_the_api_and_on_the_page(caller: Caller) -> None:
    """(From the old tests/fairground/test_guards.py.) The API's 403 has the error
    shape; the page's 403 says so in words, for someone who is signed in."""
    patch = Endpoint("PATCH", API_EV, ORGANISERS, {"title": "x"})
    ctx = await context(caller.world, patch, "organiser_other")
    denied = await caller.send(patch, "organiser_other", ctx)
    assert denied.status_code == 403
    body = denied.json()
    assert body["error"] == "forbidden" and body["detail"] and set(body) <= {"error", "detail"}
    for path in (EV, f"{EV}/edit"):
        page = await caller.send(Endpoint("GET", path, ORGANISERS), "organiser_other", ctx)
        assert page.status_code == 403
        assert "You do not have permission" in page.text and "your account cannot" in page.text
