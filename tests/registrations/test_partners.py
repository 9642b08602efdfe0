"""Employability partners (issue 16): referral links, assisted registration without an
email (a tagged PDF ticket that checks in), the partner's view of outcomes (named only
with consent, otherwise counts with those under 5 suppressed), and who may see it."""

from __future__ import annotations

import io
import re
from typing import Any

import zxingcpp
from PIL import Image
from pypdf import PdfReader

from exhibitors.leads.tables import Lead, LeadDelivery
from fairground.organisations import derive_short_code, unique_short_code
from registrations.tables import Registration
from tests.factories import (
    add_door,
    csrf_from,
    login,
    make_event,
    make_open_event,
    make_partner,
    make_user,
    post_form,
    token_for,
)
from tests.registrations.helpers import outbox, parse_mime, raw


def test_short_codes_from_names() -> None:
    assert derive_short_code("Jobcentre Plus — Walsall") == "jobcentre-plus-walsall"
    assert derive_short_code("Ośrodek Pomocy") == "osrodek-pomocy"
    assert derive_short_code("مركز") == "org"
    assert unique_short_code("walsall", {"walsall", "walsall-2"}) == "walsall-3"


async def _register_via_pages(client: Any, event: dict[str, Any], via: str, consent: bool) -> str:
    slug = event["slug"]
    base = f"/events/{slug}/register"
    first = await client.get(f"{base}?via={via}")
    assert first.status_code == 200
    steps = [
        (
            "",
            {
                "name": "Amira Khan",
                "email": "amira@example.org",
                "postcode": "B1 2ND",
                "home_council": "unsure",
            },
        ),
        ("/interests", {"job_alerts": "no"}),
        ("/access", {}),
    ]
    for step, data in steps:
        page = await client.get(base + step)
        response = await client.post(
            base + step, data={**data, "_csrf_token": csrf_from(page.text)}
        )
        assert response.status_code == 303, response.text
    check = await client.get(f"{base}/check")
    assert "referred you to this fair" in check.text
    data = {"_csrf_token": csrf_from(check.text)}
    if consent:
        data["partner_consent"] = "yes"
    done = await client.post(f"{base}/check", data=data)
    assert done.status_code == 303, done.text
    return str(done.headers["location"]).split("/")[2]


async def test_a_referral_from_a_link_is_recorded_and_removable(client: Any) -> None:
    event = await make_event()
    partner = await make_partner("Walsall Refugee Forum", "refugee", invite_to=event["id"])
    event_page = await client.get(f"/events/{event['slug']}?via={partner['short_code']}")
    assert f"register?via={partner['short_code']}" in event_page.text
    token = await _register_via_pages(client, event, partner["short_code"], consent=True)
    row = await Registration.select().where(Registration.manage_token == token).first()
    assert row["referred_by"] == partner["id"] and row["partner_consent"] is True

    manage = await client.get(f"/r/{token}")
    assert "Walsall Refugee Forum referred you to this fair." in manage.text
    withdrawn = await post_form(
        client, f"/r/{token}/partner-consent", {"given": "no"}, page_url=f"/r/{token}"
    )
    assert withdrawn.status_code == 303
    row = await Registration.select().where(Registration.manage_token == token).first()
    assert row["partner_consent"] is False and row["referred_by"] == partner["id"]
    removed = await post_form(client, f"/r/{token}/referral/remove", {}, page_url=f"/r/{token}")
    assert removed.status_code == 303
    row = await Registration.select().where(Registration.manage_token == token).first()
    assert row["referred_by"] is None
    assert "referred you" not in (await client.get(f"/r/{token}")).text


async def test_a_code_of_a_partner_not_invited_is_ignored(client: Any) -> None:
    event = await make_event()
    stranger = await make_partner("Not Invited Trust")
    body = raw(via=stranger["short_code"])
    created = await client.post(f"/api/v1/events/{event['slug']}/registrations", json=body)
    assert created.status_code == 201, created.text
    row = await Registration.select().where(Registration.email == "amira@example.org").first()
    assert row["referred_by"] is None
    nonsense = raw(email="b@example.org", via="<script>")
    assert (
        await client.post(f"/api/v1/events/{event['slug']}/registrations", json=nonsense)
    ).status_code == 201


