"""Event rows to API structs."""

from __future__ import annotations

from typing import Any

from events import services
from events.schemas import CountsOut, EventOut, EventWords, LinksOut, SlotOut, VenueOut
from fairground import i18n

EVENT_WORDS = ("title", "description", "access_notes")


async def event_out(event: dict[str, Any]) -> EventOut:
    counts = await services.counts(event["id"])
    slots = await services.get_slots(event["id"])
    slug = event["slug"]
    return EventOut(
        slug=slug,
        title=event["title"],
        description=event["description"],
        starts_at=event["starts_at"],
        ends_at=event["ends_at"],
        timezone=event["timezone"],
        venue=VenueOut(
            name=event["venue_name"],
            address=event["venue_address"],
            postcode=event["venue_postcode"],
            access_notes=event["access_notes"],
        ),
        status=event["status"],
        capacity=event["capacity"],
        counts=CountsOut(
            confirmed=counts.confirmed,
            waitlisted=counts.waitlisted,
            cancelled=counts.cancelled,
            checked_in=counts.checked_in,
            remaining=max(event["capacity"] - counts.confirmed, 0),
        ),
        slots=[
            SlotOut(
                id=s["id"],
                starts_at=s["starts_at"],
                ends_at=s["ends_at"],
                capacity=s["capacity"],
                remaining=max(s["capacity"] - s["confirmed_count"], 0),
            )
            for s in slots
        ],
        registration_opens_at=event["registration_opens_at"],
        registration_closes_at=event["registration_closes_at"],
        door_opens_minutes=event["door_opens_minutes"],
        links=LinksOut(
            page=f"/events/{slug}", ics=f"/events/{slug}.ics", register=f"/events/{slug}/register"
        ),
        exhibitor_setup_at=event.get("exhibitor_setup_at"),
        exhibitor_arrive_by=event.get("exhibitor_arrive_by"),
        translations={
            code: EventWords(**{k: v for k, v in words.items() if k in EVENT_WORDS})
            for code, words in i18n.own_words(event).items()
            if isinstance(words, dict)
        },
    )
