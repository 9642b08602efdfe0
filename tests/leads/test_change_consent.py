"""An attendee withdrawing a council on the change page (or by PATCH) reaches the
leads side through the consent hook, in the same transaction as the change."""

from __future__ import annotations

from exhibitors.leads.schemas import LeadIn
from exhibitors.leads.services import capture_lead
from exhibitors.leads.tables import Lead, LeadDelivery
from registrations.services import update_registration
from tests.leads.helpers import RUGBY, WARWICKSHIRE, attendee, make_stand, route_all


async def _deliveries() -> dict[str, str]:
    rows = await LeadDelivery.select(
        LeadDelivery.council.code.as_alias("code"), LeadDelivery.status
    )
    return {r["code"]: r["status"] for r in rows}


async def test_withdrawing_a_council_routes_the_attendees_leads_again() -> None:
    stand = await make_stand()
    consent = {"councils": [RUGBY, WARWICKSHIRE], "job_alerts": False}
    person = await attendee(stand.event, home_council=RUGBY, consent=consent)
    await capture_lead(
        stand.exhibitor_id, LeadIn(code=person.ticket_code, consent_given=True), None
    )
    await route_all()
    assert await _deliveries() == {RUGBY: "active", WARWICKSHIRE: "active"}

    await update_registration(person.manage_token, {"consent": {"councils": [WARWICKSHIRE]}})
    assert [r["route_due"] for r in await Lead.select(Lead.route_due)] == [True]
    await route_all()
    assert await _deliveries() == {RUGBY: "withdrawn", WARWICKSHIRE: "active"}


async def test_a_phone_change_does_not_route_again() -> None:
    stand = await make_stand()
    person = await attendee(stand.event, home_council=RUGBY)
    await capture_lead(
        stand.exhibitor_id, LeadIn(code=person.ticket_code, consent_given=True), None
    )
    await route_all()
    await update_registration(person.manage_token, {"phone": "01632 960001"})
    assert [r["route_due"] for r in await Lead.select(Lead.route_due)] == [False]
