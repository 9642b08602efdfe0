"""A registration's calendar invite and the add-to-calendar links.

The UID is stable per registration (`registration-<id>@<host>`) and SEQUENCE
is the registration's `ics_sequence`, bumped on every change, so a calendar
replaces the earlier copy instead of adding a second event.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from icalendar import Calendar

from events.ics import (
    PRODID,
    Invite,
    host,
    location_of,
    vevent,  # the same VEVENT as the public feed
    years_of,
)
from events.vtimezone import vtimezone_ical
from fairground import i18n
from fairground.settings import get_settings


def manage_url(manage_token: str) -> str:
    return f"{get_settings().base_url}/r/{manage_token}"


def event_url(event: dict[str, Any]) -> str:
    return f"{get_settings().base_url}/events/{event['slug']}"


def times_of(event: dict[str, Any], slot: dict[str, Any] | None) -> tuple[datetime, datetime]:
    """The attendee's own times: their entry slot when they have one."""
    if slot:
        return slot["starts_at"], slot["ends_at"]
    return event["starts_at"], event["ends_at"]


def _description(event: dict[str, Any], registration: dict[str, Any]) -> str:
    """In the current language (the registration's, when an email is built)."""
    _ = i18n.gettext
    lines = [
        _("Reference: %(reference)s") % {"reference": registration["reference"]},
        _("Your ticket, and to change or cancel: %(url)s")
        % {"url": manage_url(registration["manage_token"])},
        _("Event details: %(url)s") % {"url": event_url(event)},
    ]
    access_notes, _lang = i18n.localised(event, "access_notes")
    if access_notes:
        lines.append(_("Access: %(notes)s") % {"notes": access_notes})
    return "\n".join(lines)


def invite_for(
    registration: dict[str, Any], event: dict[str, Any], slot: dict[str, Any] | None
) -> Invite:
    starts_at, ends_at = times_of(event, slot)
    return Invite(
        uid=f"registration-{registration['id']}@{host()}",
        sequence=int(registration["ics_sequence"]),
        summary=i18n.localised(event, "title")[0],
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=str(event["timezone"]),
        location=location_of(event),
        description=_description(event, registration),
        url=manage_url(registration["manage_token"]),
        cancelled=is_cancelled(registration, event),
        attendee=(
            (str(registration["name"]), str(registration["email"]))
            if registration["email"]
            else None  # a walk-up registered without an email
        ),
    )


def is_cancelled(registration: dict[str, Any], event: dict[str, Any]) -> bool:
    return registration["status"] != "confirmed" or event["status"] == "cancelled"


def invite_ics(
    registration: dict[str, Any], event: dict[str, Any], slot: dict[str, Any] | None
) -> bytes:
    """METHOD:REQUEST while the place is confirmed, METHOD:CANCEL once it is not.

    Like events.ics.calendar(), with the VTIMEZONE (cached per zone and years) placed
    before the VEVENT (RFC 5545 allows components in any order; clients expect it
    first)."""
    invite = invite_for(registration, event, slot)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if is_cancelled(registration, event) else "REQUEST")
    component = vevent(invite)
    if i18n.current() != i18n.DEFAULT:  # RFC 5545 LANGUAGE: the words' language
        for name in ("summary", "description"):
            component[name].params["language"] = i18n.current()
    cal.add_component(component)
    head, marker, tail = bytes(cal.to_ical()).partition(b"BEGIN:VEVENT")
    zones = b"".join(
        vtimezone_ical(tzid, years_of([invite], tzid)) for tzid in sorted(cal.get_used_tzids())
    )
    return head + zones + marker + tail


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def google_calendar_url(
    registration: dict[str, Any], event: dict[str, Any], slot: dict[str, Any] | None
) -> str:
    starts_at, ends_at = times_of(event, slot)
    query = {
        "action": "TEMPLATE",
        "text": i18n.localised(event, "title")[0],
        "dates": f"{_utc(starts_at)}/{_utc(ends_at)}",
        "ctz": event["timezone"],
        "location": location_of(event),
        "details": _description(event, registration),
    }
    return f"https://calendar.google.com/calendar/render?{urlencode(query)}"


def outlook_calendar_url(
    registration: dict[str, Any], event: dict[str, Any], slot: dict[str, Any] | None
) -> str:
    starts_at, ends_at = times_of(event, slot)
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": i18n.localised(event, "title")[0],
        "startdt": starts_at.astimezone(UTC).isoformat(),
        "enddt": ends_at.astimezone(UTC).isoformat(),
        "location": location_of(event),
        "body": _description(event, registration),
    }
    return f"https://outlook.live.com/calendar/0/deeplink/compose?{urlencode(query)}"
