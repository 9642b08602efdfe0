"""Two-factor sign-in, passwords, one's own account, people and the audit log (issue 14)."""

from __future__ import annotations

import base64
import email
import email.policy
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
from litestar.testing import AsyncTestClient

from fairground import twofactor
from fairground.tables import ApiToken, AuditLog, OutboxMessage, PasswordReset, SignIn, User
from tests.factories import (
    PASSWORD,
    csrf_from,
    login,
    make_org,
    make_user,
    post_form,
    security_code,
    token_for,
)


def test_pyotp_gives_the_rfc_6238_test_vectors() -> None:
    """RFC 6238 appendix B, SHA-1: the library computes what the standard says."""
    secret = base64.b32encode(b"12345678901234567890").decode()
    totp = pyotp.TOTP(secret, digits=8)
    vectors = {
        59: "94287082",
        1111111109: "07081804",
        1111111111: "14050471",
        1234567890: "89005924",
        2000000000: "69279037",
        20000000000: "65353130",
    }
    for at, code in vectors.items():
        assert totp.at(at) == code


async def _password_step(client: Any, user: dict[str, Any], **extra: str) -> Any:
    page = await client.get("/login")
    return await client.post(
        "/login",
        data={"email": user["email"], "password": PASSWORD, "_csrf_token": csrf_from(page.text)},
    )


async def _code_step(client: Any, code: str, **extra: str) -> Any:
    page = await client.get("/login/code")
    return await client.post(
        "/login/code", data={"code": code, "_csrf_token": csrf_from(page.text), **extra}
    )


async def test_a_required_role_is_taken_to_enrolment_and_enrols_with_a_computed_code(
    client: Any,
) -> None:
    user = await make_user("organiser", org=await make_org(), two_factor=False)
    signed = await _password_step(client, user)
    assert signed.headers["location"] == "/organiser"  # signed in, but only to enrol
    for path in ("/organiser/", "/account", "/organiser/people/"):
        taken = await client.get(path)
        assert taken.status_code in (302, 303), path
        assert taken.headers["location"] == "/account/two-factor", path
    api = await client.get("/api/v1/events", headers={"accept": "application/json"})
    assert api.status_code == 403 and api.json()["error"] == "two_factor_setup_required"
    setup = await client.get("/account/two-factor")
    assert setup.status_code == 200 and "<svg" in setup.text
    assert 'autocomplete="one-time-code"' in setup.text and 'inputmode="numeric"' in setup.text
    assert 'spellcheck="false"' in setup.text and ">Security code<" in setup.text.replace(
        "\n", ""
    ).replace("  ", "")
    key = re.search(r'id="setup-key">([A-Z2-7 ]+)<', setup.text)
    assert key
    secret = key.group(1).replace(" ", "")
    csrf = csrf_from(setup.text)
    short = await client.post("/account/two-factor", data={"code": "123", "_csrf_token": csrf})
    assert short.status_code == 400 and "the code must be 6 numbers" in short.text
    letters = await client.post("/account/two-factor", data={"code": "12a456", "_csrf_token": csrf})
    assert "must only include numbers 0 to 9" in letters.text
    done = await client.post(
        "/account/two-factor", data={"code": pyotp.TOTP(secret).now(), "_csrf_token": csrf}
    )
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", done.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert (await client.get("/organiser/")).status_code == 200
    stored = await User.select(User.totp_secret, User.totp_enabled_at).where(User.id == user["id"])
    assert stored[0]["totp_secret"] == secret and stored[0]["totp_enabled_at"] is not None
    assert await AuditLog.exists().where(AuditLog.action == "two_factor_enabled")
    # The QR and key are not shown again.
    again = await client.get("/account/two-factor")
    assert "setup-key" not in again.text and "<svg" not in again.text


async def test_an_enrolled_user_gives_a_code_and_a_wrong_or_replayed_one_is_refused(
    client: Any,
) -> None:
    user = await make_user("council", org=await make_org(code="E08000099"))
    first = await _password_step(client, user)
    assert first.status_code == 303 and first.headers["location"] == "/login/code"
    assert (await client.get("/council/E08000099/leads")).status_code in (302, 303)  # not yet
    page = await client.get("/login/code")
    assert 'autocomplete="one-time-code"' in page.text
    wrong = await _code_step(
        client, "000000" if pyotp.TOTP(user["totp_secret"]).now() != "000000" else "111111"
    )
    assert wrong.status_code == 400
    assert "The security code is not correct" in wrong.text and 'href="#code"' in wrong.text
    code = await security_code(user["id"])
    ok = await _code_step(client, code)
    assert ok.status_code == 303 and ok.headers["location"] == "/council/E08000099/leads"
    await post_form(client, "/logout", {}, page_url="/account")
    await _password_step(client, user)
    replayed = await _code_step(client, code)
    assert replayed.status_code == 400 and "already been used" in replayed.text
    log = await SignIn.select(SignIn.success, SignIn.second_factor).where(SignIn.user == user["id"])
    assert {"success": True, "second_factor": "app"} in log
    assert {"success": False, "second_factor": "app"} in log


