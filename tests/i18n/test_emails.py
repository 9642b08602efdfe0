"""Every email an attendee receives, and its invite, in the language of their
registration: no word outside gettext (pseudo-locale), and Polish and Arabic read
back through a real SMTP server, through a change of the fair and a cancellation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from events.services import set_status, update_event
from exhibitors.leads.survey import send_follow_ups
from fairground import i18n
from fairground.mail import SmtpSender, send_due
from registrations.changes import update_registration
from registrations.services import cancel_registration
from registrations.tables import Registration
from registrations.tasks import send_reminders
from registrations.validation import validate_registration
from tests.factories import add_vacancy, make_event, make_exhibitor, make_open_event, make_org
from tests.i18n.helpers import english_left, readable
from tests.registrations.helpers import outbox, parse_ics, parse_mime, parts, raw, register
from tests.registrations.test_email import Inbox
from tests.servers import smtp_server

TITLE = "Careers fair Ω"
PEOPLE = ("Zofia Wiśniewska", "Amira Khan", "Kofi Mensah")
EMPLOYER = "Rugby Borough Council Jobs"
VACANCY = "Data Analyst Ω"
ADVERT = "https://jobs.example.org/1"


@pytest.fixture
def pseudo() -> Any:
    i18n.enable_pseudo()
    yield
    i18n.enable_pseudo(False)


def _soon() -> datetime:
    """Inside the reminder's window (the day before)."""
    return datetime.now(UTC).replace(microsecond=0) + timedelta(hours=12)


async def _in(code: str, *tokens: str) -> None:
    await Registration.update({Registration.language: code}).where(
        Registration.manage_token.is_in(list(tokens))
    )


def _texts(message: Any) -> list[tuple[str, str]]:
    found = parts(message)
    texts = [("subject", str(message["Subject"])), ("text", found["text"])]
    texts.append(("html", readable(found["html"])))
    if "ics" in found:
        _cal, vevent = parse_ics(found["ics"])
        texts += [("SUMMARY", str(vevent["SUMMARY"])), ("DESCRIPTION", str(vevent["DESCRIPTION"]))]
    return texts


async def test_no_words_of_an_attendee_email_bypass_gettext(pseudo: None) -> None:
    """Each kind: confirmation, waiting list, promotion, cancellation, the fair's
    change and cancellation, the reminder, the attendee's own change, follow-up."""
    event = await make_event(title=TITLE, capacity=1, starts_at=_soon())
    # The plan for the day: every employer for the first, digital jobs for the second.
    employer = await make_exhibitor(event["id"], await make_org(EMPLOYER))
    await add_vacancy(employer, VACANCY, "digital", ADVERT, stand="A1")
    first = await register(event, name=PEOPLE[0], email="first@example.org")
    second = await register(
        event, name=PEOPLE[1], email="second@example.org", interests=["digital"]
    )
    await _in(i18n.PSEUDO.code, first.manage_token, second.manage_token)
    await cancel_registration(first.manage_token)  # cancelled; second promoted
    await update_registration(second.manage_token, {"phone": "07700 900982"})
    assert await send_reminders() >= 1
    await update_event(event["slug"], {"venue_name": "Coventry Building Society Arena"})
    await set_status(event["slug"], "cancelled")
    past = await make_open_event(title=TITLE)
    third = await register(past, name=PEOPLE[2], email="third@example.org")
    await _in(i18n.PSEUDO.code, third.manage_token)
    await set_status(past["slug"], "closed")
    assert await send_follow_ups() == 1
    data = [TITLE, *PEOPLE, "Coventry Building Society Arena", "07700 900982"]
    data += [str(event[k]) for k in ("venue_name", "venue_address", "venue_postcode")]
    data += [str(event["access_notes"]), "Fairground <fairground@example.org>"]
    data += [EMPLOYER, VACANCY, ADVERT]
    kinds, leaks, plans = set(), [], 0
    for message in await outbox():
        plans += VACANCY in parts(message)["text"]
        kinds.add(str(message["Subject"]).split("⟧")[0])
        for part, text in _texts(message):
            words = english_left(text, data)
            if words:
                leaks.append(f"{message['Subject']} ({part}): {words[:10]}")
    assert len(kinds) >= 9, kinds
    assert plans >= 2  # the confirmation and the reminder (and the promotion) carry the plan
    assert not leaks, "\n".join(leaks)


def _expected(code: str, msgid: str, **values: Any) -> str:
    with i18n.use(code):
        text = i18n.gettext(msgid) % values
    assert text != msgid % values, f"{msgid!r} is not translated into {code}"
    return text


