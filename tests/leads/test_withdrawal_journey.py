"""Consent withdrawal end to end: a lead routed and delivered to Rugby, whose webhook is
a real HTTP server on 127.0.0.1; then the attendee withdraws (their consent changed as
the change page does it, or at /r/<token>/stand-consents) → no new delivery, the
portal and the CSV show the lead withdrawn without contact details, and the server
gets a correctly signed `consent.withdrawn`."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from exhibitors.leads import webhooks
from exhibitors.leads.tables import LeadDelivery, WebhookSend
from tests.factories import council_id, login, make_event, post_form, token_for
from tests.leads.helpers import (
    RUGBY,
    WARWICKSHIRE,
    attendee,
    change_consent,
    make_stand,
    recruiter,
    route_all,
    scan,
)
from tests.servers import Received, WebhookServer, webhook_server

PHONE = "07700 900456"
EMAIL = "amira.khan@example.org"


@pytest.fixture
def hook_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookServer]:
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "1")  # the server is on loopback
    with webhook_server() as server:
        yield server


def _signed_by(secret: str, post: Received) -> bool:
    """The receiver's check, written out: HMAC-SHA256 of "<t>.<body>", and a recent t."""
    parts = dict(item.split("=", 1) for item in post.headers["x-fairground-signature"].split(","))
    expected = hmac.new(
        secret.encode(), parts["t"].encode() + b"." + post.body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) < 300


async def _delivered(client: Any, server: WebhookServer) -> dict[str, Any]:
    """A stand scan with consent, routed to Rugby and Warwickshire; Rugby's webhook got it."""
    secret = await webhooks.set_webhook(await council_id(RUGBY), server.url)
    assert secret is not None
    event = await make_event()
    stand = await make_stand(event)
    person = await attendee(
        event, name="Amira Khan", email=EMAIL, phone=PHONE, home_council=RUGBY,
        consent={"councils": [RUGBY, WARWICKSHIRE], "job_alerts": False},
    )  # fmt: skip
    scanned = await scan(client, stand, person.ticket_code, consent_given=True, notes="Nurse")
    assert scanned.status_code == 201
    await route_all()
    assert await webhooks.send_due_webhooks() == 1
    [post] = server.received
    assert json.loads(post.body)["type"] == "lead.delivered" and _signed_by(secret, post)
    assert json.loads(post.body)["lead"]["email"] == EMAIL
    [delivery] = await LeadDelivery.select().where(LeadDelivery.council == await council_id(RUGBY))
    return {"secret": secret, "person": person, "stand": stand, "delivery": delivery}


async def _told_and_shown(client: Any, server: WebhookServer, world: dict[str, Any]) -> None:
    """After the withdrawal: no new delivery, one signed consent.withdrawn, and the
    portal, the CSV and the API show the lead withdrawn without contact details."""
    deliveries = await LeadDelivery.count()
    await route_all()
    assert await webhooks.send_due_webhooks() == 1
    assert await webhooks.send_due_webhooks() == 0
    assert await LeadDelivery.count() == deliveries
    assert len(server.received) == 2  # nothing more went to Rugby but the withdrawal
    post = server.received[1]
    assert _signed_by(world["secret"], post)
    assert not _signed_by("whsec_someone-else", post)
    [event_send] = await WebhookSend.select().where(WebhookSend.kind == "consent.withdrawn")
    assert post.headers["x-fairground-webhook-id"] == str(event_send["id"])
    assert (
        post.headers["x-fairground-webhook-id"]
        != server.received[0].headers["x-fairground-webhook-id"]
    )
    body = json.loads(post.body)
    assert body["type"] == "consent.withdrawn" and body["council"] == RUGBY
    lead = body["lead"]
    assert lead["delivery_id"] == world["delivery"]["id"] and lead["withdrawn"] is True
    assert lead["name"] == "Amira Khan" and lead["withdrawn_at"]
    assert lead["email"] is None and lead["phone"] is None and PHONE not in post.body.decode()

    await login(client, await recruiter(RUGBY))
    index = await client.get(f"/council/{RUGBY}/leads")
    assert index.status_code == 200 and "Amira Khan" in index.text
    assert "Consent withdrawn" in index.text
    detail = await client.get(f"/council/{RUGBY}/leads/{world['delivery']['id']}")
    assert detail.status_code == 200 and "withdrew their consent on" in detail.text
    assert EMAIL not in detail.text and PHONE not in detail.text and "Nurse" not in detail.text
    assert 'name="outcome"' not in detail.text
    exported = await client.get(f"/council/{RUGBY}/leads.csv")
    [row] = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert row["status"] == "withdrawn" and row["withdrawn_at"] and row["name"] == "Amira Khan"
    assert EMAIL not in exported.text and PHONE not in exported.text
    refused = await post_form(
        client, f"/council/{RUGBY}/leads/{world['delivery']['id']}/outcome", {"outcome": "hired"},
        page_url=f"/council/{RUGBY}/leads",
    )  # fmt: skip
    assert refused.status_code == 409