async def test_wrong_codes_are_throttled_per_account(client: Any) -> None:
    user = await make_user("organiser", org=await make_org())
    await _password_step(client, user)
    good = pyotp.TOTP(user["totp_secret"]).now()
    bad = f"{(int(good) + 1) % 1_000_000:06d}"
    statuses = [(await _code_step(client, bad)).status_code for _ in range(6)]
    assert statuses[:5] == [400] * 5 and statuses[5] == 429
    assert (await _code_step(client, await security_code(user["id"]))).status_code == 429
    # The password again does not clear the count: the code step stays throttled.
    await _password_step(client, user)
    assert (await _code_step(client, bad)).status_code == 429


async def test_a_recovery_code_works_once(client: Any) -> None:
    user = await make_user("superuser")
    codes = await twofactor.new_recovery_codes(user["id"])
    await _password_step(client, user)
    page = await client.get("/login/code?recovery=1")
    used = await client.post(
        "/login/code",
        data={"recovery": "1", "recovery_code": codes[0], "_csrf_token": csrf_from(page.text)},
    )
    assert used.status_code == 303 and used.headers["location"] == "/organiser"
    await post_form(client, "/logout", {}, page_url="/account")
    await _password_step(client, user)
    page = await client.get("/login/code?recovery=1")
    again = await client.post(
        "/login/code",
        data={"recovery": "1", "recovery_code": codes[0], "_csrf_token": csrf_from(page.text)},
    )
    assert again.status_code == 400 and "already used" in again.text
    assert await twofactor.recovery_codes_left(user["id"]) == 9


async def test_a_remembered_device_skips_the_code_for_30_days_and_can_be_forgotten(
    client: Any,
) -> None:
    user = await make_user("organiser", org=await make_org())
    await _password_step(client, user)
    ok = await _code_step(client, await security_code(user["id"]), remember="yes")
    cookie = ok.headers["set-cookie"]
    assert "fg_device=" in cookie and "HttpOnly" in cookie and "Max-Age=2592000" in cookie
    await post_form(client, "/logout", {}, page_url="/account")
    skipped = await _password_step(client, user)
    assert skipped.headers["location"] == "/organiser"
    device = await twofactor.devices(user["id"])
    assert len(device) == 1
    await post_form(client, f"/account/devices/{device[0]['id']}/forget", {}, page_url="/account")
    await post_form(client, "/logout", {}, page_url="/account")
    assert (await _password_step(client, user)).headers["location"] == "/login/code"


