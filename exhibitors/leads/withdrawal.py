"""Consent withdrawn: what stops, what a council keeps, and what it is told.

A delivery rests on a consent (routing.py): the attendee named the council, or agreed
at that council's own stand; and a stand lead goes anywhere only with the consent
given at that stand. When the consent a delivery rested on goes (the attendee takes a
council off their list, or takes back what they agreed at a stand), at once, inside
the transaction that changed the consent:

- the delivery is marked withdrawn (`withdrawn_at`). Every active delivery was
  visible in the council's portal from the moment it was routed, so the council keeps
  it in its list, exports and API, marked withdrawn, with no contact details and no
  new outcome (delivery.py);
- what has not reached the council is stopped: its `lead.delivered` webhook sends
  still waiting are cancelled, and the daily digest counts active deliveries only;
- a council whose webhook got the lead (or may have: a send was attempted or is in
  flight) gets a signed `consent.withdrawn` event through the same outbox.

A delivery still covered by another consent (the attendee also agreed at that
council's stand) is not withdrawn: it keeps going with its basis brought up to date.
A delivery that stops for another reason (an organiser turned a rule off) is
withdrawn without the mark, as before.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from exhibitors.leads.tables import CouncilWebhook, LeadDelivery, WebhookSend

Row = dict[str, Any]
DELIVERED = "lead.delivered"
WITHDRAWN = "consent.withdrawn"


async def _reached(delivery_ids: list[int]) -> list[Row]:
    """(delivery, council) of deliveries whose `lead.delivered` POST has been made."""
    reached = WebhookSend.status.is_in(["sent", "sending"]) | (WebhookSend.attempts > 0)
    rows = await WebhookSend.select(WebhookSend.delivery, WebhookSend.council).where(
        WebhookSend.delivery.is_in(delivery_ids) & (WebhookSend.kind == DELIVERED) & reached
    )
    return list({r["delivery"]: r for r in rows}.values())


async def withdraw_deliveries(delivery_ids: list[int]) -> int:
    """Mark these active deliveries withdrawn, stop what has not reached the council,
    and queue `consent.withdrawn` where a webhook had the lead. Call inside the
    transaction that withdrew the consent; returns how many were withdrawn."""
    if not delivery_ids:
        return 0
    withdrawn = (
        await LeadDelivery.update(
            {LeadDelivery.status: "withdrawn", LeadDelivery.withdrawn_at: datetime.now(UTC)}
        )
        .where(LeadDelivery.id.is_in(delivery_ids) & (LeadDelivery.status == "active"))
        .returning(LeadDelivery.id)
    )
    ids = [r["id"] for r in withdrawn]
    if not ids:
        return 0
    reached = await _reached(ids)
    await WebhookSend.update({WebhookSend.status: "cancelled"}).where(
        WebhookSend.delivery.is_in(ids)
        & (WebhookSend.kind == DELIVERED)
        & (WebhookSend.status == "pending")
    )
    hooks = await _active_webhooks([r["council"] for r in reached])
    events = [
        WebhookSend(delivery=r["delivery"], council=r["council"], kind=WITHDRAWN)
        for r in reached
        if r["council"] in hooks
    ]
    if events:
        await WebhookSend.insert(*events)
    return len(ids)


async def restore_delivery(delivery_id: int) -> None:
    """Consent given again: the delivery is active, unmarked, and a withdrawal event
    not yet sent is dropped (the `lead.delivered` queued with it says the rest)."""
    await LeadDelivery.update(
        {LeadDelivery.status: "active", LeadDelivery.withdrawn_at: None}
    ).where(LeadDelivery.id == delivery_id)
    await WebhookSend.update({WebhookSend.status: "cancelled"}).where(
        (WebhookSend.delivery == delivery_id)
        & (WebhookSend.kind == WITHDRAWN)
        & (WebhookSend.status == "pending")
        & (WebhookSend.attempts == 0)
    )


async def _active_webhooks(council_ids: list[int]) -> set[int]:
    if not council_ids:
        return set()
    rows = await CouncilWebhook.select(CouncilWebhook.council).where(
        CouncilWebhook.council.is_in(council_ids) & CouncilWebhook.active.eq(True)
    )
    return {r["council"] for r in rows}
