"""Door staff invited by organisers from the event page (a link to set a password,
as exhibitor staff get), the door team listed, and removal that ends access to
the event at once, for the session and the API token alike."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from litestar.testing import AsyncTestClient

from app import create_app
from events.tables import DoorAssignment
from fairground.tables import AuditLog, User
from tests.factories import (
    csrf_from,
    login,
    make_open_event,
    make_org,
    make_user,
    post_form,
    token_for,
)
from tests.registrations.helpers import outbox, parts, register


def _second_browser() -> Any:
    """Another person's browser (or a scanner using its token), with its own cookies."""
    client = AsyncTestClient(app=create_app(), base_url="http://testserver.local")
    client.follow_redirects = False
    return client


async def _organiser_event(client: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    org = await make_org()
    organiser = await make_user("organiser", org=org)
    event = await make_open_event(org)
    await login(client, organiser)
    return event, organiser


async def _invite(client: Any, event: dict[str, Any], **fields: str) -> Any:
    base = f"/organiser/events/{event['slug']}"
    return await post_form(client, f"{base}/door-staff", fields, page_url=base)


async def test_an_organiser_invites_door_staff_who_set_a_password_and_scan(
    client: Any,
) -> None:
    event, _ = await _organiser_event(client)
    response = await _invite(client, event, name="Dev Door", email="Dev.Door@Example.org")
    assert response.status_code == 303, response.text
    page = await client.get(response.headers["location"])
    assert "Dev Door" in page.text and "dev.door@example.org" in page.text
    assert "Invited" in page.text and 'data-door-flash="invited"' in page.text

    [mail] = await outbox("door_staff_invite")
    assert mail["To"] == "dev.door@example.org" and event["title"] in mail["Subject"]
    link = next(w for w in parts(mail)["text"].split() if "/password-reset/" in w)
    assert f"/door/events/{event['slug']}" in parts(mail)["text"]

    async with _second_browser() as door:
        path = urlsplit(link).path
        form = await door.get(path)
        assert form.status_code == 200, form.text
        password = "a door password of mine"
        done = await door.post(
            path,
            data={"password": password, "confirm": password, "_csrf_token": csrf_from(form.text)},
        )
        assert done.status_code in (302, 303), done.text
        await login(door, {"email": "dev.door@example.org", "password": password})
        assert (await door.get(f"/door/events/{event['slug']}/scan")).status_code == 200
    user = await User.select(User.role, User.organisation).where(
        User.email == "dev.door@example.org"
    )
    assert user == [{"role": "door", "organisation": event["organisation"]}]


async def test_invitation_errors_name_the_fields(client: Any) -> None:
    event, _ = await _organiser_event(client)
    bad = await _invite(client, event, name="", email="not an email")
    assert bad.status_code == 400 and 'href="#email"' in bad.text
    nameless = await _invite(client, event, name="", email="new@example.org")
    assert nameless.status_code == 400 and 'href="#name"' in nameless.text
    exhibitor = await make_user("exhibitor")
    other_kind = await _invite(client, event, name="X", email=exhibitor["email"])
    assert other_kind.status_code == 400 and "different kind of account" in other_kind.text
    assert await DoorAssignment.count() == 0
    await _invite(client, event, name="Once", email="once@example.org")
    twice = await _invite(client, event, name="Once", email="once@example.org")
    assert twice.status_code == 400 and "already on the door team" in twice.text
    assert await DoorAssignment.count() == 1


async def test_an_existing_door_account_is_added_and_told_to_sign_in(client: Any) -> None:
    event, _ = await _organiser_event(client)
    existing = await make_user("door")
    response = await _invite(client, event, name="", email=existing["email"])
    assert response.status_code == 303, response.text
    [mail] = await outbox("door_staff_invite")
    assert "/password-reset/" not in parts(mail)["text"] and "/login" in parts(mail)["text"]


async def test_removing_someone_ends_their_access_at_once(client: Any) -> None:
    event, organiser = await _organiser_event(client)
    door_user = await make_user("door")
    await _invite(client, event, name="", email=door_user["email"])
    person = await register(event, email="amira@example.org")
    token = await token_for(door_user)
    scan = {"code": person.ticket_code, "event": event["slug"], "door": "Main"}
    headers = {"authorization": f"Bearer {token}"}
    async with _second_browser() as door:
        await login(door, door_user)
        assert (await door.get(f"/door/events/{event['slug']}/find")).status_code == 200
        stats = f"/api/v1/events/{event['slug']}/checkins/stats"
        async with _second_browser() as api:  # the token alone, no session
            assert (await api.get(stats, headers=headers)).status_code == 200
            first = await api.post(
                "/api/v1/checkins", json={**scan, "code": "FG1.x"}, headers=headers
            )
            assert first.status_code == 200  # allowed (and, before, remembered for 10 s)

        page = await client.get(f"/organiser/events/{event['slug']}")
        action = re.search(r'action="([^"]+/door-staff/\d+/remove)"', page.text)
        assert action is not None
        removed = await client.post(action.group(1), data={"_csrf_token": csrf_from(page.text)})
        assert removed.status_code == 303, removed.text
        after = await client.get(removed.headers["location"])
        assert 'data-door-flash="removed"' in after.text and door_user["email"] not in after.text

        assert (await door.get(f"/door/events/{event['slug']}/find")).status_code == 403
        async with _second_browser() as api:
            refused = await api.post("/api/v1/checkins", json=scan, headers=headers)
            assert refused.status_code == 403
            assert (await api.get(stats, headers=headers)).status_code == 403
        assert event["slug"] not in (await door.get("/door")).text
    assert await AuditLog.count().where(AuditLog.action == "door_staff_removed") == 1
    again = await client.post(action.group(1), data={"_csrf_token": csrf_from(page.text)})
    assert again.status_code == 404
    assert organiser  # the organiser did it, through the page
