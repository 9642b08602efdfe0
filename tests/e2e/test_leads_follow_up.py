"""The follow-up survey through the real pages in headless Chromium: the email's link,
the answers, and the lead that reaches the named council."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from events.services import set_status
from exhibitors.leads.survey import send_follow_ups
from exhibitors.leads.tables import LeadDelivery
from registrations.checkin import Scan, check_in
from tests.factories import make_open_event
from tests.leads.helpers import RUGBY, attendee, route_all
from tests.registrations.helpers import outbox, parts

pytestmark = pytest.mark.e2e


async def test_follow_up_survey(phone: Any) -> None:
    event = await make_open_event()
    person = await attendee(event, home_council=RUGBY)
    await check_in(Scan(code=person.ticket_code, event=event["slug"], door="Main"))
    await set_status(event["slug"], "closed")
    await send_follow_ups()
    [message] = await outbox("leads_follow_up")
    link = next(w for w in parts(message)["text"].split() if "/follow-up" in w)
    await phone.goto(urlsplit(link).path)
    await phone.get_by_label("Rugby Borough Council").check()
    await phone.get_by_label("Adult social care").check()
    await phone.get_by_label("I agree that the councils I ticked").check()
    async with phone.expect_navigation():
        await phone.get_by_role("button", name="Send my answers").click()
    assert "Thank you" in await phone.locator("h1").inner_text()
    await route_all()
    rows = await LeadDelivery.select(LeadDelivery.council.code.as_alias("code"), LeadDelivery.rule)
    assert [(r["code"], r["rule"]) for r in rows] == [(RUGBY, "home_council")]
