"""Exhibitor tables."""

from __future__ import annotations

from piccolo.columns import ForeignKey, Serial, Text, Timestamptz, Varchar
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


class ExhibitorStaff(Table, tablename="exhibitor_staff"):
    """A staff user of an exhibitor."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    exhibitor = ForeignKey(Exhibitor, null=False)
    user = ForeignKey(User, null=False)
