"""schema.org `Event` data for the public fair page, so search engines can show
the fair (Google's Event structured data: name, startDate and a location with
its address are required; endDate, eventStatus, eventAttendanceMode, offers,
organizer and description are recommended).

The page puts each item in a <script type="application/ld+json">: data, which
the browser never runs, so the Content-Security-Policy (script-src 'self') has
nothing to allow. Jinja's `tojson` escapes <, >, & and ' inside it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fairground.settings import get_settings

Row = dict[str, Any]
SCHEMA = "https://schema.org"
STATUS = {"cancelled": f"{SCHEMA}/EventCancelled"}  # any other shown state: scheduled


def local_iso(value: datetime, tz: str) -> str:
    """ISO 8601 with the fair's own offset: 2027-01-23T10:00:00+00:00."""
    return value.astimezone(ZoneInfo(tz)).isoformat()


def event_url(event: Row) -> str:
    return f"{get_settings().base_url}/events/{event['slug']}"


def postal_address(event: Row) -> Row:
    """The venue's address. Its last comma-separated part is taken as the town
    ("Centenary Square, Broad Street, Birmingham"); the country is the UK."""
    address: Row = {"@type": "PostalAddress", "addressCountry": "GB"}
    parts = [p.strip() for p in str(event.get("venue_address") or "").split(",") if p.strip()]
    if parts:
        address["streetAddress"] = ", ".join(parts[:-1] or parts)
        if len(parts) > 1:
            address["addressLocality"] = parts[-1]
    if event.get("venue_postcode"):
        address["postalCode"] = event["venue_postcode"]
    return address


def place(event: Row) -> Row:
    return {"@type": "Place", "name": event["venue_name"], "address": postal_address(event)}


def event_jsonld(event: Row, organiser: str, registration_open: bool, full: bool) -> Row:
    """The fair as a schema.org Event: free to attend, registered for on this site."""
    url = event_url(event)
    data: Row = {
        "@context": SCHEMA,
        "@type": "Event",
        "name": event["title"],
        "startDate": local_iso(event["starts_at"], event["timezone"]),
        "endDate": local_iso(event["ends_at"], event["timezone"]),
        "eventStatus": STATUS.get(event["status"], f"{SCHEMA}/EventScheduled"),
        "eventAttendanceMode": f"{SCHEMA}/OfflineEventAttendanceMode",
        "location": place(event),
        "organizer": {"@type": "Organization", "name": organiser},
        "url": url,
        "isAccessibleForFree": True,
        "description": event.get("description")
        or f"A careers fair for public-sector jobs at {event['venue_name']}.",
        "offers": {
            "@type": "Offer",
            "price": "0",
            "priceCurrency": "GBP",
            "url": f"{url}/register" if registration_open else url,
            "availability": f"{SCHEMA}/{'SoldOut' if full else 'InStock'}",
        },
    }
    opens = event.get("registration_opens_at")
    if opens is not None:
        data["offers"]["validFrom"] = local_iso(opens, event["timezone"])
    return data
