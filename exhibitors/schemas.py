"""The exhibitors API's input and output (API.md, "Exhibitors")."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType


class ContactIn(Struct, forbid_unknown_fields=True):
    name: str
    email: str
    phone: str | None = None


class NeedsIn(Struct, forbid_unknown_fields=True):
    power: bool = False
    tables: int = 1
    staff: int = 2
    notes: str = ""


class VacancyIn(Struct, forbid_unknown_fields=True):
    title: str
    job_family: str
    url: str = ""
    closes_on: str | None = None  # YYYY-MM-DD, the advert's closing date


class ApplicationIn(Struct, forbid_unknown_fields=True):
    organisation: str
    contact: ContactIn
    subscriber_ref: str | None = None
    needs: NeedsIn = msgspec.field(default_factory=NeedsIn)
    vacancies: list[VacancyIn] = msgspec.field(default_factory=list)


class VerificationOut(Struct):
    status: str  # verified | needs_review
    reason: str | None  # no_reference | unknown_reference | organisation_mismatch | ...
    detail: str


class ApplicationCreated(Struct):
    id: int
    status: str  # applied | waitlisted
    verification: VerificationOut


class DecisionIn(Struct, forbid_unknown_fields=True):
    decision: str  # approve | waitlist | reject
    stand: str | None = None
    message: str = ""


class DecisionOut(Struct):
    id: int
    status: str
    stand: str | None
    message: str


# Stands (docs/API-extensions.md, "Stands"): whole metres on the floor plan.
StandCode = Annotated[
    str, Meta(min_length=1, max_length=12, description="Letters, numbers or dashes, like A12")
]
Position = Annotated[int, Meta(ge=0, le=200, description="Metres from the plan's left or top")]
Side = Annotated[int, Meta(ge=1, le=20, description="Metres")]


class StandNeeds(Struct, forbid_unknown_fields=True):
    power: bool = False


class StandIn(Struct, forbid_unknown_fields=True):
    code: StandCode
    x: Position
    y: Position
    width: Side
    depth: Side
    needs: StandNeeds = msgspec.field(default_factory=StandNeeds)


class StandPatch(Struct, forbid_unknown_fields=True):
    code: StandCode | UnsetType = UNSET
    x: Position | UnsetType = UNSET
    y: Position | UnsetType = UNSET
    width: Side | UnsetType = UNSET
    depth: Side | UnsetType = UNSET
    needs: StandNeeds | UnsetType = UNSET


class StandExhibitorOut(Struct):
    id: int
    name: str


class StandOut(Struct):
    code: str
    x: int
    y: int
    width: int
    depth: int
    needs: StandNeeds
    exhibitor: StandExhibitorOut | None
