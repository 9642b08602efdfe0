"""Sign-in, sessions, CSRF, throttling, password reset and API tokens."""

from __future__ import annotations

import email
import email.policy
import re
from typing import Any

from fairground.tables import AuditLog, OutboxMessage
from tests.factories import (
    PASSWORD,
    csrf_from,
    login,
    make_event,
    make_org,
    make_user,
    security_code,
    token_for,
)


async def test_login_redirects_to_the_role_home_and_sets_a_secure_session(client: Any) -> None:
    user = await make_user("organiser", org=await make_org())
    page = await client.get("/login")
    response = await client.post(
        "/login",
        data={
            "email": user["email"].upper(),
            "password": PASSWORD,
            "_csrf_token": csrf_from(page.text),
        },
    )
    # The password is right: the security code comes next (tests/fairground/test_two_factor.py).
    assert response.status_code == 303
    assert response.headers["location"] == "/login/code"
    page = await client.get("/login/code")
    response = await client.post(
        "/login/code",
        data={"code": await security_code(user["id"]), "_csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/organiser"
    cookie = response.headers["set-cookie"].lower()
    assert "fg_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert (await client.get("/organiser/")).status_code == 200
    assert await AuditLog.exists().where(AuditLog.action == "login")


async def test_wrong_password_shows_an_error_naming_the_field(client: Any) -> None:
    user = await make_user("door")
    page = await client.get("/login")
    response = await client.post(
        "/login",
        data={
            "email": user["email"],
            "password": "wrong password!",
            "_csrf_token": csrf_from(page.text),
        },
    )
    assert response.status_code == 400
    assert "Enter a correct email address and password" in response.text
    assert 'href="#email"' in response.text


async def test_login_rotates_the_session_id(client: Any) -> None:
    user = await make_user("organiser", org=await make_org())
    await login(client, user)
    first = client.cookies.get("fg_session")
    await login(client, user)
    second = client.cookies.get("fg_session")
    assert first and second and first != second


async def test_logout_ends_the_session(client: Any) -> None:
    user = await make_user("organiser", org=await make_org())
    await login(client, user)
    page = await client.get("/organiser/")
    response = await client.post("/logout", data={"_csrf_token": csrf_from(page.text)})
    assert response.status_code == 302
    after = await client.get("/organiser/", headers={"accept": "application/json"})
    assert after.status_code == 401


async def test_form_post_without_csrf_token_is_rejected(client: Any) -> None:
    user = await make_user("door")
    await client.get("/login")
    response = await client.post("/login", data={"email": user["email"], "password": PASSWORD})
    assert response.status_code == 403


async def test_api_call_with_session_cookie_needs_the_csrf_header(client: Any) -> None:
    org = await make_org()
    user = await make_user("organiser", org=org)
    event = await make_event(org)
    await login(client, user)
    body = {"title": "Renamed"}
    denied = await client.patch(f"/api/v1/events/{event['slug']}", json=body)
    assert denied.status_code == 403
    allowed = await client.patch(
        f"/api/v1/events/{event['slug']}",
        json=body,
        headers={"x-csrftoken": client.cookies.get("csrftoken")},
    )
    assert allowed.status_code == 200, allowed.text


async def test_repeated_failures_for_one_account_are_throttled(client: Any) -> None:
    user = await make_user("door")
    page = await client.get("/login")
    token = csrf_from(page.text)
    for _ in range(5):
        response = await client.post(
            "/login",
            data={"email": user["email"], "password": "nope nope nope", "_csrf_token": token},
        )
        assert response.status_code == 400
    blocked = await client.post(
        "/login", data={"email": user["email"], "password": PASSWORD, "_csrf_token": token}
    )
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0


async def test_repeated_failures_from_one_address_are_throttled(client: Any) -> None:
    page = await client.get("/login")
    token = csrf_from(page.text)
    for n in range(20):
        await client.post(
            "/login",
            data={"email": f"nobody{n}@example.org", "password": "x" * 12, "_csrf_token": token},
        )
    user = await make_user("door")
    blocked = await client.post(
        "/login", data={"email": user["email"], "password": PASSWORD, "_csrf_token": token}
    )
    assert blocked.status_code == 429


async def test_password_reset_by_emailed_link(client: Any) -> None:
    user = await make_user("organiser", org=await make_org())
    page = await client.get("/password-reset")
    sent = await client.post(
        "/password-reset", data={"email": user["email"], "_csrf_token": csrf_from(page.text)}
    )
    assert sent.status_code == 200
    row = await OutboxMessage.select().where(OutboxMessage.recipient == user["email"]).first()
    assert row is not None
    message = email.message_from_bytes(bytes(row["payload"]), policy=email.policy.default)
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    link = re.search(r"http://testserver.local(/password-reset/\S+)", text)
    assert link
    form = await client.get(link.group(1))
    new_password = "a new long passphrase"
    mismatch = await client.post(
        link.group(1),
        data={
            "password": new_password,
            "confirm": "different",
            "_csrf_token": csrf_from(form.text),
        },
    )
    assert mismatch.status_code == 400 and "do not match" in mismatch.text
    done = await client.post(
        link.group(1),
        data={
            "password": new_password,
            "confirm": new_password,
            "_csrf_token": csrf_from(form.text),
        },
    )
    # Two-factor sign-in is on: the link is one factor, the security code still comes.
    assert done.status_code == 303 and done.headers["location"] == "/login/code"
    code_page = await client.get("/login/code")
    coded = await client.post(
        "/login/code",
        data={"code": await security_code(user["id"]), "_csrf_token": csrf_from(code_page.text)},
    )
    assert coded.status_code == 303 and coded.headers["location"] == "/organiser"
    assert (await client.get("/organiser")).status_code == 200  # signed in by the link
    await client.post(
        "/logout", data={"_csrf_token": csrf_from((await client.get("/account")).text)}
    )
    reused = await client.post(
        link.group(1),
        data={
            "password": new_password,
            "confirm": new_password,
            "_csrf_token": csrf_from(form.text),
        },
    )
    assert reused.status_code == 400
    await login(client, {**user, "password": new_password})


async def test_password_reset_for_unknown_email_reveals_nothing(client: Any) -> None:
    page = await client.get("/password-reset")
    response = await client.post(
        "/password-reset", data={"email": "nobody@example.org", "_csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 200
    assert not await OutboxMessage.exists().where(OutboxMessage.recipient == "nobody@example.org")


async def test_token_is_shown_once_and_stored_hashed(client: Any) -> None:
    from fairground.tables import ApiToken

    user = await make_user("organiser", org=await make_org())
    await login(client, user)
    page = await client.get("/account")
    response = await client.post(
        "/account/tokens", data={"label": "job board", "_csrf_token": csrf_from(page.text)}
    )
    token = re.search(r'id="new-token"[^>]*>(fg_[^<]+)<', response.text)
    assert token
    stored = await ApiToken.select(ApiToken.token_hash).first()
    assert stored is not None and token.group(1) not in stored["token_hash"]
    assert token.group(1) not in (await client.get("/account")).text


async def test_bearer_token_authenticates_api_calls(client: Any) -> None:
    org = await make_org()
    user = await make_user("organiser", org=org)
    event = await make_event(org, status="draft")
    token = await token_for(user)
    ok = await client.get(
        f"/api/v1/events/{event['slug']}", headers={"authorization": f"Bearer {token}"}
    )
    assert ok.status_code == 200
    bad = await client.get(
        f"/api/v1/events/{event['slug']}", headers={"authorization": "Bearer fg_not-a-token"}
    )
    assert bad.status_code == 401
    assert bad.json()["error"] == "unauthorized"
    malformed = await client.get("/api/v1/events", headers={"authorization": "Basic abc"})
    assert malformed.status_code == 401


async def test_anonymous_and_token_requests_store_no_session(client: Any) -> None:
    from fairground.tables import StoreEntry

    await client.get("/")
    await client.get("/api/v1/events")
    user = await make_user("organiser", org=await make_org())
    await client.get("/api/v1/events", headers={"authorization": f"Bearer {await token_for(user)}"})
    assert await StoreEntry.count().where(StoreEntry.key.like("session:%")) == 0
    await login(client, user)
    assert await StoreEntry.count().where(StoreEntry.key.like("session:%")) == 1
    before = await StoreEntry.select(StoreEntry.value).first()
    await client.get("/organiser/")  # unchanged and fresh: not written again
    assert await StoreEntry.select(StoreEntry.value).first() == before


# --- session fixation, logout, cookie flags ----------------------------------------
# A browser holding a given session ID is played by clearing the client's jar and
# sending the Cookie header by hand.


def _as(client: Any, session_id: str, csrf: str = "") -> dict[str, str]:
    client.cookies.clear()
    return {"cookie": f"fg_session={session_id}; csrftoken={csrf}"}


def _issued(response: Any) -> str:
    """The session ID a response sets ("" for none, or the null cookie)."""
    for header in response.headers.get_list("set-cookie"):
        match = re.match(r"fg_session=([^;]*)", header)
        if match and match.group(1) != "null":
            return match.group(1)
    return ""


async def _session_exists(session_id: str) -> bool:
    from fairground.tables import StoreEntry

    return await StoreEntry.exists().where(StoreEntry.key == f"session:{session_id}")


async def _start_registration(client: Any, slug: str, headers: dict[str, str]) -> Any:
    """Step 1 of registration answered: an anonymous session with personal data in it."""
    page = await client.get("/login", headers=headers)
    csrf = csrf_from(page.text)
    details = {"name": "Amira Khan", "email": "amira@example.org", "home_council": "E07000220"}
    return await client.post(
        f"/events/{slug}/register",
        data={**details, "_csrf_token": csrf},
        headers={**headers, "cookie": f"{headers.get('cookie', '')}; csrftoken={csrf}"},
    )


async def test_the_session_id_held_before_sign_in_is_dead_after_it(client: Any) -> None:
    event = await make_event()
    started = await _start_registration(client, event["slug"], {})
    before = _issued(started)
    assert started.status_code == 303 and before and await _session_exists(before)
    client.cookies.clear()
    client.cookies.set("fg_session", before)
    page = await client.get("/login")
    user = await make_user("organiser", org=event["organisation"])
    signed_in = await client.post(
        "/login",
        data={"email": user["email"], "password": PASSWORD, "_csrf_token": csrf_from(page.text)},
    )
    after = _issued(signed_in)
    # 303 to the security code: a new session already (the second step keeps it apart).
    assert signed_in.status_code in (302, 303) and after and after != before
    assert not await _session_exists(before)
    replay = await client.get("/organiser/", headers=_as(client, before))
    assert replay.status_code in (302, 303) and replay.headers["location"].startswith("/login")
    # Halfway (password given, no code yet) is not signed in either.
    halfway = await client.get("/organiser/", headers=_as(client, after))
    assert halfway.status_code in (302, 303) and halfway.headers["location"].startswith("/login")
    client.cookies.set("fg_session", after)
    code_page = await client.get("/login/code")
    coded = await client.post(
        "/login/code",
        data={"code": await security_code(user["id"]), "_csrf_token": csrf_from(code_page.text)},
    )
    final = _issued(coded)
    assert final and final not in (before, after) and not await _session_exists(after)
    assert (await client.get("/organiser/", headers=_as(client, final))).status_code == 200


async def test_a_session_id_the_server_never_issued_is_not_adopted(client: Any) -> None:
    """A planted cookie (fixation): what the visitor types is kept under a new ID."""
    event = await make_event()
    planted = "a" * 64
    response = await _start_registration(client, event["slug"], _as(client, planted))
    issued = _issued(response)
    assert response.status_code == 303
    assert issued and issued != planted and await _session_exists(issued)
    assert not await _session_exists(planted)
    # Whoever planted the ID sees nothing of the answers; the visitor sees them.
    check = f"/events/{event['slug']}/register/interests"
    planter = await client.get(check, headers=_as(client, planted))
    assert planter.status_code == 303 and planter.headers["location"].endswith("/register")
    assert (await client.get(check, headers=_as(client, issued))).status_code == 200


async def test_logout_ends_the_session_on_the_server(client: Any) -> None:
    user = await make_user("organiser", org=await make_org())
    await login(client, user)
    session_id = client.cookies.get("fg_session")
    assert session_id and await _session_exists(session_id)
    page = await client.get("/account")
    assert (await client.post("/logout", data={"_csrf_token": csrf_from(page.text)})).is_redirect
    assert not await _session_exists(session_id)
    replay = await client.get("/account", headers=_as(client, session_id))  # a copy from before
    assert replay.status_code in (302, 303) and replay.headers["location"].startswith("/login")
    headers = {**_as(client, session_id), "accept": "application/json"}
    assert (await client.get("/organiser/", headers=headers)).status_code == 401


async def test_cookies_are_secure_behind_tls(monkeypatch: Any) -> None:
    from litestar.testing import AsyncTestClient

    from app import create_app
    from fairground.settings import load_settings

    monkeypatch.setenv("BASE_URL", "https://fair.example.org")
    user = await make_user("door")
    app = create_app(load_settings())
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as tls:
        tls.follow_redirects = False
        page = await tls.get("/login")
        csrf_cookie = page.headers["set-cookie"].lower()
        assert "csrftoken=" in csrf_cookie and "secure" in csrf_cookie
        assert "samesite=lax" in csrf_cookie
        signed_in = await tls.post(
            "/login",
            data={
                "email": user["email"],
                "password": PASSWORD,
                "_csrf_token": csrf_from(page.text),
            },
        )
        assert signed_in.status_code == 302
        session = next(
            c.lower() for c in signed_in.headers.get_list("set-cookie") if "fg_session=" in c
        )
        assert "secure" in session and "httponly" in session and "samesite=lax" in session