def _qr_from_pdf(pdf: bytes) -> str:
    """The QR code as printed: the page's image, decoded by zxing-cpp."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    (image,) = page.images
    picture = Image.open(io.BytesIO(image.data)).convert("L")
    found = zxingcpp.read_barcodes(picture)
    assert found, "no QR code in the PDF"
    return str(found[0].text)


def _structure(pdf: bytes) -> tuple[Any, list[tuple[str, str | None]]]:
    root = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    tree = root["/StructTreeRoot"].get_object()
    kids = tree["/K"]
    document = (kids[0] if isinstance(kids, list) else kids).get_object()
    elements = [(k.get_object()["/S"], k.get_object().get("/Alt")) for k in document["/K"]]
    return root, elements


async def test_assisted_registration_without_email_gives_a_pdf_that_checks_in(
    client: Any,
) -> None:
    event = await make_open_event()
    partner = await make_partner("Jobcentre Plus Walsall", "jobcentre", invite_to=event["id"])
    coach = await make_user("partner", org=partner["id"])
    headers = {"authorization": f"Bearer {await token_for(coach)}"}
    body = raw(email="", name="Dawit Tesfaye", partner_consent=True)
    url = f"/api/v1/events/{event['slug']}/registrations"
    assert (await client.post(url, json=body)).status_code == 422  # the public needs an email
    created = await client.post(url, json=body, headers=headers)
    assert created.status_code == 201, created.text
    links = created.json()["links"]
    assert links["ticket_pdf"] == f"{links['manage']}/ticket.pdf"
    row = await Registration.select().where(Registration.name == "Dawit Tesfaye").first()
    assert row["email"] is None and row["referred_by"] == partner["id"]
    assert row["assisted_by"] == coach["id"] and row["partner_consent"] is True

    for size in ("a4", "a6"):
        pdf = await client.get(f"{links['ticket_pdf']}?size={size}")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert _qr_from_pdf(pdf.content) == row["ticket_code"]
    pdf = (await client.get(links["ticket_pdf"])).content
    root, elements = _structure(pdf)
    assert bool(root["/MarkInfo"]["/Marked"]) and root["/Lang"] == "en-GB"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    kinds = [kind for kind, _ in elements]
    assert kinds[0] == "/H1" and "/H2" in kinds and "/P" in kinds
    figures = [alt for kind, alt in elements if kind == "/Figure"]
    assert len(figures) == 1 and "QR code" in str(figures[0])
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "What to bring" in text and "Step-free entrance" in text

    door = await make_user("door")
    await add_door(event["id"], door["id"])
    scan = await client.post(
        "/api/v1/checkins",
        json={"code": _qr_from_pdf(pdf), "event": event["slug"], "door": "Main"},
        headers={"authorization": f"Bearer {await token_for(door)}"},
    )
    assert scan.status_code == 200 and scan.json()["result"] == "ok", scan.text


async def test_the_confirmation_email_attaches_the_pdf(client: Any) -> None:
    event = await make_event()
    created = await client.post(f"/api/v1/events/{event['slug']}/registrations", json=raw())
    assert created.status_code == 201
    (message,) = await outbox("registration_confirmation")
    pdfs = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    assert len(pdfs) == 1 and pdfs[0].get_filename() == "ticket.pdf"
    assert _qr_from_pdf(pdfs[0].get_content()) == created.json()["ticket_code"]
    assert parse_mime(message.as_bytes())  # still a well-formed message


async def _referred(
    event: dict[str, Any], partner: dict[str, Any], n: int, consent: bool
) -> list[int]:
    from registrations.services import register_attendee, validate_registration

    ids = []
    for i in range(n):
        data = await validate_registration(
            event,
            raw(name=f"{'Named' if consent else 'Client'} {i}", email=f"{consent}{i}@example.org"),
        )
        import dataclasses

        data = dataclasses.replace(data, referred_by=partner["id"], partner_consent=consent)
        result = await register_attendee(event["slug"], data)
        row = (
            await Registration.select(Registration.id)
            .where(Registration.reference == result.reference)
            .first()
        )
        ids.append(int(row["id"]))
    return ids


async def _hired(event: dict[str, Any], registration_id: int, council: int) -> None:
    lead = await Lead.insert(Lead(event=event["id"], registration=registration_id)).returning(
        Lead.id
    )
    await LeadDelivery.insert(
        LeadDelivery(
            lead=lead[0]["id"],
            council=council,
            rule="test",
            consent_basis="consent_councils",
            outcome="hired",
        )
    )


async def test_named_outcomes_only_with_consent_and_small_counts_suppressed(client: Any) -> None:
    from tests.factories import make_org

    event = await make_open_event()
    partner = await make_partner("Walsall College", "college", invite_to=event["id"])
    named = await _referred(event, partner, 2, consent=True)
    others = await _referred(event, partner, 6, consent=False)
    council = await make_org()
    await _hired(event, named[0], council)
    await _hired(event, others[0], council)
    await Registration.update({Registration.checked_in_at: event["starts_at"]}).where(
        Registration.id.is_in(others[:5])
    )
    staff = await make_user("partner", org=partner["id"])
    headers = {"authorization": f"Bearer {await token_for(staff)}"}
    url = f"/api/v1/partners/{partner['short_code']}/referrals?event={event['slug']}"
    report = await client.get(url, headers=headers)
    assert report.status_code == 200, report.text
    body = report.json()
    assert [r["name"] for r in body["named"]] == ["Named 0", "Named 1"]
    assert body["named"][0]["outcome"] == "hired"
    others_counts = body["others"]
    assert others_counts["registered"] == 6 and others_counts["attended"] == 5
    assert others_counts["hired"] is None and others_counts["contacted"] is None  # 1: suppressed
    assert "Client" not in report.text
    csv_text = (await client.get(url + "&format=csv", headers=headers)).text
    assert "Named 0" in csv_text and "fewer than 5" in csv_text and "Client 0" not in csv_text


async def test_another_partners_staff_are_refused(client: Any) -> None:
    event = await make_open_event()
    ours = await make_partner("Ours", invite_to=event["id"])
    theirs = await make_partner("Theirs", invite_to=event["id"])
    url = f"/api/v1/partners/{ours['short_code']}/referrals?event={event['slug']}"
    for role, org in (("partner", theirs["id"]), ("organiser", event["organisation"])):
        user = await make_user(role, org=org)
        refused = await client.get(
            url, headers={"authorization": f"Bearer {await token_for(user)}"}
        )
        assert refused.status_code == 403, (role, refused.text)
    assert (await client.get(url)).status_code == 401
    # Partner staff of a partner not invited cannot register without an email either.
    stranger = await make_user("partner", org=theirs["id"])
    other_event = await make_open_event()
    body = raw(email="")
    response = await client.post(
        f"/api/v1/events/{other_event['slug']}/registrations",
        json=body,
        headers={"authorization": f"Bearer {await token_for(stranger)}"},
    )
    assert response.status_code == 422


async def test_assisted_registration_on_the_pages(client: Any) -> None:
    event = await make_event()
    partner = await make_partner("Walsall Works", invite_to=event["id"])
    coach = await make_user("partner", org=partner["id"])
    await login(client, coach)
    base = f"/events/{event['slug']}/register"
    page = await client.get(base)
    saved = await client.post(
        base,
        data={
            "name": "Tom Client",
            "email": "",
            "postcode": "",
            "home_council": "unsure",
            "_csrf_token": csrf_from(page.text),
        },
    )
    assert saved.status_code == 303, saved.text
    for step, data in (("/interests", {"job_alerts": "no"}), ("/access", {})):
        page = await client.get(base + step)
        assert (
            await client.post(base + step, data={**data, "_csrf_token": csrf_from(page.text)})
        ).status_code == 303
    check = await client.get(f"{base}/check")
    assert "Read this out to your client" in check.text and 'id="read-out"' in check.text
    done = await client.post(f"{base}/check", data={"_csrf_token": csrf_from(check.text)})
    assert done.status_code == 303, done.text
    confirmation = await client.get(done.headers["location"])
    assert "ticket.pdf" in confirmation.text and "Keep this link" in confirmation.text
    assert re.search(r"/r/[\w-]+", confirmation.text)


async def test_organiser_invites_a_partner_and_prints_its_poster(client: Any) -> None:
    from fairground.organisations import create_partner

    organiser = await make_user("organiser", org=(await make_partner("Placeholder"))["id"])
    event = await make_event(organiser["org"])
    await create_partner("Walsall Migrant Help", "refugee")
    await login(client, organiser)
    url = f"/organiser/events/{event['slug']}/partners"
    refused = await post_form(client, url, {"partner": "Nobody At All"})
    assert refused.status_code == 400 and "No partner has this name" in refused.text
    invited = await post_form(client, url, {"partner": "Walsall Migrant Help"})
    assert invited.status_code in (302, 303)
    listing = await client.get(url)
    assert f"/events/{event['slug']}?via=walsall-migrant-help" in listing.text
    poster = await client.get(f"{url}/walsall-migrant-help/poster.pdf")
    assert poster.status_code == 200 and poster.headers["content-type"] == "application/pdf"
    assert _qr_from_pdf(poster.content).endswith(
        f"/events/{event['slug']}?via=walsall-migrant-help"
    )
    _, elements = _structure(poster.content)
    assert elements[0][0] == "/H1" and any(kind == "/Figure" and alt for kind, alt in elements)


async def test_the_partner_sees_its_fairs_and_referrals(client: Any) -> None:
    event = await make_open_event()
    partner = await make_partner("Walsall Aspire", invite_to=event["id"])
    await _referred(event, partner, 1, consent=True)
    staff = await make_user("partner", org=partner["id"])
    await login(client, staff)
    index = await client.get("/partner")
    assert index.status_code == 200 and f"/partner/events/{event['slug']}" in index.text
    view = await client.get(f"/partner/events/{event['slug']}")
    assert view.status_code == 200 and "Named 0" in view.text and "fewer than 5" in view.text
    csv_file = await client.get(f"/partner/events/{event['slug']}/referrals.csv")
    assert csv_file.status_code == 200 and "Named 0" in csv_file.text
    poster = await client.get(f"/partner/events/{event['slug']}/poster.pdf")
    assert poster.status_code == 200
    elsewhere = await make_open_event()
    assert (await client.get(f"/partner/events/{elsewhere['slug']}")).status_code == 404


async def test_funder_summary_by_partner_and_council_with_returning_people(client: Any) -> None:
    from datetime import timedelta

    organiser = await make_user("organiser", org=(await make_partner("Org Placeholder"))["id"])
    earlier = await make_event(organiser["org"], starts_at=event_time(5))
    event = await make_event(organiser["org"], starts_at=event_time(30))
    partner = await make_partner("Walsall Jobs Club", invite_to=event["id"])
    from tests.registrations.helpers import register

    for i in range(5):
        await register(earlier, name=f"Back {i}", email=f"back{i}@example.org")
    for i in range(5):
        await register(event, name=f"Back {i}", email=f"back{i}@example.org")
    await _referred(event, partner, 6, consent=False)
    await login(client, organiser)
    summary = await client.get(f"/organiser/events/{event['slug']}/funder-summary")
    assert summary.status_code == 200, summary.text
    assert "Walsall Jobs Club" in summary.text and "No partner" in summary.text
    csv_text = (
        await client.get(f"/organiser/events/{event['slug']}/funder-summary?format=csv")
    ).text
    lines = {line.split(",")[0]: line.split(",") for line in csv_text.splitlines() if line}
    header = lines["referring partner"]
    jobs_club = dict(zip(header, lines["Walsall Jobs Club"], strict=True))
    no_partner = dict(zip(header, lines["No partner"], strict=True))
    assert jobs_club["registered"] == "6" and jobs_club["first_time"] == "6"
    assert no_partner["returning"] == "5" and no_partner["first_time"] == "fewer than 5"
    assert jobs_club["hired"] == "fewer than 5"
    assert timedelta


def event_time(days: int) -> Any:
    from tests.factories import future

    return future(days)
