"""Exhibitor tables: bookings, their staff and vacancies, stands and allocations."""

from __future__ import annotations

from piccolo.columns import (
    Boolean,
    Date,
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

from events.tables import Event
from fairground.tables import Organisation, User


class Exhibitor(Table):
    """An organisation's booking at an event."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    event = ForeignKey(Event, null=False)
    organisation = ForeignKey(Organisation, null=False)
    status = Varchar(length=12, default="applied", index=True)
    contact_name = Varchar(length=200, default="")
    contact_email = Varchar(length=254, default="")
    profile = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    contact_phone = Varchar(length=40, default="")
    # "verified" (an active subscriber's own email domain) or "needs_review".
    verification = Varchar(length=16, default="needs_review", index=True)
    review_reason = Varchar(length=40, default="")
    needs_power = Boolean(default=False)
    needs_tables = Integer(default=1)
    staff_limit = Integer(default=2)
    needs_notes = Text(default="")
    logo = Varchar(length=80, default="")
    decision_message = Text(default="")
    decided_at = Timestamptz(null=True, default=None)


class ExhibitorStaff(Table, tablename="exhibitor_staff"):
    """A staff user of an exhibitor."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    exhibitor = ForeignKey(Exhibitor, null=False)
    user = ForeignKey(User, null=False)


class Vacancy(Table):
    """A role an exhibitor promotes at the fair, linking to the job-board advert."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    exhibitor = ForeignKey(Exhibitor, null=False)
    title = Varchar(length=200)
    job_family = Varchar(length=40, index=True)
    url = Varchar(length=500, default="")
    position = Integer(default=0)
    # The advert's closing date, when the exhibitor gives one: the public page's
    # JobPosting validThrough, and the plan leaves out vacancies that have closed.
    closes_on = Date(null=True, default=None)


class Stand(Table):
    """A stand on the floor plan; position and size in metres. Codes are unique per event."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    event = ForeignKey(Event, null=False)
    code = Varchar(length=12)
    width = Integer(default=3)
    depth = Integer(default=2)
    x = Integer(default=0)
    y = Integer(default=0)
    power = Boolean(default=False)


class StandAllocation(Table, tablename="stand_allocation"):
    """Which exhibitor has which stand. Both columns are unique: one exhibitor per
    stand and one stand per exhibitor, so two organisers allocating at once cannot
    both win."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    stand = ForeignKey(Stand, null=False, unique=True)
    exhibitor = ForeignKey(Exhibitor, null=False, unique=True)
    allocated_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    allocated_at = Timestamptz(default=TimestamptzNow())
