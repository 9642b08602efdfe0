"""The public fair page's floor plan and schema.org `JobPosting` data.

Each open vacancy of an approved exhibitor is a JobPosting (Google's job posting
structured data requires title, description, datePosted, hiringOrganization
and jobLocation; validThrough is given when the exhibitor gave a closing date).
What we know of a vacancy is little: its title, job family, advert link and
closing date, the employer, and the fair where they are recruiting; the
description says so in a sentence. datePosted is the day the exhibitor was
approved (when its vacancies appeared on the fair page), when known.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import escape

from events import services as events_services
from events.jsonld import SCHEMA, event_url, local_iso, place
from events.tables import Event
from exhibitors.plan import stand_order
from exhibitors.services import directory
from exhibitors.stands import floor_plan, stands_of_event

Row = dict[str, Any]


def job_posting(vacancy: Row, exhibitor: Row, event: Row, today: date) -> Row | None:
    """A vacancy as a schema.org JobPosting, or None once it has closed."""
    closes_on = vacancy.get("closes_on")
    if closes_on is not None and closes_on < today:
        return None
    tz = event["timezone"]
    stand = f" (stand {exhibitor['stand']})" if exhibitor.get("stand") else ""
    when = local_iso(event["starts_at"], tz)[:10]
    title, family, name = (
        escape(vacancy["title"]),
        escape(vacancy["job_family_name"]),
        escape(exhibitor["name"]),
    )
    description = (
        f"<p>{title} ({family}) at {name}.</p>"
        f"<p>Meet {name}{escape(stand)} at {escape(event['title'])}, "
        f"{escape(event['venue_name'])}, on {when}: free to attend.</p>"
    )
    data: Row = {
        "@context": SCHEMA,
        "@type": "JobPosting",
        "title": vacancy["title"],
        "description": description,
        "hiringOrganization": {"@type": "Organization", "name": exhibitor["name"]},
        "jobLocation": place(event),
        "occupationalCategory": vacancy["job_family_name"],
        "url": vacancy["url"] or f"{event_url(event)}#exhibitors",
    }
    posted = exhibitor.get("decided_at")
    if isinstance(posted, datetime):
        data["datePosted"] = local_iso(posted, tz)[:10]
    if closes_on is not None:
        end_of_day = datetime.combine(closes_on, time(23, 59, 59), ZoneInfo(tz))
        data["validThrough"] = end_of_day.isoformat()
    return data


def job_postings(exhibitors: list[Row], event: Row) -> list[Row]:
    today = datetime.now(ZoneInfo(event["timezone"])).date()
    found = [
        job_posting(vacancy, exhibitor, event, today)
        for exhibitor in exhibitors
        for vacancy in exhibitor["vacancies"]
    ]
    return [posting for posting in found if posting is not None]


async def fair_page_extra(event_id: int, job_family: str | None = None) -> Row:
    """events.services.PAGE_EXTRAS: the floor plan (when there are stands), the stands
    in order as text, and a JobPosting per open vacancy."""
    event = await Event.select().where(Event.id == event_id).first()
    if event is None:
        return {}
    exhibitors = await directory(event_id)
    stands = await stands_of_event(event_id)
    ordered = sorted((s for s in stands if s["exhibitor"]), key=lambda s: stand_order(s["code"]))
    return {
        "public_floor": floor_plan(stands) if stands else None,
        "public_stands": [
            {"code": s["code"], "exhibitor_name": s["exhibitor_name"]} for s in ordered
        ],
        "job_postings": job_postings(exhibitors, event) if event["status"] != "draft" else [],
    }


if fair_page_extra not in events_services.PAGE_EXTRAS:
    events_services.PAGE_EXTRAS.append(fair_page_extra)