async def test_api_tokens_are_not_asked_for_a_second_factor(client: Any) -> None:
    user = await make_user("organiser", org=await make_org(), two_factor=False)
    token = await token_for(user)
    response = await client.get("/api/v1/events", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200


async def test_optional_two_factor_for_door_staff_turns_on_and_off(client: Any) -> None:
    user = await make_user("door")
    await login(client, user)
    assert (await client.get("/door")).status_code in (200, 302, 303)
    page = await client.get("/account/two-factor")
    secret = re.search(r'id="setup-key">([A-Z2-7 ]+)<', page.text).group(1).replace(" ", "")  # type: ignore[union-attr]
    await client.post(
        "/account/two-factor",
        data={"code": pyotp.TOTP(secret).now(), "_csrf_token": csrf_from(page.text)},
    )
    status = await client.get("/account/two-factor")
    assert "Turn off two-factor sign-in" in status.text
    wrong = await client.post(
        "/account/two-factor/off", data={"password": "nope", "_csrf_token": csrf_from(status.text)}
    )
    assert wrong.status_code == 400
    off = await client.post(
        "/account/two-factor/off",
        data={"password": PASSWORD, "_csrf_token": csrf_from(status.text)},
    )
    assert off.status_code == 303
    row = await User.select(User.totp_enabled_at).where(User.id == user["id"]).first()
    assert row and row["totp_enabled_at"] is None


async def test_an_organiser_cannot_turn_two_factor_off(client: Any) -> None:
    user = await make_user("organiser", org=await make_org())
    await login(client, user)
    page = await client.get("/account/two-factor")
    assert "Turn off" not in page.text
    refused = await client.post(
        "/account/two-factor/off",
        data={"password": PASSWORD, "_csrf_token": csrf_from(page.text)},
        headers={"accept": "application/json"},
    )
    assert refused.status_code == 403


async def test_common_and_short_passwords_are_refused_everywhere(client: Any) -> None:
    from fairground.accounts import hash_password
    from fairground.errors import Invalid

    for weak in ("password123", "qwertyuiop", "short"):
        try:
            hash_password(weak)
        except Invalid as exc:
            assert "password" in exc.fields
        else:
            raise AssertionError(weak)
    user = await make_user("door")
    await login(client, user)
    page = await client.get("/account")
    common = await client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "1234567890",
            "_csrf_token": csrf_from(page.text),
        },
    )
    assert common.status_code == 400 and "too common" in common.text
    wrong = await client.post(
        "/account/password",
        data={
            "current_password": "not it at all",
            "new_password": "three random words",
            "_csrf_token": csrf_from(page.text),
        },
    )
    assert wrong.status_code == 400 and "current password is not correct" in wrong.text


async def test_changing_the_password_ends_the_other_sessions(client: Any) -> None:
    user = await make_user("door")
    await login(client, user)
    async with AsyncTestClient(app=client.app, base_url="http://testserver.local") as other:
        other.follow_redirects = False
        await login(other, user)
        assert (await other.get("/account")).status_code == 200
        page = await client.get("/account")
        assert page.text.count("/end") == 1  # the other session, not this one
        changed = await client.post(
            "/account/password",
            data={
                "current_password": PASSWORD,
                "new_password": "three random words",
                "_csrf_token": csrf_from(page.text),
            },
        )
        assert changed.status_code == 303
        assert (await other.get("/account")).status_code in (302, 303)
    assert (await client.get("/account")).status_code == 200
    assert await AuditLog.exists().where(AuditLog.action == "password_changed")


async def test_the_account_page_lists_sessions_tokens_and_sign_ins_and_ends_them(
    client: Any,
) -> None:
    user = await make_user("exhibitor")
    await login(client, user)
    async with AsyncTestClient(app=client.app, base_url="http://testserver.local") as other:
        other.follow_redirects = False
        await login(other, user)
        page = await client.get("/account")
        assert "This session" in page.text and "Recent sign-ins" in page.text
        end = re.search(r'action="(/account/sessions/\d+/end)"', page.text)
        assert end
        await client.post(end.group(1), data={"_csrf_token": csrf_from(page.text)})
        assert (await other.get("/account")).status_code in (302, 303)
    created = await client.post(
        "/account/tokens", data={"label": "Job board", "_csrf_token": csrf_from(page.text)}
    )
    token = re.search(r'id="new-token" class="fg-token">([^<]+)<', created.text)
    assert token
    bearer = {"authorization": f"Bearer {token.group(1)}"}
    assert (await client.get("/api/v1/events", headers=bearer)).status_code == 200
    revoke = re.search(r'action="(/account/tokens/\d+/revoke)"', created.text)
    assert revoke
    await client.post(revoke.group(1), data={"_csrf_token": csrf_from(created.text)})
    assert (await client.get("/api/v1/events", headers=bearer)).status_code == 401


async def test_deactivating_a_person_ends_their_live_session_and_token(client: Any) -> None:
    org = await make_org()
    manager = await make_user("organiser", org=org)
    volunteer = await make_user("door", org=org)
    token = await token_for(volunteer)
    bearer = {"authorization": f"Bearer {token}"}
    async with AsyncTestClient(app=client.app, base_url="http://testserver.local") as door:
        door.follow_redirects = False
        await login(door, volunteer)
        assert (await door.get("/account")).status_code == 200
        assert (await door.get("/api/v1/events", headers=bearer)).status_code == 200  # cached
        await login(client, manager)
        people = await client.get("/organiser/people/")
        assert volunteer["email"] in people.text
        done = await client.post(
            f"/organiser/people/{volunteer['id']}/deactivate",
            data={"_csrf_token": csrf_from(people.text)},
        )
        assert done.status_code == 303
        assert (await door.get("/account")).status_code in (302, 303)
        assert (await door.get("/api/v1/events", headers=bearer)).status_code == 401
    assert not await ApiToken.exists().where(ApiToken.user == volunteer["id"])
    assert await AuditLog.exists().where(
        (AuditLog.action == "person_deactivated") & (AuditLog.object_id == str(volunteer["id"]))
    )


