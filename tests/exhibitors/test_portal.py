"""The exhibitor portal: isolation between exhibitors, profile, logo, staff, badges."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from pypdf import PdfReader

from exhibitors import logos
from exhibitors.queries import get_exhibitor, staff_of
from exhibitors.services import invite_colleague, update_profile
from exhibitors.stands import allocate_stand
from exhibitors.tables import Exhibitor, ExhibitorStaff, Vacancy
from fairground.errors import Conflict, Invalid
from tests.exhibitors.helpers import apply, approve, image_bytes, make_stand, outbox, text_of
from tests.factories import PASSWORD, csrf_from, login, make_event, make_org, make_user


async def _two_exhibitors() -> dict[str, Any]:
    """Two approved exhibitors at one fair, each with a signed-in-able staff member."""
    org = await make_org()
    organiser = await make_user("organiser", org=org)
    event = await make_event(org)
    found: dict[str, Any] = {"event": event, "organiser": organiser}
    for key, name in (("a", "Coventry City Council"), ("b", "Rugby Borough Council")):
        exhibitor_id = await apply(event, organisation=name, subscriber_ref="")
        await approve(event, exhibitor_id, organiser["id"])
        user = await make_user("exhibitor")
        await ExhibitorStaff.insert(ExhibitorStaff(exhibitor=exhibitor_id, user=user["id"]))
        found[key], found[f"{key}_user"] = exhibitor_id, user
    return found


# Every portal endpoint, with a body for the writes: exhibitor A's staff must get
# 403 on exhibitor B for each, and B must be unchanged.
PORTAL_ENDPOINTS = [
    ("GET", "/exhibitor/{id}", None),
    ("GET", "/exhibitor/{id}/profile", None),
    (
        "POST",
        "/exhibitor/{id}/profile",
        {"profile": "Hijacked", "vacancy_1_title": "X", "vacancy_1_job_family": "digital"},
    ),
    ("POST", "/exhibitor/{id}/logo", "logo"),
    ("POST", "/exhibitor/{id}/staff", {"name": "Intruder", "email": "intruder@example.org"}),
    ("GET", "/exhibitor/{id}/badges.pdf", None),
]


@pytest.mark.parametrize(("method", "path", "body"), PORTAL_ENDPOINTS)
async def test_exhibitor_a_cannot_read_or_edit_exhibitor_b(
    client: Any, method: str, path: str, body: Any
) -> None:
    world = await _two_exhibitors()
    await login(client, world["a_user"])
    token = csrf_from((await client.get(f"/exhibitor/{world['a']}")).text)
    before = await get_exhibitor(world["b"])
    staff_before = await staff_of(world["b"])
    url = path.format(id=world["b"])
    if method == "GET":
        response = await client.get(url)
    elif body == "logo":
        response = await client.post(
            url, data={"_csrf_token": token}, files={"logo": ("l.png", image_bytes(), "image/png")}
        )
    else:
        response = await client.post(url, data={**body, "_csrf_token": token})
    assert response.status_code == 403, (url, response.status_code)
    assert await get_exhibitor(world["b"]) == before
    assert await staff_of(world["b"]) == staff_before
    own = await client.get(path.format(id=world["a"])) if method == "GET" else None
    assert own is None or own.status_code == 200


async def test_the_events_organiser_can_see_every_stand_and_others_cannot(client: Any) -> None:
    world = await _two_exhibitors()
    await login(client, world["organiser"])
    assert (await client.get(f"/exhibitor/{world['b']}")).status_code == 200
    other = await make_user("organiser", org=await make_org())
    await client.post("/logout", data={"_csrf_token": csrf_from((await client.get("/")).text)})
    await login(client, other)
    assert (await client.get(f"/exhibitor/{world['b']}")).status_code == 403


async def test_portal_shows_the_stand_on_the_plan_highlighted(client: Any) -> None:
    world = await _two_exhibitors()
    a1 = await make_stand(world["event"]["id"], "A1")
    await make_stand(world["event"]["id"], "A2", x=4)
    await allocate_stand(world["event"]["id"], world["a"], a1, world["organiser"]["id"])
    await login(client, world["a_user"])
    page = await client.get(f"/exhibitor/{world['a']}")
    assert 'data-stand="A1"' in page.text
    mine = re.search(r'app-floorplan__stand--mine[^>]*data-stand-code="(\w+)"', page.text)
    assert mine and mine.group(1) == "A1"
    assert page.text.count("app-floorplan__stand--mine") == 1


async def test_profile_and_vacancies_are_saved_together(client: Any) -> None:
    world = await _two_exhibitors()
    await login(client, world["a_user"])
    url = f"/exhibitor/{world['a']}/profile"
    token = csrf_from((await client.get(url)).text)
    response = await client.post(
        url,
        data={
            "_csrf_token": token,
            "profile": "Come and meet our social workers.",
            "vacancy_1_title": "Social Worker",
            "vacancy_1_job_family": "social-work",
            "vacancy_2_title": "",
            "vacancy_3_title": "Planner",
            "vacancy_3_job_family": "planning",
            "vacancy_3_url": "https://jobs.example.org/planner",
        },
    )
    assert response.status_code == 303
    exhibitor = await get_exhibitor(world["a"])
    assert exhibitor["profile"] == "Come and meet our social workers."
    assert [v["title"] for v in exhibitor["vacancies"]] == ["Social Worker", "Planner"]


async def test_bad_profile_names_the_row_and_keeps_the_old_vacancies(client: Any) -> None:
    world = await _two_exhibitors()
    await login(client, world["a_user"])
    url = f"/exhibitor/{world['a']}/profile"
    token = csrf_from((await client.get(url)).text)
    response = await client.post(
        url,
        data={
            "_csrf_token": token,
            "profile": "New text",
            "vacancy_1_title": "Fine",
            "vacancy_1_job_family": "digital",
            "vacancy_2_title": "Broken",
            "vacancy_2_job_family": "digital",
            "vacancy_2_url": "ftp://nope",
        },
    )
    assert response.status_code == 400
    assert 'href="#vacancy_2_url"' in response.text
    exhibitor = await get_exhibitor(world["a"])
    assert exhibitor["profile"] == "" and [v["title"] for v in exhibitor["vacancies"]] == [
        "Social Worker"
    ]


async def _upload(client: Any, exhibitor_id: int, data: bytes, name: str, kind: str) -> Any:
    token = csrf_from((await client.get(f"/exhibitor/{exhibitor_id}/profile")).text)
    return await client.post(
        f"/exhibitor/{exhibitor_id}/logo",
        data={"_csrf_token": token},
        files={"logo": (name, data, kind)},
    )


async def test_a_png_or_jpeg_logo_is_reencoded_and_served_safely(client: Any) -> None:
    world = await _two_exhibitors()
    await login(client, world["a_user"])
    for fmt in ("PNG", "JPEG"):
        response = await _upload(client, world["a"], image_bytes(fmt, (2000, 500)), "x", "image/x")
        assert response.status_code == 303, response.text
    name = (await get_exhibitor(world["a"]))["logo"]
    assert re.fullmatch(r"[0-9a-f]{32}\.png", name)
    served = await client.get(f"/logos/{name}")
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    from PIL import Image

    assert Image.open(io.BytesIO(served.content)).size == (800, 200)
    assert len(list(logos.logo_dir().iterdir())) == 1  # the first logo was removed


@pytest.mark.parametrize(
    ("data", "filename", "kind", "message"),
    [
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "logo.svg",
            "image/svg+xml",
            "PNG or JPEG",
        ),
        (b"<html><script>alert(1)</script></html>", "logo.png", "image/png", "PNG or JPEG"),
        (b"GIF89a" + b"\x00" * 100, "logo.gif", "image/gif", "PNG or JPEG"),
        (b"\x89PNG\r\n\x1a\n" + b"garbage" * 50, "logo.png", "image/png", "could not be read"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * (2 * 1024 * 1024), "big.png", "image/png", "2 MB"),
        (b"", "empty.png", "image/png", "Choose an image"),
    ],
)
async def test_a_logo_of_the_wrong_type_or_size_is_refused(
    client: Any, data: bytes, filename: str, kind: str, message: str
) -> None:
    world = await _two_exhibitors()
    await login(client, world["a_user"])
    response = await _upload(client, world["a"], data, filename, kind)
    assert response.status_code == 400, response.text
    assert message in response.text and 'href="#logo"' in response.text
    assert (await get_exhibitor(world["a"]))["logo"] == ""
    assert not logos.logo_dir().exists() or not list(logos.logo_dir().iterdir())


def test_logo_names_cannot_reach_other_files() -> None:
    for name in ("../../etc/passwd", "..png", "a" * 32 + ".svg", ""):
        assert logos.logo_path(name) is None


async def test_unknown_logo_is_404(client: Any) -> None:
    assert (await client.get(f"/logos/{'0' * 32}.png")).status_code == 404


async def test_staff_invitations_stop_at_the_agreed_number() -> None:
    world = await _two_exhibitors()  # staff: 3 agreed; the contact and one user already
    actor = world["a_user"]["id"]
    assert len(await staff_of(world["a"])) == 2
    await invite_colleague(world["a"], "Jo Bloggs", "jo@coventry.gov.uk", actor)
    invite = (await outbox("exhibitor_staff_invite"))[0]
    assert invite["recipient"] == "jo@coventry.gov.uk" and "/password-reset/" in text_of(invite)
    with pytest.raises(Conflict) as full:
        await invite_colleague(world["a"], "One Too Many", "more@coventry.gov.uk", actor)
    assert full.value.code == "staff_limit" and "email" in full.value.fields
    assert len(await staff_of(world["a"])) == 3


@pytest.mark.parametrize(
    ("name", "email", "field"),
    [("", "jo@example.org", "name"), ("Jo", "nope", "email")],
)
async def test_bad_invitations_name_the_field(name: str, email: str, field: str) -> None:
    world = await _two_exhibitors()
    with pytest.raises(Invalid) as caught:
        await invite_colleague(world["a"], name, email, world["a_user"]["id"])
    assert field in caught.value.fields


async def test_inviting_an_organiser_address_is_refused() -> None:
    world = await _two_exhibitors()
    with pytest.raises(Conflict) as caught:
        await invite_colleague(
            world["a"], "Org", world["organiser"]["email"], world["a_user"]["id"]
        )
    assert caught.value.code == "account_exists"


async def test_an_invited_colleague_sets_a_password_and_reaches_the_stand(client: Any) -> None:
    world = await _two_exhibitors()
    await invite_colleague(world["a"], "Jo Bloggs", "jo@coventry.gov.uk", world["a_user"]["id"])
    link = re.search(
        r"/password-reset/([\w-]+)", text_of((await outbox("exhibitor_staff_invite"))[0])
    )
    assert link
    url = f"/password-reset/{link.group(1)}"
    page = await client.get(url)
    assert "Set your password" in page.text and "Set password and sign in" in page.text
    response = await client.post(
        url,
        data={
            "_csrf_token": csrf_from(page.text),
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    # Signed in at once, on their stands: no "has been changed" page, no second sign-in.
    assert response.status_code in (302, 303), response.text
    assert response.headers["location"] == "/exhibitor"
    assert (await client.get("/exhibitor")).status_code == 200
    assert (await client.get(f"/exhibitor/{world['a']}")).status_code == 200
    assert (await client.get(f"/exhibitor/{world['b']}")).status_code == 403


async def test_badges_pdf_has_each_persons_name_organisation_and_stand(client: Any) -> None:
    world = await _two_exhibitors()
    a7 = await make_stand(world["event"]["id"], "A7")
    await allocate_stand(world["event"]["id"], world["a"], a7, world["organiser"]["id"])
    await invite_colleague(
        world["a"], "Zoë Łukasiewicz", "zoe@coventry.gov.uk", world["a_user"]["id"]
    )
    await login(client, world["a_user"])
    response = await client.get(f"/exhibitor/{world['a']}/badges.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    for expected in (
        "Sam Patel",
        "Zoë Łukasiewicz",
        "Coventry City Council",
        "Stand A7",
        world["event"]["title"],
    ):
        assert expected in text


async def test_profile_service_rejects_overlong_text_and_keeps_nothing() -> None:
    world = await _two_exhibitors()
    with pytest.raises(Invalid) as caught:
        await update_profile(world["a"], {"profile": "x" * 3001, "vacancies": []}, 1)
    assert "profile" in caught.value.fields
    assert await Vacancy.count().where(Vacancy.exhibitor == world["a"]) == 1
    assert (await Exhibitor.select(Exhibitor.profile).where(Exhibitor.id == world["a"]).first())[
        "profile"
    ] == ""
