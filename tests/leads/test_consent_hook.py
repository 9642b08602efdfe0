"""A change of consent in registrations routes the attendee's leads again
(registrations.services.CONSENT_HOOKS, filled by exhibitors.leads.routing)."""

from __future__ import annotations

from exhibitors.leads import routing
from exhibitors.leads.schemas import LeadIn
from exhibitors.leads.services import capture_lead
from exhibitors.leads.tables import Lead, LeadDelivery
from registrations import services as registration_services
from registrations.services import cancel_registration
from tests.leads.helpers import RUGBY, WARWICKSHIRE, attendee, make_stand, route_all


def _consent(*councils: str) -> dict[str, object]:
    return {"councils": list(councils), "job_alerts": False}


async def _deliveries() -> dict[str, str]:
    rows = await LeadDelivery.select(
        LeadDelivery.council.code.as_alias("code"), LeadDelivery.status
    )
    return {r["code"]: r["status"] for r in rows}


async def test_reregistering_with_less_consent_withdraws_the_delivery() -> None:
    stand = await make_stand()
    first = await attendee(stand.event, home_council=RUGBY, consent=_consent(RUGBY, WARWICKSHIRE))
    await capture_lead(stand.exhibitor_id, LeadIn(code=first.ticket_code, consent_given=True), None)
    await route_all()
    assert await _deliveries() == {RUGBY: "active", WARWICKSHIRE: "active"}

    await cancel_registration(first.manage_token)
    # The same person registers again and this time names Warwickshire only.
    await attendee(stand.event, home_council=RUGBY, consent=_consent(WARWICKSHIRE))
    assert [r["route_due"] for r in await Lead.select(Lead.route_due)] == [True]
    await route_all()
    assert await _deliveries() == {RUGBY: "withdrawn", WARWICKSHIRE: "active"}


async def test_reregistering_with_more_consent_brings_the_delivery_back() -> None:
    stand = await make_stand()
    first = await attendee(stand.event, home_council=RUGBY, consent=_consent(RUGBY))
    await capture_lead(stand.exhibitor_id, LeadIn(code=first.ticket_code, consent_given=True), None)
    await route_all()
    await cancel_registration(first.manage_token)
    await attendee(stand.event, home_council=RUGBY, consent=_consent())
    await route_all()
    assert await _deliveries() == {RUGBY: "withdrawn"}
    await cancel_registration(first.manage_token)
    await attendee(stand.event, home_council=RUGBY, consent=_consent(RUGBY, WARWICKSHIRE))
    await route_all()
    assert await _deliveries() == {RUGBY: "active", WARWICKSHIRE: "active"}


async def test_the_routing_hook_is_installed_once() -> None:
    # As a second import of the module would (a reload in tests).
    routing._install(registration_services.CONSENT_HOOKS, routing.mark_registration_for_routing)
    hooks = [
        h
        for h in registration_services.CONSENT_HOOKS
        if h.__name__ == "mark_registration_for_routing"
    ]
    assert len(hooks) == 1