async def test_another_bodys_organiser_cannot_manage_or_see_these_people(client: Any) -> None:
    volunteer = await make_user("door", org=await make_org())
    outsider = await make_user("organiser", org=await make_org())
    await login(client, outsider)
    people = await client.get("/organiser/people/")
    assert volunteer["email"] not in people.text
    for action in ("deactivate", "reset-two-factor", "resend", "revoke", "reactivate", "role"):
        refused = await client.post(
            f"/organiser/people/{volunteer['id']}/{action}",
            data={"role": "organiser", "_csrf_token": csrf_from(people.text)},
        )
        assert refused.status_code == 404, action
    row = await User.select(User.active).where(User.id == volunteer["id"]).first()
    assert row and row["active"] is True


def _link(recipient: str, rows: list[dict[str, Any]]) -> str:
    row = next(r for r in rows if r["recipient"] == recipient)
    message = email.message_from_bytes(bytes(row["payload"]), policy=email.policy.default)
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    match = re.search(r"http://testserver.local(/password-reset/\S+)", text)
    assert match
    return match.group(1)


async def test_an_invitation_sets_a_password_once_and_not_after_expiry(client: Any) -> None:
    org = await make_org(name="West Midlands Employers")
    manager = await make_user("organiser", org=org)
    await login(client, manager)
    invited = await post_form(
        client,
        "/organiser/people/invite",
        {"name": "Priya Shah", "email": "priya@example.org", "role": "organiser"},
        page_url="/organiser/people/",
    )
    assert invited.status_code == 303
    council = await post_form(
        client,
        "/organiser/people/invite",
        {
            "name": "Tom Price",
            "email": "tom@example.org",
            "role": "council",
            "council_code": "E08000026",
        },
        page_url="/organiser/people/",
    )
    assert council.status_code == 303
    unknown = await post_form(
        client,
        "/organiser/people/invite",
        {"name": "X", "email": "x@example.org", "role": "council", "council_code": "NOPE"},
        page_url="/organiser/people/",
    )
    assert unknown.status_code == 400 and 'href="#council_code"' in unknown.text
    listing = await client.get("/organiser/people/")
    assert "priya@example.org" in listing.text and "tom@example.org" in listing.text
    assert "Invited" in listing.text
    rows = await OutboxMessage.select(OutboxMessage.recipient, OutboxMessage.payload)
    link = _link("priya@example.org", rows)
    client.cookies.clear()
    form = await client.get(link)
    assert "Set your password" in form.text
    common = await client.post(
        link,
        data={
            "password": "password123",
            "confirm": "password123",
            "_csrf_token": csrf_from(form.text),
        },
    )
    assert common.status_code == 400 and "too common" in common.text
    chosen = "a long and private phrase"
    done = await client.post(
        link, data={"password": chosen, "confirm": chosen, "_csrf_token": csrf_from(form.text)}
    )
    assert done.status_code in (302, 303)
    # An organiser must set up two-factor sign-in before anything else.
    assert (await client.get("/organiser/")).headers["location"] == "/account/two-factor"
    client.cookies.clear()
    form = await client.get(link)
    twice = await client.post(
        link, data={"password": chosen, "confirm": chosen, "_csrf_token": csrf_from(form.text)}
    )
    assert twice.status_code == 400 and "expired or was already used" in twice.text
    # Tom's link, expired.
    tom = await User.select(User.id, User.managed_by).where(User.email == "tom@example.org").first()
    assert tom and tom["managed_by"] == org
    await PasswordReset.update(
        {PasswordReset.expires_at: datetime.now(UTC) - timedelta(minutes=1)}
    ).where(PasswordReset.user == tom["id"])
    tom_link = _link("tom@example.org", rows)
    form = await client.get(tom_link)
    late = await client.post(
        tom_link, data={"password": chosen, "confirm": chosen, "_csrf_token": csrf_from(form.text)}
    )
    assert late.status_code == 400 and "expired or was already used" in late.text
    actions = {row["action"] for row in await AuditLog.select(AuditLog.action)}
    assert {"person_invited", "password_reset"} <= actions


