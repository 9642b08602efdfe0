"""Interview API input (docs/API-extensions.md, "Interviews")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec
from msgspec import Meta, Struct

Minutes = Annotated[int, Meta(ge=0, le=24 * 60)]


class ScheduleIn(Struct, forbid_unknown_fields=True):
    starts_at: datetime
    ends_at: datetime
    slot_minutes: Minutes = 20
    gap_minutes: Minutes = 5
    parallel: Annotated[int, Meta(ge=1, le=20)] = 1
    breaks: Annotated[list[tuple[datetime, datetime]], Meta(max_length=10)] = msgspec.field(
        default_factory=list
    )
    mode: Annotated[str, Meta(max_length=8)] = "open"
    vacancy_id: Annotated[int, Meta(ge=1, le=2**31 - 1)] | None = None


class BookingIn(Struct, forbid_unknown_fields=True):
    slot_id: Annotated[int, Meta(ge=1, le=2**31 - 1)]


class OutcomeIn(Struct, forbid_unknown_fields=True):
    outcome: Annotated[str, Meta(max_length=20)]
    start_date: date | None = None


class WalkInIn(Struct, forbid_unknown_fields=True):
    code: Annotated[str, Meta(min_length=1, max_length=2000)]


class InvitationsIn(Struct, forbid_unknown_fields=True):
    registration_ids: Annotated[
        list[Annotated[int, Meta(ge=1, le=2**31 - 1)]], Meta(min_length=1, max_length=500)
    ]


class PolicyIn(Struct, forbid_unknown_fields=True):
    per_person_limit: Annotated[int, Meta(ge=1, le=20)] = 3
    cutoff_minutes: Annotated[int, Meta(ge=0, le=10080)] = 60
