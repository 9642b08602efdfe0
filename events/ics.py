"""iCalendar documents: the public event feed and, for registrations, invites.

Times carry their zone (DTSTART;TZID=Europe/London) with a VTIMEZONE built
from the zone database (events.vtimezone: STANDARD and DAYLIGHT with yearly
RRULEs, as every client reads them), so calendars show the right time across
clock changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from icalendar import Calendar, vCalAddress, vText
from icalendar import Event as VEvent

from events.vtimezone import vtimezone
from fairground.settings import get_settings

PRODID = "-//Fairground//Careers fairs//EN"


@dataclass(frozen=True, slots=True)
class Invite:
    """What one VEVENT says."""

    uid: str
    sequence: int
    summary: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    location: str
    description: str
    url: str
    cancelled: bool = False
    attendee: tuple[str, str] | None = None  # (name, email)


def host() -> str:
    return urlsplit(get_settings().base_url).hostname or "fairground.local"


def _organizer() -> vCalAddress:
    mail_from = get_settings().mail_from
    address = mail_from.rsplit("<", 1)[-1].rstrip(">").strip()
    name = mail_from.split("<", 1)[0].strip().strip('"') or "Fairground"
    organizer = vCalAddress(f"mailto:{address}")
    organizer.params["cn"] = vText(name)
    return organizer


def vevent(invite: Invite) -> VEvent:
    zone = ZoneInfo(invite.timezone)
    event = VEvent()
    event.add("uid", invite.uid)
    event.add("sequence", invite.sequence)
    event.add("dtstamp", datetime.now(UTC))
    event.add("summary", invite.summary)
    event.add("dtstart", invite.starts_at.astimezone(zone))
    event.add("dtend", invite.ends_at.astimezone(zone))
    event.add("location", invite.location)
    event.add("description", invite.description)
    event.add("url", invite.url)
    event.add("status", "CANCELLED" if invite.cancelled else "CONFIRMED")
    event.add("organizer", _organizer())
    if invite.attendee:
        name, email = invite.attendee
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["cn"] = vText(name)
        attendee.params["rsvp"] = "FALSE"
        attendee.params["role"] = "REQ-PARTICIPANT"
        attendee.params["partstat"] = "ACCEPTED"
        event.add("attendee", attendee)
    return event


def calendar(invites: list[Invite], method: str | None = None, name: str | None = None) -> bytes:
    """A VCALENDAR with one VEVENT per invite and the VTIMEZONEs they need."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
    for invite in invites:
        cal.add_component(vevent(invite))
    # Before the VEVENTs: RFC 5545 allows any order, but clients expect them first.
    zones = [vtimezone(tzid, years_of(invites, tzid)) for tzid in sorted(cal.get_used_tzids())]
    cal.subcomponents[:0] = zones
    return cal.to_ical()


def years_of(invites: list[Invite], tzid: str) -> set[int]:
    """The years, on the zone's clock, that the invites in this zone start or end in."""
    zone = ZoneInfo(tzid)
    return {
        moment.astimezone(zone).year
        for invite in invites
        if invite.timezone == tzid
        for moment in (invite.starts_at, invite.ends_at)
    }


def location_of(event: dict[str, object]) -> str:
    parts = [event.get("venue_name"), event.get("venue_address"), event.get("venue_postcode")]
    return ", ".join(str(p) for p in parts if p)


def event_feed(event: dict[str, object]) -> bytes:
    """The public feed of one event: subscribe once, see every change."""
    base = get_settings().base_url
    invite = Invite(
        uid=f"event-{event['id']}@{host()}",
        sequence=int(event["sequence"]),  # type: ignore[call-overload]
        summary=str(event["title"]),
        starts_at=event["starts_at"],  # type: ignore[arg-type]
        ends_at=event["ends_at"],  # type: ignore[arg-type]
        timezone=str(event["timezone"]),
        location=location_of(event),
        description=f"{event['description']}\n\n{base}/events/{event['slug']}".strip(),
        url=f"{base}/events/{event['slug']}",
        cancelled=event["status"] == "cancelled",
    )
    return calendar([invite], method="PUBLISH", name=str(event["title"]))