async def test_resend_and_revoke_an_invitation(client: Any) -> None:
    org = await make_org()
    manager = await make_user("organiser", org=org)
    await login(client, manager)
    await post_form(
        client,
        "/organiser/people/invite",
        {"name": "Ola Nowak", "email": "ola@example.org", "role": "organiser"},
        page_url="/organiser/people/",
    )
    ola = await User.select(User.id).where(User.email == "ola@example.org").first()
    assert ola
    first = _link(
        "ola@example.org",
        await OutboxMessage.select(OutboxMessage.recipient, OutboxMessage.payload),
    )
    await post_form(
        client, f"/organiser/people/{ola['id']}/resend", {}, page_url="/organiser/people/"
    )
    form = await client.get(first)
    old = await client.post(
        first,
        data={
            "password": "x y z w v u t",
            "confirm": "x y z w v u t",
            "_csrf_token": csrf_from(form.text),
        },
    )
    assert old.status_code == 400  # the first link no longer works
    await post_form(
        client, f"/organiser/people/{ola['id']}/revoke", {}, page_url="/organiser/people/"
    )
    row = await User.select(User.active).where(User.id == ola["id"]).first()
    assert row and row["active"] is False
    actions = [
        r["action"]
        for r in await AuditLog.select(AuditLog.action).where(AuditLog.object_id == str(ola["id"]))
    ]
    assert {"person_invited", "invitation_resent", "invitation_revoked"} <= set(actions)


async def test_a_manager_resets_a_lost_device_and_changes_a_role(client: Any) -> None:
    org = await make_org()
    manager = await make_user("organiser", org=org)
    colleague = await make_user("organiser", org=org)
    await login(client, manager)
    await post_form(
        client,
        f"/organiser/people/{colleague['id']}/reset-two-factor",
        {},
        page_url="/organiser/people/",
    )
    row = (
        await User.select(User.totp_enabled_at, User.totp_secret)
        .where(User.id == colleague["id"])
        .first()
    )
    assert row and row["totp_enabled_at"] is None and row["totp_secret"] == ""
    await post_form(
        client,
        f"/organiser/people/{colleague['id']}/role",
        {"role": "door"},
        page_url="/organiser/people/",
    )
    role = await User.select(User.role).where(User.id == colleague["id"]).first()
    assert role and role["role"] == "door"
    refused = await post_form(
        client,
        f"/organiser/people/{colleague['id']}/role",
        {"role": "superuser"},
        page_url="/organiser/people/",
    )
    assert refused.status_code == 422
    details = await AuditLog.select(AuditLog.action, AuditLog.detail).where(
        AuditLog.object_id == str(colleague["id"])
    )
    assert {"two_factor_reset", "role_changed"} <= {d["action"] for d in details}


async def test_the_audit_log_is_scoped_filtered_and_exported(client: Any) -> None:
    org, other_org = await make_org(), await make_org()
    manager = await make_user("organiser", org=org)
    volunteer = await make_user("door", org=org)
    outsider = await make_user("organiser", org=other_org)
    stranger = await make_user("door", org=other_org)
    await login(client, outsider)
    await post_form(
        client, f"/organiser/people/{stranger['id']}/deactivate", {}, page_url="/organiser/people/"
    )
    client.cookies.clear()
    await login(client, manager)
    await post_form(
        client, f"/organiser/people/{volunteer['id']}/deactivate", {}, page_url="/organiser/people/"
    )
    log = await client.get("/organiser/audit/")
    assert log.status_code == 200 and "person_deactivated" in log.text
    assert manager["email"] in log.text and outsider["email"] not in log.text
    filtered = await client.get("/organiser/audit/?action=login&person=nobody-at-all")
    assert "Nothing matches" in filtered.text
    exported = await client.get("/organiser/audit/?format=csv&action=person_deactivated")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    lines = exported.text.strip().splitlines()
    assert lines[0].startswith("time (UTC),person,email,action")
    assert len(lines) == 2 and str(volunteer["id"]) in lines[1]
    bad = await client.get("/organiser/audit/?from=31/12/2026")
    assert bad.status_code == 400
    client.cookies.clear()
    root = await make_user("superuser")
    await login(client, root)
    everything = await client.get("/organiser/audit/?action=person_deactivated&format=csv")
    assert len(everything.text.strip().splitlines()) == 3


async def test_time_steps_are_30_seconds() -> None:
    assert twofactor.STEP == 30 and int(time.time()) // 30 > 0
