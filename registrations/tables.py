"""Registration tables."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from events.tables import Event, Slot
from fairground.tables import Organisation, User


class Registration(Table):
    """One attendee at one event. (event, email) is unique (see the migration);
    a walk-up without an email has NULL, which the unique index lets repeat."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    event = ForeignKey(Event, null=False)
    slot = ForeignKey(Slot, null=True, default=None)
    reference = Varchar(length=16, unique=True)
    manage_token = Varchar(length=64, unique=True)
    name = Varchar(length=200)
    email = Varchar(length=254, null=True, default=None)  # none for some walk-ups
    phone = Varchar(length=40, default="")
    postcode = Varchar(length=10, default="")
    home_council = Varchar(length=20, default="")
    interests = JSON(default=[])
    access_needs = Text(default="")
    consent_councils = JSON(default=[])
    consent_job_alerts = Boolean(default=False)
    # The language the registration was made in (fairground.i18n): its emails and invite.
    language = Varchar(length=8, default="en")
    status = Varchar(length=12, index=True)
    ticket_code = Varchar(length=120, null=True, default=None, unique=True)
    ics_sequence = Integer(default=0)
    checked_in_at = Timestamptz(null=True, default=None)
    checked_in_door = Varchar(length=80, default="")
    reminded_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    cancelled_at = Timestamptz(null=True, default=None)
    # The employability partner who referred them (a ?via= link, or partner staff
    # registering them): the attendee sees it on the manage page and may remove it.
    referred_by = ForeignKey(Organisation, null=True, default=None, on_delete=OnDelete.set_null)
    # The attendee agreed that the referring partner may see their attendance and
    # outcomes by name (withdrawable on the manage page).
    partner_consent = Boolean(default=False)
    # Partner staff who registered them on their behalf (assisted registration).
    assisted_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)


class AccessRequest(Table, tablename="access_request"):
    """A BSL interpreter or other adjustment, in the organiser's queue."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    registration = ForeignKey(Registration, null=False)
    need = Text()
    status = Varchar(length=12, default="open")
    notice_deadline = Timestamptz(null=True, default=None)
    note = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())


class EqualityResponse(Table, tablename="equality_response"):
    """Equality monitoring answers, kept apart from identity: no link to a registration."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    event = ForeignKey(Event, null=False)
    answers = JSON(default={})
    created_at = Timestamptz(default=TimestamptzNow())


class CheckIn(Table, tablename="check_in"):
    """The append-only log of every scan at the door and its verdict."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker
    event = ForeignKey(Event, null=False)
    registration = ForeignKey(Registration, null=True, default=None)
    code_hash = Varchar(length=64, default="", index=True)
    verdict = Varchar(length=24, index=True)
    door = Varchar(length=80, default="")
    device = Varchar(length=80, default="")
    user = ForeignKey(User, null=True, default=None)
    client_id = Varchar(length=64, null=True, default=None, unique=True)
    scanned_at = Timestamptz(default=TimestamptzNow())
    received_at = Timestamptz(default=TimestamptzNow())
    synced = Boolean(default=False)  # scanned offline, sent later
    duplicate = Boolean(default=False)  # a second "ok" from an offline device
    response = JSON(default={})


class EventPartner(Table, tablename="event_partner"):
    """An employability partner invited by the organiser to bring people to a fair.
    (event, organisation) is unique (raw index in the migration)."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    event = ForeignKey(Event, null=False)
    organisation = ForeignKey(Organisation, null=False)
    invited_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    invited_at = Timestamptz(default=TimestamptzNow())
