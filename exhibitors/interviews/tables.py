"""Interview tables: schedules, the slots made from them, bookings, invitations, and
each event's interview policy (the organiser's per-person limit and cutoff)."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from events.tables import Event
from exhibitors.tables import Exhibitor, Vacancy
from fairground.tables import User
from registrations.tables import Registration


class InterviewPolicy(Table, tablename="interview_policy"):
    """The organiser's setting for one event; an event without a row uses the defaults."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    event = ForeignKey(Event, null=False, unique=True)
    per_person_limit = Integer(default=3)
    cutoff_minutes = Integer(default=60)  # cancel or move until this long before


class InterviewSchedule(Table, tablename="interview_schedule"):
    """An exhibitor's interviews, for a vacancy or general; slots are made from it."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    event = ForeignKey(Event, null=False)
    exhibitor = ForeignKey(Exhibitor, null=False)
    vacancy = ForeignKey(Vacancy, null=True, default=None, on_delete=OnDelete.set_null)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    slot_minutes = Integer(default=20)
    gap_minutes = Integer(default=5)
    parallel = Integer(default=1)
    breaks = JSON(default=[])  # [[iso start, iso end], …]
    mode = Varchar(length=8, default="open")  # open | invited
    created_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())


class InterviewSlot(Table, tablename="interview_slot"):
    """One time at one stand; `capacity` places (the parallel tables), `booked_count`
    the guard, moved only by conditional updates."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    schedule = ForeignKey(InterviewSchedule, null=False, on_delete=OnDelete.cascade)
    event = ForeignKey(Event, null=False)
    exhibitor = ForeignKey(Exhibitor, null=False)
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz()
    capacity = Integer(default=1)
    booked_count = Integer(default=0)


class InterviewBooking(Table, tablename="interview_booking"):
    """A jobseeker's interview. The UID of its invite is `interview-<id>@host`;
    `ics_sequence` grows with every change. `outcome` after the interview."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    slot = ForeignKey(InterviewSlot, null=False)
    registration = ForeignKey(Registration, null=False)
    event = ForeignKey(Event, null=False)
    exhibitor = ForeignKey(Exhibitor, null=False)
    status = Varchar(length=12, default="booked", index=True)  # booked|cancelled|attended|no_show
    walk_in = Boolean(default=False)
    outcome = Varchar(length=20, default="")  # see services.OUTCOMES
    offer_at = Timestamptz(null=True, default=None)
    accepted_at = Timestamptz(null=True, default=None)
    start_date = Date(null=True, default=None)
    ics_sequence = Integer(default=0)
    reminded_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    cancelled_at = Timestamptz(null=True, default=None)


class InterviewInvitation(Table, tablename="interview_invitation"):
    """Someone an exhibitor invited to choose a time in an invited-mode schedule."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    schedule = ForeignKey(InterviewSchedule, null=False, on_delete=OnDelete.cascade)
    registration = ForeignKey(Registration, null=False)
    invited_at = Timestamptz(default=TimestamptzNow())
