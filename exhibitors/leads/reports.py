"""The organiser's report for one event: what the fair achieved, in numbers.

Equality monitoring is reported only in aggregate, and any count under 5 is
suppressed (shown as "fewer than 5"), so that no one can be picked out.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from exhibitors.leads.tables import Lead, LeadDelivery
from fairground.seed import job_families
from fairground.timefmt import clock, local
from registrations.door import checkin_stats
from registrations.tables import AccessRequest, EqualityResponse, Registration

Row = dict[str, Any]
SUPPRESS_BELOW = 5
_exhibitor: Any = Lead.exhibitor
Pairs = list[tuple[str, int]]


def suppress(counts: Counter[str]) -> list[tuple[str, int | None]]:
    """Counts under SUPPRESS_BELOW become None ("fewer than 5")."""
    return [(k, n if n >= SUPPRESS_BELOW else None) for k, n in sorted(counts.items())]


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


async def _registrations(event: Row) -> tuple[Row, Pairs, Pairs]:
    rows = (
        await Registration.select(
            Registration.status,
            Registration.created_at,
            Registration.checked_in_at,
            Registration.interests,
        )
        .where(Registration.event == event["id"])
        .output(load_json=True)
    )
    by_day = Counter(local(r["created_at"], event["timezone"]).date() for r in rows)
    confirmed = [r for r in rows if r["status"] == "confirmed"]
    came = sum(1 for r in confirmed if r["checked_in_at"] is not None)
    names = {f["code"]: f["name"] for f in await job_families()}
    interests = Counter(
        names.get(code, code)
        for r in rows
        if r["status"] != "cancelled"
        for code in r["interests"] or []
    )
    over = event["ends_at"] <= datetime.now(UTC)
    attendance = {
        "registered": len(rows),
        "confirmed": len(confirmed),
        "cancelled": sum(1 for r in rows if r["status"] == "cancelled"),
        "waitlisted": sum(1 for r in rows if r["status"] == "waitlisted"),
        "attended": came,
        "attendance_rate": _percent(came, len(confirmed)),
        # Before the fair has ended no one has yet "not come": say nothing about it.
        "over": over,
        "no_show": len(confirmed) - came if over else None,
        "no_show_rate": _percent(len(confirmed) - came, len(confirmed)) if over else None,
    }
    days = [(f"{d:%a} {d.day} {d:%B %Y}", n) for d, n in sorted(by_day.items())]
    return attendance, days, interests.most_common()


async def _leads(event_id: int) -> Row:
    """Leads (one per attendee per exhibitor, or from the follow-up survey) and
    deliveries (one lead sent to one council) are counted apart, never mixed."""
    leads = await Lead.select(Lead.source, _exhibitor.organisation.name.as_alias("org")).where(
        Lead.event == event_id
    )
    deliveries = await LeadDelivery.select(
        LeadDelivery.council.name.as_alias("council"), LeadDelivery.outcome
    ).where((LeadDelivery.lead.event == event_id) & (LeadDelivery.status == "active"))
    return {
        "leads_total": len(leads),
        "follow_ups": sum(1 for r in leads if r["source"] == "follow-up"),
        "leads_per_exhibitor": Counter(r["org"] for r in leads if r["org"]).most_common(),
        "deliveries_total": len(deliveries),
        "deliveries_per_council": Counter(r["council"] for r in deliveries).most_common(),
        "outcomes": sorted(Counter(r["outcome"] or "none" for r in deliveries).items()),
    }


async def _equality(event_id: int) -> list[Row]:
    rows = (
        await EqualityResponse.select(EqualityResponse.answers)
        .where(EqualityResponse.event == event_id)
        .output(load_json=True)
    )
    questions: dict[str, Counter[str]] = {}
    for row in rows:
        for question, answer in (row["answers"] or {}).items():
            questions.setdefault(question, Counter())[answer] += 1
    return [{"question": q, "answers": suppress(c)} for q, c in sorted(questions.items())]


async def event_report(event: Row) -> Row:
    """Everything on the report page and its printable summary."""
    attendance, by_day, interests = await _registrations(event)
    access = await AccessRequest.select(AccessRequest.status).where(
        AccessRequest.registration.event == event["id"]
    )
    stats = await checkin_stats(event["slug"])
    quarters = [
        (local_quarter(q["start"], event["timezone"]), q["count"]) for q in stats["per_15_minutes"]
    ]
    return {
        "attendance": attendance,
        "registrations_by_day": by_day,
        "checkins_per_15": quarters,
        "interests": interests,
        **await _leads(event["id"]),
        "access_requests": sorted(Counter(r["status"] for r in access).items()),
        "equality": await _equality(event["id"]),
        "equality_responses": await EqualityResponse.count().where(
            EqualityResponse.event == event["id"]
        ),
        "interviews": await _interviews(event),
    }


async def _interviews(event: Row) -> Row:
    """Interviews and time to hire (exhibitors.interviews, an app above this one:
    imported here, at the call, so that leads loads without it)."""
    from exhibitors.interviews.services import outcomes

    return await outcomes(event)


def local_quarter(iso: str, tz: str) -> str:
    """The start of a quarter hour as people read it: "10:15am"."""
    return clock(local(datetime.fromisoformat(iso), tz))
