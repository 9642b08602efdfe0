"""Email subjects read back exactly as written: no leading or trailing space, however
long the subject (Python's folding once put a subject that fits a line of its own on
the line after "Subject:", and readers saw it with a leading space)."""

from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest

from events.services import update_event
from fairground.mail import MAIL_POLICY
from fairground.tables import OutboxMessage
from registrations.services import cancel_registration
from tests.factories import make_event
from tests.registrations.helpers import outbox, register

SENTENCE = "Careers fair at the Library of Birmingham, Centenary Square, winter edition. "


def title(length: int) -> str:
    return (SENTENCE * 3)[:length].strip()


@pytest.mark.parametrize("length", range(1, 160))
def test_a_subject_of_any_length_reads_back_as_written(length: int) -> None:
    subject = title(length)
    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = subject
    message.set_content("Hello")
    payload = message.as_bytes()
    read = email.message_from_bytes(payload, policy=default_policy)
    assert read["Subject"] == subject
    assert all(len(line) <= 78 for line in payload.split(b"\n") if b" " in line[:80])


@pytest.mark.parametrize("length", [40, 44, 58, 61])
async def test_every_attendee_email_subject_has_no_outer_spaces(length: int) -> None:
    """40 and 44 characters make the cancellation's subject 73 and 77 long, 58 and 61
    the ticket's: long enough to be folded, short enough to fit on a line alone."""
    event = await make_event(title=title(length))
    result = await register(event)
    await update_event(event["slug"], {"venue_name": "The Council House"})
    await cancel_registration(result.manage_token)
    messages = await outbox()
    assert len(messages) == 3
    for message in messages:
        subject = str(message["Subject"])
        assert subject == subject.strip() and event["title"] in subject, repr(subject)
    for row in await OutboxMessage.select(OutboxMessage.subject):
        assert row["subject"] == row["subject"].strip()
