"""Follow-up after close, retention erasure, and the attendee's own export and erasure."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from events.services import set_status
from events.tables import Event
from exhibitors.leads.retention import erase_due_events
from exhibitors.leads.schemas import LeadIn
from exhibitors.leads.services import capture_lead
from exhibitors.leads.survey import save_follow_up, send_follow_ups
from exhibitors.leads.tables import Lead, LeadDelivery
from fairground.errors import Invalid
from fairground.tables import OutboxMessage
from registrations.checkin import Scan, check_in
from registrations.tables import Registration
from tests.conftest import all_tables
from tests.factories import make_event, make_open_event
from tests.leads.helpers import RUGBY, WARWICKSHIRE, attendee, make_stand, route_all
from tests.registrations.helpers import outbox, parts

PERSONAL = ("Zofia Nowak-Secret", "zofia.secret@example.org", "07700 900999", "CV21 9ZZ",
            "BSL interpreter please", "Talked about fostering")  # fmt: skip


async def _closed_fair() -> dict[str, Any]:
    event = await make_open_event()
    came = await attendee(event, 1)
    missed = await attendee(event, 2)
    await check_in(Scan(code=came.ticket_code, event=event["slug"], door="Main"))
    await set_status(event["slug"], "closed")
    return {"event": event, "came": came, "missed": missed}


async def test_follow_up_emails_once_with_different_words() -> None:
    fair = await _closed_fair()
    assert await send_follow_ups() == 2
    assert await send_follow_ups() == 0
    came = await outbox("leads_follow_up", "attendee1@example.org")
    missed = await outbox("leads_follow_up", "attendee2@example.org")
    assert "Thank you for coming" in came[0]["Subject"]
    assert "Sorry we missed you" in missed[0]["Subject"]
    assert f"/r/{fair['came'].manage_token}/follow-up" in parts(came[0])["text"]


async def test_answers_update_consent_and_create_a_routed_lead() -> None:
    fair = await _closed_fair()
    token = fair["missed"].manage_token
    try:
        await save_follow_up(token, [RUGBY], ["social-care"], consent=False)
    except Invalid as exc:
        assert "consent" in exc.fields
    else:
        raise AssertionError("consent is required for named councils")
    await save_follow_up(token, [RUGBY, WARWICKSHIRE], ["social-care"], consent=True)
    await save_follow_up(token, [RUGBY], ["social-care", "digital"], consent=True)  # changed mind
    row = (
        await Registration.select()
        .where(Registration.manage_token == token)
        .output(load_json=True)
        .first()
    )
    assert row is not None and row["consent_councils"] == [RUGBY]
    [lead] = await Lead.select().where(Lead.registration == row["id"])
    assert lead["source"] == "follow-up" and lead["exhibitor"] is None
    await Registration.update({Registration.home_council: RUGBY}).where(
        Registration.id == row["id"]
    )
    await route_all()
    rows = await LeadDelivery.select(LeadDelivery.council.code.as_alias("code"), LeadDelivery.rule)
    assert [(r["code"], r["rule"]) for r in rows] == [(RUGBY, "home_council")]


async def _dump() -> str:
    text = []
    for table in all_tables():
        for row in await table.select():
            text.append(repr(row))
            for value in row.values():
                if isinstance(value, bytes | memoryview):
                    text.append(bytes(value).decode("utf-8", "replace"))
    return "\n".join(text)


async def test_retention_leaves_no_personal_data() -> None:
    event = await make_open_event()
    stand = await make_stand(event)
    person = await attendee(event, name=PERSONAL[0], email=PERSONAL[1], phone=PERSONAL[2],
                            postcode=PERSONAL[3], access_needs=PERSONAL[4], home_council=RUGBY,
                            consent={"councils": [RUGBY], "job_alerts": False})  # fmt: skip
    await check_in(Scan(code=person.ticket_code, event=event["slug"], door="Main"))
    data = LeadIn(code=person.ticket_code, notes=PERSONAL[5], consent_given=True)
    await capture_lead(stand.exhibitor_id, data, stand.staff["id"])
    await route_all()
    await outbox()  # build the deferred emails, as the worker would
    before = await _dump()
    assert all(p in before for p in PERSONAL[:2])
    assert await erase_due_events() == 0  # not yet
    past = datetime.now(UTC) - timedelta(days=200)
    await Event.update({Event.starts_at: past, Event.ends_at: past + timedelta(hours=5)}).where(
        Event.id == event["id"]
    )
    assert await erase_due_events() > 0
    assert await erase_due_events() == 0  # once
    dump = await _dump()
    for value in PERSONAL:
        assert value not in dump, value
    for value in ("Nowak", "zofia", "900999"):
        assert value.lower() not in dump.lower(), value
    assert await Registration.count().where(Registration.event == event["id"]) == 1  # counts kept
    assert await LeadDelivery.count() == 1
    assert await OutboxMessage.count().where(OutboxMessage.recipient == PERSONAL[1]) == 0


async def test_attendee_exports_and_erases(client: Any) -> None:
    event = await make_event()
    person = await attendee(event, name=PERSONAL[0], email=PERSONAL[1])
    page = await client.get(f"/r/{person.manage_token}/data")
    assert page.status_code == 200
    exported = await client.get(f"/r/{person.manage_token}/data.json")
    assert exported.status_code == 200
    data = json.loads(exported.content)
    assert data["registration"]["email"] == PERSONAL[1]
    from tests.factories import csrf_from

    token = csrf_from(page.text)
    refused = await client.post(f"/r/{person.manage_token}/data/erase", data={"_csrf_token": token})
    assert refused.status_code == 400
    erased = await client.post(
        f"/r/{person.manage_token}/data/erase", data={"_csrf_token": token, "confirm": "yes"}
    )
    assert erased.status_code == 303 and erased.headers["location"] == "/data-erased"
    assert (await client.get(f"/r/{person.manage_token}")).status_code == 404
    [row] = await Registration.select()
    assert row["name"] == "Erased" and row["status"] == "cancelled"
    assert PERSONAL[1] not in await _dump()
