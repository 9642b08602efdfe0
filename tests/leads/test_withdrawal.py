"""Consent withdrawn (exhibitors/leads/withdrawal.py, stand_consent.py): each rule, no HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest

from events.services import set_status
from exhibitors.leads import delivery, webhooks
from exhibitors.leads.digest import send_digests
from exhibitors.leads.retention import export_my_data
from exhibitors.leads.routing import set_rules
from exhibitors.leads.schemas import LeadIn
from exhibitors.leads.services import capture_lead, leads_for_exhibitor
from exhibitors.leads.stand_consent import stand_consents, withdraw_stand_consent
from exhibitors.leads.survey import save_follow_up
from exhibitors.leads.tables import CouncilWebhook, Lead, LeadDelivery, WebhookSend
from fairground.errors import Conflict, Invalid
from fairground.tables import OutboxMessage
from tests.factories import council_id, make_event
from tests.leads.helpers import (
    RUGBY,
    WARWICKSHIRE,
    attendee,
    change_consent,
    make_stand,
    recruiter,
    route_all,
)


async def _routed(councils: list[str], stand_org: int | None = None) -> tuple[Any, Any]:
    """A stand lead with stand consent, for an attendee of Rugby naming `councils`."""
    event = await make_event()
    stand = await make_stand(event, org=stand_org)
    person = await attendee(
        event, home_council=RUGBY, phone="07700 900123", postcode="CV21 1AA",
        consent={"councils": councils, "job_alerts": False},
    )  # fmt: skip
    data = LeadIn(code=person.ticket_code, notes="call 07700 900123", consent_given=True)
    await capture_lead(stand.exhibitor_id, data, stand.staff["id"])
    await route_all()
    return stand, person


async def _deliveries() -> dict[str, dict[str, Any]]:
    rows = await LeadDelivery.select(
        LeadDelivery.council.code.as_alias("code"), *LeadDelivery.all_columns()
    )
    return {r["code"]: r for r in rows}


async def _hook(code: str, url: str = "https://hooks.example.org/in") -> None:
    await CouncilWebhook.insert(
        CouncilWebhook(council=await council_id(code), url=url, secret="whsec_test")
    )


async def test_withdrawn_at_once_and_kept_marked_without_contact_details() -> None:
    _, person = await _routed([RUGBY, WARWICKSHIRE])
    await change_consent(person.manage_token, WARWICKSHIRE)
    # No worker pass: the withdrawal has taken effect in the same transaction.
    found = await _deliveries()
    assert found[RUGBY]["status"] == "withdrawn" and found[RUGBY]["withdrawn_at"] is not None
    assert found[WARWICKSHIRE]["status"] == "active" and found[WARWICKSHIRE]["withdrawn_at"] is None
    [lead] = await delivery.council_leads(RUGBY, delivery.LeadFilter())
    assert lead["status"] == "withdrawn" and lead["withdrawn"] is True
    assert lead["withdrawn_at"] == found[RUGBY]["withdrawn_at"]
    assert lead["name"] == "Attendee 1"
    assert all(lead[key] is None for key in ("email", "phone", "postcode", "notes"))
    [kept] = await delivery.council_leads(WARWICKSHIRE, delivery.LeadFilter())
    assert kept["email"] == "attendee1@example.org" and kept["withdrawn_at"] is None
    await route_all()  # the worker's pass changes nothing
    assert (await _deliveries())[RUGBY]["status"] == "withdrawn"


async def test_csv_row_is_marked_and_has_no_contact_details() -> None:
    _, person = await _routed([RUGBY])
    await change_consent(person.manage_token)
    text = b"".join([c async for c in delivery.csv_chunks(RUGBY, delivery.LeadFilter())])
    header, row = text.decode("utf-8-sig").strip().split("\r\n")
    values = dict(zip(header.split(","), row.split(","), strict=True))
    assert values["status"] == "withdrawn" and values["withdrawn_at"].startswith("20")
    assert values["email"] == values["phone"] == values["postcode"] == values["notes"] == ""
    assert "07700" not in text.decode() and "attendee1@" not in text.decode()


async def test_no_outcome_once_withdrawn() -> None:
    _, person = await _routed([RUGBY])
    [row] = await LeadDelivery.select()
    user = await recruiter(RUGBY)
    await delivery.set_outcome(RUGBY, row["id"], "contacted", user["id"])
    await change_consent(person.manage_token)
    with pytest.raises(Conflict) as caught:
        await delivery.set_outcome(RUGBY, row["id"], "hired", user["id"])
    assert caught.value.code == "consent_withdrawn"
    assert (await delivery.council_lead(RUGBY, row["id"]))["outcome"] == "contacted"


async def test_undelivered_webhook_is_cancelled_and_no_withdrawal_event() -> None:
    await _hook(RUGBY)
    _, person = await _routed([RUGBY])
    [send] = await WebhookSend.select()
    assert (send["kind"], send["status"]) == ("lead.delivered", "pending")
    await change_consent(person.manage_token)
    sends = await WebhookSend.select().order_by(WebhookSend.id)
    assert [(s["kind"], s["status"]) for s in sends] == [("lead.delivered", "cancelled")]
    assert await webhooks.send_due_webhooks() == 0


async def test_delivered_webhook_gets_a_withdrawal_event() -> None:
    await _hook(RUGBY)
    _, person = await _routed([RUGBY])
    await WebhookSend.update({WebhookSend.status: "sent", WebhookSend.attempts: 1}).where(
        WebhookSend.id > 0
    )
    await change_consent(person.manage_token)
    sends = await WebhookSend.select().order_by(WebhookSend.id)
    assert [(s["kind"], s["status"]) for s in sends] == [
        ("lead.delivered", "sent"),
        ("consent.withdrawn", "pending"),
    ]
    body = await webhooks.build_body(RUGBY, sends[1]["delivery"], "consent.withdrawn")
    assert body is not None
    payload = json.loads(body)
    assert payload["type"] == "consent.withdrawn" and payload["council"] == RUGBY
    lead = payload["lead"]
    assert lead["delivery_id"] == sends[1]["delivery"] and lead["withdrawn"] is True
    assert lead["status"] == "withdrawn" and lead["withdrawn_at"].startswith("20")
    assert lead["email"] is None and lead["phone"] is None and lead["notes"] is None
    # The lead.delivered body is no longer built for it (a resend is cancelled).
    assert await webhooks.build_body(RUGBY, sends[1]["delivery"]) is None


async def test_a_retrying_delivery_is_stopped_and_told() -> None:
    """A POST was attempted (the council may have it) and is waiting to be retried."""
    await _hook(RUGBY)
    _, person = await _routed([RUGBY])
    await WebhookSend.update({WebhookSend.attempts: 2}).where(WebhookSend.id > 0)
    await change_consent(person.manage_token)
    sends = await WebhookSend.select().order_by(WebhookSend.id)
    assert [(s["kind"], s["status"]) for s in sends] == [
        ("lead.delivered", "cancelled"),
        ("consent.withdrawn", "pending"),
    ]


async def test_consent_given_again_brings_it_back() -> None:
    await _hook(RUGBY)
    _, person = await _routed([RUGBY])
    await WebhookSend.update({WebhookSend.status: "sent", WebhookSend.attempts: 1}).where(
        WebhookSend.id > 0
    )
    await change_consent(person.manage_token)
    await change_consent(person.manage_token, RUGBY)
    await route_all()
    found = (await _deliveries())[RUGBY]
    assert found["status"] == "active" and found["withdrawn_at"] is None
    sends = await WebhookSend.select().order_by(WebhookSend.id)
    assert [(s["kind"], s["status"]) for s in sends] == [
        ("lead.delivered", "sent"),
        ("consent.withdrawn", "cancelled"),  # not sent: the council hears the lead again
        ("lead.delivered", "pending"),
    ]
    [lead] = await delivery.council_leads(RUGBY, delivery.LeadFilter())
    assert lead["email"] == "attendee1@example.org"


async def test_digest_counts_no_withdrawn_lead() -> None:
    await recruiter(RUGBY)
    _, person = await _routed([RUGBY])
    await change_consent(person.manage_token)
    assert await send_digests() == 0
    assert await OutboxMessage.count() == 1  # the registration's own confirmation only


async def test_another_consent_keeps_the_delivery_with_a_true_basis() -> None:
    """Rugby's own stand: the attendee agreed there and also named Rugby. Taking Rugby
    off the list leaves the stand consent; the lead stays, on that basis."""
    _, person = await _routed([RUGBY], stand_org=await council_id(RUGBY))
    before = (await _deliveries())[RUGBY]
    assert (before["rule"], before["consent_basis"]) == ("home_council", "consent_councils")
    await change_consent(person.manage_token)
    after = (await _deliveries())[RUGBY]
    assert after["status"] == "active" and after["withdrawn_at"] is None
    assert (after["rule"], after["consent_basis"]) == ("home_council", "stand_consent")
    [lead] = await delivery.council_leads(RUGBY, delivery.LeadFilter())
    assert lead["email"] == "attendee1@example.org"


async def test_a_rule_turned_off_is_no_withdrawal_of_consent() -> None:
    stand, _ = await _routed([RUGBY])
    await set_rules(stand.event["id"], {"county"})
    await route_all()
    found = (await _deliveries())[RUGBY]
    assert found["status"] == "withdrawn" and found["withdrawn_at"] is None
    assert await delivery.council_leads(RUGBY, delivery.LeadFilter()) == []


# ---------------------------------------------------------------- stand consent


async def test_stand_consent_withdrawn_hides_contact_and_withdraws_its_routing() -> None:
    await _hook(RUGBY)
    stand, person = await _routed([RUGBY, WARWICKSHIRE])
    await WebhookSend.update({WebhookSend.status: "sent", WebhookSend.attempts: 1}).where(
        WebhookSend.id > 0
    )
    [listed] = await stand_consents(person.manage_token)
    assert listed["exhibitor_id"] == stand.exhibitor_id and listed["withdrawn_at"] is None
    done = await withdraw_stand_consent(person.manage_token, str(stand.exhibitor_id))
    assert done["withdrawn_at"] is not None and done["name"] == listed["name"]
    [seen] = await leads_for_exhibitor(stand.exhibitor_id)
    assert seen.consent == "none" and seen.attendee.email is None and seen.attendee.phone is None
    assert seen.attendee.name == "Attendee 1" and seen.notes == "call 07700 900123"
    # The stand lead went to councils only on that consent: both withdrawn, marked.
    found = await _deliveries()
    assert {c: (r["status"], r["withdrawn_at"] is not None) for c, r in found.items()} == {
        RUGBY: ("withdrawn", True),
        WARWICKSHIRE: ("withdrawn", True),
    }
    kinds = [(s["kind"], s["status"]) for s in await WebhookSend.select().order_by(WebhookSend.id)]
    assert kinds[-1] == ("consent.withdrawn", "pending")
    # The attendee's own copy of their data says so too.
    mine = await export_my_data(person.manage_token)
    assert mine["leads"][0]["consent_given"] is False
    assert mine["leads"][0]["consent_withdrawn_at"] == done["withdrawn_at"]
    assert all(d["withdrawn_at"] is not None for d in mine["deliveries"])
    await route_all()
    assert (await _deliveries())[RUGBY]["status"] == "withdrawn"


async def test_a_rescan_does_not_give_stand_consent_again() -> None:
    stand, person = await _routed([RUGBY])
    await withdraw_stand_consent(person.manage_token, str(stand.exhibitor_id))
    data = LeadIn(code=person.ticket_code, notes="again", consent_given=True)
    captured = await capture_lead(stand.exhibitor_id, data, None)
    assert captured.lead.consent == "none" and captured.lead.attendee.email is None
    await route_all()
    assert (await _deliveries())[RUGBY]["status"] == "withdrawn"


async def test_stand_consent_withdrawal_leaves_the_follow_up_lead() -> None:
    stand, person = await _routed([RUGBY])
    await set_status(stand.event["slug"], "closed")
    await save_follow_up(person.manage_token, [RUGBY], [], True)
    await route_all()
    await withdraw_stand_consent(person.manage_token, str(stand.exhibitor_id))
    rows = await LeadDelivery.select(
        LeadDelivery.status, LeadDelivery.lead.source.as_alias("source")
    )
    assert sorted((r["source"], r["status"]) for r in rows) == [
        ("follow-up", "active"),
        ("stand", "withdrawn"),
    ]


async def test_stand_consent_refuses_what_is_not_on_the_list() -> None:
    stand, person = await _routed([RUGBY])
    other = await make_stand(stand.event)
    for value in ("", "abc", "0", "-3", str(2**40), str(other.exhibitor_id)):
        with pytest.raises(Invalid) as caught:
            await withdraw_stand_consent(person.manage_token, value)
        assert "exhibitor" in caught.value.fields
    await withdraw_stand_consent(person.manage_token, str(stand.exhibitor_id))
    with pytest.raises(Invalid):  # twice: nothing more to withdraw
        await withdraw_stand_consent(person.manage_token, str(stand.exhibitor_id))
    assert (await Lead.select(Lead.consent_given))[0]["consent_given"] is False
