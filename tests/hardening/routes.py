"""Every route the app serves, and the ones anyone may call without signing in.

test_permissions.py fails for a route that is neither in its staff matrix nor in
PUBLIC_ROUTES below, so a new route cannot ship without a decision on who may
call it; test_rate_limits.py takes the anonymous POSTs from PUBLIC_ROUTES.
"""

from __future__ import annotations

import re
from functools import cache

# (method, path as the app declares it) → why anyone may call it.
PUBLIC_ROUTES: dict[tuple[str, str], str] = {
    # Platform: health, sign-in and password reset, the static pages.
    ("GET", "/healthz"): "load balancers and monitoring",
    ("GET", "/login"): "the sign-in form",
    ("POST", "/login"): "signing in (its own throttle per account and address)",
    ("POST", "/logout"): "ends the caller's own session; nothing for a stranger's",
    ("GET", "/login/code"): "the security code step (only after a correct password)",
    ("POST", "/login/code"): "the security code (its own throttle per account and address)",
    ("GET", "/password-reset"): "asking for a reset link",
    ("POST", "/password-reset"): "asking for a reset link (says nothing about the address)",
    ("GET", "/password-reset/{token:str}"): "the emailed reset link (the token is the secret)",
    ("POST", "/password-reset/{token:str}"): "setting a password with the emailed token",
    ("GET", "/accessibility"): "the accessibility statement",
    ("GET", "/privacy"): "the privacy notice",
    ("GET", "/data-erased"): "shown after an attendee erased their data",
    # Public event pages and the event API's reads (drafts are hidden: 404).
    ("GET", "/"): "upcoming fairs",
    ("GET", "/events/{slug:str}"): "a fair's page (and its .ics feed)",
    ("GET", "/api/v1/events"): "published upcoming events",
    ("GET", "/api/v1/events/{slug:str}"): "one published event (a draft only for its organisers)",
    # Registration: the journey, the attendee's pages by manage token, and the API.
    ("GET", "/events/{slug:str}/register"): "registration, step 1",
    ("POST", "/events/{slug:str}/register"): "registration, step 1",
    ("GET", "/events/{slug:str}/register/interests"): "registration, step 2",
    ("POST", "/events/{slug:str}/register/interests"): "registration, step 2",
    ("GET", "/events/{slug:str}/register/access"): "registration, step 3",
    ("POST", "/events/{slug:str}/register/access"): "registration, step 3",
    ("GET", "/events/{slug:str}/register/equality"): "registration, step 4",
    ("POST", "/events/{slug:str}/register/equality"): "registration, step 4",
    ("GET", "/events/{slug:str}/register/check"): "registration, check and send",
    ("POST", "/events/{slug:str}/register/check"): "registration, check and send",
    ("POST", "/api/v1/events/{slug:str}/registrations"): "registration by API",
    ("GET", "/r/{manage_token:str}"): "the attendee's page (the token is the secret)",
    ("GET", "/r/{manage_token:str}/confirmation"): "the attendee's confirmation",
    ("GET", "/r/{manage_token:str}/plan"): "the attendee's plan for the day, to print",
    ("GET", "/r/{manage_token:str}/cancel"): "the attendee's cancel question",
    ("POST", "/r/{manage_token:str}/cancel"): "the attendee cancels",
    ("GET", "/r/{manage_token:str}/cancelled"): "the attendee's cancelled page",
    ("GET", "/r/{manage_token:str}/ticket.svg"): "the attendee's QR ticket",
    ("GET", "/r/{manage_token:str}/ticket.png"): "the attendee's QR ticket",
    ("GET", "/r/{manage_token:str}/invite.ics"): "the attendee's calendar invite",
    ("GET", "/r/{manage_token:str}/ticket.pdf"): "the attendee's printable ticket",
    ("POST", "/r/{manage_token:str}/referral/remove"): "the attendee removes the referring partner",
    ("POST", "/r/{manage_token:str}/partner-consent"): "the attendee's consent for the partner",
    ("GET", "/r/{manage_token:str}/follow-up"): "the attendee's follow-up survey",
    ("POST", "/r/{manage_token:str}/follow-up"): "the attendee's follow-up survey",
    ("GET", "/r/{manage_token:str}/follow-up/thanks"): "the attendee's follow-up survey",
    ("GET", "/r/{manage_token:str}/data"): "the attendee's data page",
    ("GET", "/r/{manage_token:str}/data.json"): "the attendee's data export",
    ("POST", "/r/{manage_token:str}/data/erase"): "the attendee erases their data",
    ("GET", "/r/{manage_token:str}/stand-consents"): "the consent the attendee gave at stands",
    ("POST", "/r/{manage_token:str}/stand-consents"): "the attendee withdraws a stand consent",
    ("GET", "/api/v1/registrations/{manage_token:str}"): "the attendee's registration by API",
    ("POST", "/api/v1/registrations/{manage_token:str}/cancel"): "the attendee cancels by API",
    ("PATCH", "/api/v1/registrations/{manage_token:str}"): "the attendee's changes by API",
    ("GET", "/r/{manage_token:str}/change"): "the attendee's change page (the token is the secret)",
    ("POST", "/r/{manage_token:str}/change"): "the attendee changes their details and choices",
    # Interviews: the free times are public; a booking is by the manage token.
    ("GET", "/api/v1/events/{slug:str}/interview-slots"): "the interview times with places left",
    ("GET", "/api/v1/registrations/{manage_token:str}/interviews"): "the attendee's interviews",
    ("POST", "/api/v1/registrations/{manage_token:str}/interviews"): "the attendee books by API",
    ("PATCH", "/api/v1/registrations/{manage_token:str}/interviews/{booking_id:int}"): (
        "the attendee moves an interview by API"
    ),
    ("DELETE", "/api/v1/registrations/{manage_token:str}/interviews/{booking_id:int}"): (
        "the attendee cancels an interview by API"
    ),
    ("GET", "/r/{manage_token:str}/interviews"): "the attendee's page to book an interview",
    ("POST", "/r/{manage_token:str}/interviews"): "the attendee books an interview",
    ("GET", "/r/{manage_token:str}/interviews/{booking_id:int}/move"): "choosing a new time",
    ("POST", "/r/{manage_token:str}/interviews/{booking_id:int}/move"): "moving an interview",
    ("POST", "/r/{manage_token:str}/interviews/{booking_id:int}/cancel"): "cancelling one",
    ("GET", "/r/{manage_token:str}/interviews/{booking_id:int}/invite.ics"): (
        "an interview's calendar invite"
    ),
    # Exhibitor applications and logos.
    ("GET", "/events/{slug:str}/exhibit"): "the application form",
    ("POST", "/events/{slug:str}/exhibit"): "applying for a stand",
    ("GET", "/events/{slug:str}/exhibit/sent"): "the application's receipt (from the session)",
    ("POST", "/api/v1/events/{slug:str}/exhibitors"): "applying for a stand by API",
    ("GET", "/logos/{name:str}"): "an exhibitor's logo on the public event page",
    # Service workers: scripts only; the pages they serve are guarded.
    ("GET", "/door/sw.js"): "the door scanner's service worker script",
    ("GET", "/exhibitor/sw.js"): "the stand scanner's service worker script",
    # Static files and the OpenAPI document (it describes the public API contract).
    ("GET", "/static/{file_path:path}"): "CSS, JavaScript, images",
    ("HEAD", "/static/{file_path:path}"): "CSS, JavaScript, images",
    ("GET", "/schema"): "the OpenAPI document",
    ("GET", "/schema/openapi.json"): "the OpenAPI document",
    ("GET", "/schema/openapi.yaml"): "the OpenAPI document",
    ("GET", "/schema/openapi.yml"): "the OpenAPI document",
    ("GET", "/schema/{path:str}"): "the OpenAPI document (404 for unknown renderers)",
}

# Anonymous POSTs that are not rate limited per address, and why.
RATE_LIMIT_EXEMPT: dict[tuple[str, str], str] = {
    ("POST", "/login"): "its own throttle: 5 failures per account, 20 per address, 15 minutes",
    ("POST", "/logout"): "ends only the caller's own session; a stranger's logout does nothing",
    ("POST", "/login/code"): "only after a correct password; the sign-in throttle per account",
}


@cache
def app_routes() -> frozenset[tuple[str, str]]:
    """(method, path) of every handler the app has, without OPTIONS."""
    from app import create_app

    found = set()
    for route in create_app().routes:
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods:
                if method != "OPTIONS":
                    found.add((method, route.path))
    return frozenset(found)


def concrete(path: str, params: dict[str, object]) -> str:
    """The declared path with its parameters filled in: `{slug:str}` → the slug."""
    return re.sub(r"{(\w+):\w+}", lambda m: str(params[m.group(1)]), path)
