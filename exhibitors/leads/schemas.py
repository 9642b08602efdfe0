"""Leads API input and output (API.md, "Leads" and "Councils")."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta, Struct

Codes = Annotated[list[Annotated[str, Meta(max_length=40)]], Meta(max_length=50)]


class LeadIn(Struct, forbid_unknown_fields=True):
    """A scan at a stand. `rating` 1 (cold) to 5 (hot); `consent_given` records that the
    attendee agreed, at the stand, to share their details with this exhibitor."""

    code: Annotated[str, Meta(min_length=1, max_length=2000)]
    rating: Annotated[int, Meta(ge=1, le=5)] | None = None
    notes: Annotated[str, Meta(max_length=4000)] = ""
    interests: Codes = msgspec.field(default_factory=list)
    consent_given: bool = False
    client_id: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    # Only needed by someone on the staff of two exhibitors at the same event.
    exhibitor_id: int | None = None


class AttendeeOut(Struct):
    name: str
    email: str | None
    phone: str | None
    interests: list[str]
    home_council: str | None


class LeadOut(Struct):
    id: int
    consent: str  # given | none
    attendee: AttendeeOut
    rating: int | None
    notes: str
    source: str
    captured_at: str
    updated_at: str


class OutcomeIn(Struct, forbid_unknown_fields=True):
    outcome: Annotated[str, Meta(max_length=12)]


class WebhookIn(Struct, forbid_unknown_fields=True):
    url: Annotated[str, Meta(min_length=1, max_length=500)]