@pytest.mark.parametrize("code", ["pl", "ar"])
async def test_emails_arrive_in_the_registrations_language(code: str) -> None:
    inbox = Inbox()
    event = await make_event(title=TITLE)
    data = await validate_registration(event, raw(name=PEOPLE[0], language=code))
    assert data.language == code
    from registrations.services import register_attendee

    result = await register_attendee(event["slug"], data)
    later = event["starts_at"] + timedelta(hours=1)
    await update_event(event["slug"], {"starts_at": later, "ends_at": later + timedelta(hours=5)})
    await cancel_registration(result.manage_token)
    with smtp_server(inbox) as port:
        assert await send_due(SmtpSender(f"smtp://127.0.0.1:{port}")) == 3
    confirmation, updated, cancelled = (parse_mime(m) for _to, m in inbox.messages)
    language = i18n.language(code)
    subjects = [
        _expected(code, "Your ticket for %(title)s", title=TITLE),
        _expected(code, "Changed: %(title)s, new details", title=TITLE),
        _expected(code, "You have cancelled your place at %(title)s", title=TITLE),
    ]
    hello = _expected(code, "Hello %(name)s,", name=PEOPLE[0])
    for message, subject in zip((confirmation, updated, cancelled), subjects, strict=True):
        assert message["Subject"] == subject
        assert message["Content-Language"] == code
        found = parts(message)
        assert hello in found["text"] and hello in found["html"]
        assert f'lang="{code}" dir="{language.dir}"' in found["html"]
        _cal, vevent = parse_ics(found["ics"])
        assert vevent["SUMMARY"].params.get("LANGUAGE") == code
        reference = _expected(code, "Reference: %(reference)s", reference=result.reference)
        assert reference in str(vevent["DESCRIPTION"])
    assert parse_ics(parts(cancelled)["ics"])[0]["METHOD"] == "CANCEL"


async def test_an_api_registration_without_a_language_is_in_english() -> None:
    event = await make_event()
    data = await validate_registration(event, raw())
    assert data.language == "en"
    with pytest.raises(Exception) as refused:
        await validate_registration(event, raw(language="xx"))
    assert "language" in getattr(refused.value, "fields", {})


async def test_no_words_of_an_interview_email_bypass_gettext(pseudo: None) -> None:
    """Booked, moved, cancelled, the reminder, and an invitation to choose a time."""
    from exhibitors.interviews import services as interviews
    from exhibitors.interviews.tasks import send_interview_reminders
    from exhibitors.leads.tables import Lead
    from tests.factories import make_exhibitor, make_org

    event = await make_event(title=TITLE, starts_at=_soon())
    employer = "Rugby Borough Council Jobs"
    exhibitor_id = await make_exhibitor(event["id"], await make_org(employer))
    start = event["starts_at"]
    plan = interviews.ScheduleInput(starts_at=start, ends_at=start + timedelta(hours=1))
    slots = (await interviews.publish_schedule(exhibitor_id, plan, None))["slots"]
    invited = interviews.ScheduleInput(
        starts_at=start, ends_at=start + timedelta(hours=1), mode="invited"
    )
    invited_id = (await interviews.publish_schedule(exhibitor_id, invited, None))["id"]
    person = await register(event, name=PEOPLE[0], email="first@example.org")
    await _in(i18n.PSEUDO.code, person.manage_token)
    booking = await interviews.book(person.manage_token, slots[0]["id"])
    await interviews.move(person.manage_token, booking["id"], slots[1]["id"])
    assert await send_interview_reminders() == 1
    await interviews.cancel(person.manage_token, booking["id"])
    row = (
        await Registration.select().where(Registration.manage_token == person.manage_token).first()
    )
    await Lead.insert(Lead(event=event["id"], exhibitor=exhibitor_id, registration=row["id"]))
    assert await interviews.invite(exhibitor_id, invited_id, [row["id"]]) == 1
    data = [TITLE, *PEOPLE, employer, "Fairground <fairground@example.org>"]
    data += [str(event[k]) for k in ("venue_name", "venue_address", "venue_postcode")]
    data += [str(event["access_notes"])]
    kinds, leaks = set(), []
    for message in await outbox():
        kinds.add(str(message["Subject"]).split("⟧")[0])
        for part, text in _texts(message):
            words = english_left(text, data)
            if words:
                leaks.append(f"{message['Subject']} ({part}): {words[:10]}")
    assert len(kinds) >= 6, kinds  # the ticket, and the five interview messages
    assert not leaks, "\n".join(leaks)
