"""Council delivery: the API, isolation between councils, outcomes, exports, digest."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import load_workbook

from exhibitors.leads.digest import send_digests
from exhibitors.leads.schemas import LeadIn
from exhibitors.leads.services import capture_lead
from fairground.tables import AuditLog, OutboxMessage
from tests.factories import make_event, token_for
from tests.leads.helpers import (
    COVENTRY,
    RUGBY,
    WARWICKSHIRE,
    attendee,
    make_stand,
    recruiter,
    route_all,
)

NASTY = '=HYPERLINK("http://evil")'


async def _world(n: int = 3) -> dict[str, Any]:
    event = await make_event()
    stand = await make_stand(event)
    for i in range(1, n + 1):
        person = await attendee(
            event, i, name=NASTY if i == 1 else f"Amira {i}", home_council=RUGBY,
            consent={"councils": [RUGBY], "job_alerts": False},
        )  # fmt: skip
        data = LeadIn(code=person.ticket_code, notes=f"+notes {i}", interests=["social-care"],
                      consent_given=True)  # fmt: skip
        await capture_lead(stand.exhibitor_id, data, stand.staff["id"])
    await route_all()
    rugby = await recruiter(RUGBY)
    return {
        "event": event,
        "rugby": rugby,
        "headers": {"authorization": f"Bearer {await token_for(rugby)}"},
    }


async def test_council_sees_its_leads_and_not_anothers(client: Any) -> None:
    world = await _world()
    url = f"/api/v1/councils/{RUGBY}/leads?event={world['event']['slug']}"
    response = await client.get(url, headers=world["headers"])
    assert response.status_code == 200, response.text
    leads = response.json()
    assert len(leads) == 3
    assert leads[0]["rule"] == "home_council" and leads[0]["consent_basis"] == "consent_councils"
    assert leads[1]["email"] == "attendee2@example.org"
    coventry = await recruiter(COVENTRY)
    other = {"authorization": f"Bearer {await token_for(coventry)}"}
    assert (await client.get(url, headers=other)).status_code == 403
    mine = await client.get(f"/api/v1/councils/{COVENTRY}/leads", headers=other)
    assert mine.json() == []
    # Warwickshire was not named: nothing there either, even with the county rule on.
    warks = await recruiter(WARWICKSHIRE)
    headers = {"authorization": f"Bearer {await token_for(warks)}"}
    assert (
        await client.get(f"/api/v1/councils/{WARWICKSHIRE}/leads", headers=headers)
    ).json() == []
    # Another council's delivery id is not found through your own council's address.
    delivery_id = leads[0]["delivery_id"]
    body = {"outcome": "hired"}
    foreign = await client.post(
        f"/api/v1/councils/{COVENTRY}/leads/{delivery_id}/outcome", json=body, headers=other
    )
    assert foreign.status_code == 404


async def test_outcome(client: Any) -> None:
    world = await _world(1)
    [lead] = (await client.get(f"/api/v1/councils/{RUGBY}/leads", headers=world["headers"])).json()
    url = f"/api/v1/councils/{RUGBY}/leads/{lead['delivery_id']}/outcome"
    bad = await client.post(url, json={"outcome": "married"}, headers=world["headers"])
    assert bad.status_code == 422 and "outcome" in bad.json()["fields"]
    good = await client.post(url, json={"outcome": "interviewed"}, headers=world["headers"])
    assert good.status_code == 200 and good.json()["outcome"] == "interviewed"
    filtered = await client.get(
        f"/api/v1/councils/{RUGBY}/leads?outcome=hired", headers=world["headers"]
    )
    assert filtered.json() == []
    assert (
        await client.get(f"/api/v1/councils/{RUGBY}/leads?outcome=x", headers=world["headers"])
    ).status_code == 422


async def test_csv_export_parses_and_is_audited(client: Any) -> None:
    world = await _world()
    response = await client.get(f"/api/v1/councils/{RUGBY}/leads.csv", headers=world["headers"])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 3
    assert rows[0]["name"] == "'" + NASTY  # formula injection neutralised
    assert rows[1]["notes"] == "'+notes 2"
    assert rows[1]["email"] == "attendee2@example.org"
    assert rows[1]["interests"] == "social-care"
    audit = await AuditLog.select().where(AuditLog.action == "leads_exported")
    assert len(audit) == 1 and audit[0]["actor"] == world["rugby"]["id"]


async def test_xlsx_export_parses(client: Any) -> None:
    world = await _world()
    slug = world["event"]["slug"]
    response = await client.get(
        f"/api/v1/councils/{RUGBY}/leads.xlsx?event={slug}", headers=world["headers"]
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content), read_only=True)["Leads"]
    rows = list(sheet.iter_rows(values_only=True))
    header, data = rows[0], rows[1:]
    assert len(data) == 3
    record = dict(zip(header, data[0], strict=True))
    assert record["name"] == "'" + NASTY
    assert record["event"] == slug
    assert await AuditLog.count().where(AuditLog.action == "leads_exported") == 1


async def test_exports_refuse_other_councils(client: Any) -> None:
    world = await _world(1)
    coventry = await recruiter(COVENTRY)
    other = {"authorization": f"Bearer {await token_for(coventry)}"}
    for suffix in ("csv", "xlsx"):
        response = await client.get(f"/api/v1/councils/{RUGBY}/leads.{suffix}", headers=other)
        assert response.status_code == 403
    assert await AuditLog.count().where(AuditLog.action == "leads_exported") == 0
    assert world


async def test_daily_digest_once_a_day() -> None:
    await _world(2)
    assert await send_digests() == 1
    assert await send_digests() == 0
    [mail] = await OutboxMessage.select().where(OutboxMessage.template == "leads_digest")
    assert "2 new leads" in mail["subject"]
    assert b"attendee" not in bytes(mail["payload"])  # counts only, no personal data