async def test_withdrawing_a_councils_consent(client: Any, hook_server: WebhookServer) -> None:
    world = await _delivered(client, hook_server)
    await change_consent(world["person"].manage_token, WARWICKSHIRE)
    await _told_and_shown(client, hook_server, world)
    # Warwickshire's delivery rests on consent that stands: untouched, with its details.
    headers = {"authorization": f"Bearer {await token_for(await recruiter(WARWICKSHIRE))}"}
    [kept] = (await client.get(f"/api/v1/councils/{WARWICKSHIRE}/leads", headers=headers)).json()
    assert kept["status"] == "active" and kept["email"] == EMAIL and kept["withdrawn_at"] is None
    rugby = {"authorization": f"Bearer {await token_for(await recruiter(RUGBY))}"}
    [gone] = (await client.get(f"/api/v1/councils/{RUGBY}/leads", headers=rugby)).json()
    assert gone["status"] == "withdrawn" and gone["withdrawn"] is True and gone["email"] is None


async def test_withdrawing_consent_given_at_a_stand(
    client: Any, hook_server: WebhookServer
) -> None:
    world = await _delivered(client, hook_server)
    token, stand = world["person"].manage_token, world["stand"]
    url = f"/r/{token}/stand-consents"
    listed = await client.get(url)
    assert listed.status_code == 200 and "Withdraw consent" in listed.text
    asked = await post_form(client, url, {"exhibitor": str(stand.exhibitor_id)})
    assert asked.status_code == 200 and "Yes, withdraw my consent" in asked.text
    assert await LeadDelivery.count().where(LeadDelivery.status == "withdrawn") == 0
    done = await post_form(client, url, {"exhibitor": str(stand.exhibitor_id), "confirm": "yes"})
    assert done.status_code == 303 and done.headers["location"].startswith(url)
    shown = await client.get(done.headers["location"])
    assert "You have withdrawn your consent for" in shown.text
    assert "You have not agreed to share your details at any stand." in shown.text
    # The exhibitor sees the lead as without consent.
    leads = await client.get(
        f"/api/v1/exhibitors/{stand.exhibitor_id}/leads", headers=stand.headers
    )
    [lead] = leads.json()
    assert lead["consent"] == "none" and lead["attendee"]["email"] is None
    assert lead["attendee"]["phone"] is None and lead["notes"] == "Nurse"
    await _told_and_shown(client, hook_server, world)


async def test_stand_consents_page_errors_name_the_field(client: Any) -> None:
    event = await make_event()
    stand = await make_stand(event)
    person = await attendee(event)
    await scan(client, stand, person.ticket_code, consent_given=True)
    url = f"/r/{person.manage_token}/stand-consents"
    for data in ({}, {"exhibitor": "nope"}, {"exhibitor": "999999", "confirm": "yes"}):
        bad = await post_form(client, url, data)
        assert bad.status_code == 400
        assert 'href="#exhibitor">' in bad.text and 'id="exhibitor"' in bad.text
    assert (await client.get("/r/not-a-token/stand-consents")).status_code == 404
