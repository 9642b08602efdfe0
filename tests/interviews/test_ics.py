"""Each booking's invite, parsed back by icalendar and vobject: its own UID, stable
across a move and a cancel, SEQUENCE growing, REQUEST then CANCEL, with VTIMEZONE."""

from __future__ import annotations

import email
from email.policy import default as default_policy

import vobject
from icalendar import Calendar

from exhibitors.interviews import services
from tests.interviews.helpers import attendee, fair, schedule, slot_ids
from tests.registrations.helpers import outbox


def _ics(message: email.message.EmailMessage) -> bytes:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return part.get_payload(decode=True)
    raise AssertionError("no invite attached")


def _read(data: bytes) -> tuple[str, int, str, str]:
    cal = Calendar.from_ical(data)
    [event] = [c for c in cal.walk("VEVENT")]
    assert [c for c in cal.walk("VTIMEZONE")], "VTIMEZONE missing"
    parsed = vobject.readOne(data.decode())
    assert str(parsed.vevent.uid.value) == str(event["uid"])
    assert int(parsed.vevent.sequence.value) == int(event["sequence"])
    assert parsed.vevent.dtstart.value.tzinfo is not None
    return str(event["uid"]), int(event["sequence"]), str(cal["method"]), str(event["status"])


async def test_uid_stable_sequence_grows(client: object) -> None:
    world = await fair()
    event, start = world["event"], world["event"]["starts_at"]
    ids = await slot_ids((await schedule(world["exhibitor_id"], start))["id"])
    token = await attendee(event, 1)
    first = await services.book(token, ids[0])
    second = await services.book(token, ids[3])
    await services.move(token, first["id"], ids[1])
    await services.cancel(token, first["id"])
    booked = [_read(_ics(m)) for m in await outbox("interview_confirmation")]
    moved = _read(_ics((await outbox("interview_updated"))[0]))
    cancelled = _read(_ics((await outbox("interview_cancelled"))[0]))
    uid = booked[0][0]
    assert uid.startswith(f"interview-{first['id']}@") and booked[1][0] != uid
    assert booked[0][1:] == (0, "REQUEST", "CONFIRMED")
    assert moved == (uid, 1, "REQUEST", "CONFIRMED")
    assert cancelled == (uid, 2, "CANCEL", "CANCELLED")
    # The download on the ticket page is the same document, at its latest.
    response = await client.get(f"/r/{token}/interviews/{first['id']}/invite.ics")  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert _read(response.content) == (uid, 2, "CANCEL", "CANCELLED")
    other = await client.get(f"/r/{token}/interviews/{second['id']}/invite.ics")  # type: ignore[attr-defined]
    assert _read(other.content)[0] == booked[1][0]
    # Someone else's token cannot fetch it.
    stranger = await attendee(event, 2)
    response = await client.get(f"/r/{stranger}/interviews/{first['id']}/invite.ics")  # type: ignore[attr-defined]
    assert response.status_code == 404


async def test_reminder_once_in_the_attendees_language() -> None:
    from datetime import timedelta

    from exhibitors.interviews.tasks import send_interview_reminders
    from registrations.tables import Registration

    world = await fair()
    event, start = world["event"], world["event"]["starts_at"]
    ids = await slot_ids((await schedule(world["exhibitor_id"], start))["id"])
    token = await attendee(event, 1)
    await Registration.update({Registration.language: "pl"}).where(
        Registration.manage_token == token
    )
    await services.book(token, ids[0])
    moment = start - timedelta(hours=2)
    assert await send_interview_reminders(moment) == 1
    assert await send_interview_reminders(moment) == 0
    [message] = await outbox("interview_reminder")
    assert message["Content-Language"] == "pl"


_ = default_policy
