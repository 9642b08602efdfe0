"""The exhibitors API's input and output (API.md, "Exhibitors")."""

from __future__ import annotations

import msgspec
from msgspec import Struct


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
