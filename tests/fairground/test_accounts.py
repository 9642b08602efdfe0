"""Sign-in, sessions, CSRF, throttling, password reset and API tokens."""

from __future__ import annotations

import email
import email.policy
import re
from typing import Any

from fairground.tables import AuditLog, OutboxMessage
from tests.factories import PASSWORD, csrf_from, login, make_event, make_org, make_user, token_for


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
    assert response.status_code == 302
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
    assert done.status_code == 302
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
