"""Routing as a table: who gets which lead, by which rule, on which consent."""

from __future__ import annotations

import pytest

from exhibitors.leads.routing import preview, route_lead, set_rules, subscribe
from exhibitors.leads.schemas import LeadIn
from exhibitors.leads.services import capture_lead
from exhibitors.leads.tables import LeadDelivery
from registrations.tables import Registration
from tests.factories import council_id, make_event
from tests.leads.helpers import BIRMINGHAM, COVENTRY, RUGBY, WARWICKSHIRE, attendee, make_stand

# (home council, named councils, stand consent, job families, subscriptions, at a
#  council's own stand) -> {council code: (rule, consent basis)}
CASES = {
    "rugby resident naming rugby and warwickshire gets both": (
        RUGBY, [RUGBY, WARWICKSHIRE], True, [], [], None,
        {RUGBY: ("home_council", "consent_councils"), WARWICKSHIRE: ("county", "consent_councils")},
    ),
    "rugby resident naming neither gets neither": (RUGBY, [], True, [], [], None, {}),
    "naming only the county": (
        RUGBY, [WARWICKSHIRE], True, [], [], None, {WARWICKSHIRE: ("county", "consent_councils")},
    ),
    "no stand consent: nowhere, whatever was named": (
        RUGBY, [RUGBY, WARWICKSHIRE], False, [], [], None, {},
    ),
    "job family subscription with consent": (
        BIRMINGHAM, [COVENTRY], True, ["social-care"], [(COVENTRY, "social-care")], None,
        {COVENTRY: ("job_family:social-care", "consent_councils")},
    ),
    "job family subscription without consent": (
        BIRMINGHAM, [], True, ["social-care"], [(COVENTRY, "social-care")], None, {},
    ),
    "subscription to another family": (
        BIRMINGHAM, [COVENTRY], True, ["digital"], [(COVENTRY, "social-care")], None, {},
    ),
    "at the council's own stand, stand consent covers it": (
        BIRMINGHAM, [], True, [], [], COVENTRY, {COVENTRY: ("exhibitor", "stand_consent")},
    ),
    "at the council's own stand without consent": (
        BIRMINGHAM, [COVENTRY], False, [], [], COVENTRY, {},
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
async def test_routing_table(case: str) -> None:
    home, named, consent, families, subs, own, expected = CASES[case]
    event = await make_event()
    stand = await make_stand(event, await council_id(own) if own else None)
    for code, family in subs:
        await subscribe(event["id"], code, family)
    person = await attendee(
        event, home_council=home, consent={"councils": named, "job_alerts": False}
    )
    data = LeadIn(code=person.ticket_code, interests=families, consent_given=consent)
    captured = await capture_lead(stand.exhibitor_id, data, stand.staff["id"])
    await route_lead(captured.lead.id)
    rows = await LeadDelivery.select(
        LeadDelivery.council.code.as_alias("code"), LeadDelivery.rule, LeadDelivery.consent_basis
    ).where(LeadDelivery.status == "active")
    assert {r["code"]: (r["rule"], r["consent_basis"]) for r in rows} == expected


async def test_rules_switched_off_and_consent_withdrawn() -> None:
    event = await make_event()
    stand = await make_stand(event)
    named = {"councils": [RUGBY, WARWICKSHIRE], "job_alerts": False}
    person = await attendee(event, home_council=RUGBY, consent=named)
    captured = await capture_lead(
        stand.exhibitor_id, LeadIn(code=person.ticket_code, consent_given=True), None
    )
    await route_lead(captured.lead.id)
    assert await LeadDelivery.count().where(LeadDelivery.status == "active") == 2
    await set_rules(event["id"], {"home_council"})
    [item] = await preview(event["id"])
    assert [r.council_code for r in item["routes"]] == [RUGBY]
    await route_lead(captured.lead.id)
    active = await LeadDelivery.select(LeadDelivery.council.code.as_alias("code")).where(
        LeadDelivery.status == "active"
    )
    assert [r["code"] for r in active] == [RUGBY]
    await Registration.update({Registration.consent_councils: []}).where(Registration.id > 0)
    await route_lead(captured.lead.id)
    assert await LeadDelivery.count().where(LeadDelivery.status == "active") == 0
    assert await LeadDelivery.count() == 2  # withdrawn, not deleted: the history stays
