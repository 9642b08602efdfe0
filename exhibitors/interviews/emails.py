"""An interview booking's emails and its own calendar invite.

Each booking has its own UID (`interview-<id>@<host>`) and SEQUENCE (the
booking's `ics_sequence`, bumped on every move and on cancelling), so a calendar
replaces or removes its copy. Emails are queued by intent in the caller's
transaction (fairground.mail) and built by the worker in the attendee's language.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from icalendar import Calendar

from events.ics import PRODID, Invite, host, location_of, vevent, years_of
from events.tables import Event
from events.vtimezone import vtimezone_ical
from fairground import i18n
from fairground.mail import Attachment, build_email, queue_deferred_email, register_builder
from fairground.organisations import organisation_contact, reply_to
from fairground.settings import get_settings
from registrations import invites
from registrations.tables import Registration

Row = dict[str, Any]
KINDS = (
    "interview_confirmation",
    "interview_updated",
    "interview_cancelled",
    "interview_reminder",
)


def ics_url(manage_token: str, booking_id: int) -> str:
    return f"{get_settings().base_url}/r/{manage_token}/interviews/{booking_id}/invite.ics"


def book_url(manage_token: str) -> str:
    return f"{get_settings().base_url}/r/{manage_token}/interviews"


def invite_for(booking: Row, registration: Row, event: Row) -> Invite:
    """`booking` is a bookings_for_registration() item with `ics_sequence`."""
    _ = i18n.gettext
    summary = _("Interview with %(name)s") % {"name": booking["exhibitor_name"]}
    lines = [
        _("Where: %(where)s") % {"where": booking["where"]},
        _("Your ticket, and to change or cancel: %(url)s")
        % {"url": invites.manage_url(registration["manage_token"])},
    ]
    if booking["vacancy_title"]:
        lines.insert(0, _("Role: %(title)s") % {"title": booking["vacancy_title"]})
    location = ", ".join(p for p in (booking["where"], location_of(event)) if p)
    return Invite(
        uid=f"interview-{booking['id']}@{host()}",
        sequence=int(booking["ics_sequence"]),
        summary=summary,
        starts_at=booking["starts_at"],
        ends_at=booking["ends_at"],
        timezone=str(event["timezone"]),
        location=location,
        description="\n".join(lines),
        url=invites.manage_url(registration["manage_token"]),
        cancelled=booking["status"] == "cancelled",
        attendee=(
            (str(registration["name"]), str(registration["email"]))
            if registration["email"]
            else None
        ),
    )


def booking_ics(booking: Row, registration: Row, event: Row) -> bytes:
    """METHOD:REQUEST while booked, METHOD:CANCEL once cancelled; VTIMEZONE first."""
    invite = invite_for(booking, registration, event)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if invite.cancelled else "REQUEST")
    component = vevent(invite)
    if i18n.current() != i18n.DEFAULT:
        for name in ("summary", "description"):
            component[name].params["language"] = i18n.current()
    cal.add_component(component)
    head, marker, tail = bytes(cal.to_ical()).partition(b"BEGIN:VEVENT")
    zones = b"".join(
        vtimezone_ical(tzid, years_of([invite], tzid)) for tzid in sorted(cal.get_used_tzids())
    )
    return head + zones + marker + tail


async def booking_with_sequence(booking_id: int) -> tuple[Row, Row, Row] | None:
    """(booking as the seam gives it, with ics_sequence), registration, event."""
    from exhibitors.interviews.services import bookings_for_registration
    from exhibitors.interviews.tables import InterviewBooking

    row = await InterviewBooking.select().where(InterviewBooking.id == booking_id).first()
    if row is None:
        return None
    registration = await Registration.select().where(Registration.id == row["registration"]).first()
    event = await Event.select().where(Event.id == row["event"]).first()
    if registration is None or event is None:
        return None
    booking = next(
        b for b in await bookings_for_registration(row["registration"]) if b["id"] == booking_id
    )
    return {**booking, "ics_sequence": row["ics_sequence"]}, registration, event


async def send_booking_email(kind: str, booking_id: int, sequence: int, status: str) -> int:
    """Queue one of KINDS; the invite's SEQUENCE and METHOD are pinned now."""
    from exhibitors.interviews.tables import InterviewBooking

    row = (
        await InterviewBooking.select(InterviewBooking.registration.email.as_alias("email"))
        .where(InterviewBooking.id == booking_id)
        .first()
    )
    if row is None or not row["email"]:
        return 0
    params = {"booking_id": booking_id, "pinned": {"ics_sequence": sequence, "status": status}}
    return await queue_deferred_email(kind, row["email"], params)


async def _build(kind: str, params: dict[str, Any]) -> EmailMessage | None:
    found = await booking_with_sequence(params["booking_id"])
    if found is None:
        return None
    booking, registration, event = found
    if not registration["email"]:
        return None
    contact = await organisation_contact(event["organisation"])
    with i18n.use(registration.get("language")):
        event = i18n.localise(event)
        # Words of the seam again, now in the attendee's language.
        found = await booking_with_sequence(params["booking_id"])
        assert found is not None
        booking = {**found[0], **params["pinned"]}
        files: tuple[Attachment, ...] = ()
        if kind != "interview_reminder":
            method = "CANCEL" if booking["status"] == "cancelled" else "REQUEST"
            files = (
                Attachment(
                    "interview.ics",
                    f"text/calendar; method={method}; charset=utf-8",
                    booking_ics(booking, registration, event),
                ),
            )
        context = {
            "registration": registration,
            "event": event,
            "booking": booking,
            "tz": event["timezone"],
            "manage_url": invites.manage_url(registration["manage_token"]),
            "book_url": book_url(registration["manage_token"]),
            "organiser": contact,
            "reply_to": reply_to(contact),
        }
        return build_email(kind, registration["email"], context, files)


def _builder(kind: str) -> Any:
    async def build(params: dict[str, Any]) -> EmailMessage | None:
        return await _build(kind, params)

    return build


for _kind in KINDS:
    register_builder(_kind, _builder(_kind))


async def send_invitation_email(registration_id: int, schedule_id: int) -> int:
    row = (
        await Registration.select(Registration.email)
        .where(Registration.id == registration_id)
        .first()
    )
    if row is None or not row["email"]:
        return 0
    params = {"registration_id": registration_id, "schedule_id": schedule_id}
    return await queue_deferred_email("interview_invitation", row["email"], params)


async def _build_invitation(params: dict[str, Any]) -> EmailMessage | None:
    from exhibitors.interviews.tables import InterviewSchedule

    registration = (
        await Registration.select().where(Registration.id == params["registration_id"]).first()
    )
    exhibitor: Any = InterviewSchedule.exhibitor
    schedule = (
        await InterviewSchedule.select(
            InterviewSchedule.event,
            exhibitor.organisation.name.as_alias("exhibitor_name"),
            InterviewSchedule.vacancy.title.as_alias("vacancy_title"),
        )
        .where(InterviewSchedule.id == params["schedule_id"])
        .first()
    )
    if registration is None or schedule is None or not registration["email"]:
        return None
    event = await Event.select().where(Event.id == schedule["event"]).first()
    assert event is not None
    contact = await organisation_contact(event["organisation"])
    with i18n.use(registration.get("language")):
        event = i18n.localise(event)
        context = {
            "registration": registration,
            "event": event,
            "schedule": schedule,
            "tz": event["timezone"],
            "book_url": book_url(registration["manage_token"]),
            "organiser": contact,
            "reply_to": reply_to(contact),
        }
        return build_email("interview_invitation", registration["email"], context)


register_builder("interview_invitation", _build_invitation)
