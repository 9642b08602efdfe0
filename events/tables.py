"""Event tables."""

from __future__ import annotations

from piccolo.columns import JSON, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from fairground.tables import Organisation, User


class Event(Table):
    """A fair. `confirmed_count` is the capacity guard, moved only by conditional updates."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    slug = Varchar(length=80, unique=True)
    title = Varchar(length=200)
    description = Text(default="")
    organisation = ForeignKey(Organisation, null=False)
    venue_name = Varchar(length=200, default="")
    venue_address = Text(default="")
    venue_postcode = Varchar(length=10, default="")
    access_notes = Text(default="")
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    timezone = Varchar(length=60, default="Europe/London")
    capacity = Integer(default=0)
    confirmed_count = Integer(default=0)
    registration_opens_at = Timestamptz(null=True, default=None)
    registration_closes_at = Timestamptz(null=True, default=None)
    status = Varchar(length=12, default="draft", index=True)
    sequence = Integer(default=0)
    retention_days = Integer(default=180)
    access_notice_days = Integer(default=10)
    # The door admits from this many minutes before the start until the end.
    door_opens_minutes = Integer(default=120)
    # For exhibitors: when they can start setting up, and by when they must be at their stand.
    exhibitor_setup_at = Timestamptz(null=True, default=None)
    exhibitor_arrive_by = Timestamptz(null=True, default=None)
    # The organiser's own words in other languages (all optional):
    # {"pl": {"title": …, "description": …, "access_notes": …}, …}
    translations = JSON(default={})
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Slot(Table):
    """An entry slot with its own capacity guard."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    event = ForeignKey(Event, null=False)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    capacity = Integer(default=0)
    confirmed_count = Integer(default=0)


class DoorAssignment(Table, tablename="door_assignment"):
    """Door staff may check in for the events they are assigned to."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    event = ForeignKey(Event, null=False)
    user = ForeignKey(User, null=False)
