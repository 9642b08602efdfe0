"""Registration API input and output.

The input struct is deliberately loose about values (any string, any list):
`services.validate_registration` checks every field and names every bad one
at once, which msgspec (first error only) cannot.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

# Generous limits so a huge value is a 422 from msgspec, never a slow path.
Text = Annotated[str, Meta(max_length=5000)]
Language = Annotated[str, Meta(max_length=8)]
Codes = Annotated[list[Annotated[str, Meta(max_length=40)]], Meta(max_length=100)]


class ConsentIn(Struct, forbid_unknown_fields=True):
    councils: Codes = msgspec.field(default_factory=list)
    job_alerts: bool = False


class RegistrationIn(Struct, forbid_unknown_fields=True):
    name: Text = ""
    email: Text = ""
    phone: Text | None = None
    postcode: Text | None = None
    home_council: Text | None = None
    interests: Codes = msgspec.field(default_factory=list)
    access_needs: Text | None = None
    slot_id: int | None = None
    consent: ConsentIn | None = None
    # Optional equality monitoring answers (question → answer); stored apart.
    equality: dict[Annotated[str, Meta(max_length=40)], Text] | None = None
    # The language of the attendee's emails and invite (fairground.i18n): "pl", "ar"…
    language: Language | None = None
    # A partner's referral code (its organisation's short code; ?via= on the pages).
    via: Annotated[str, Meta(max_length=40)] | None = None
    # Partner staff only: the client agrees that the referring partner may see their
    # attendance and outcomes, by name (withdrawable on the manage page).
    partner_consent: bool = False

    def raw(self) -> dict[str, Any]:
        """The dict validate_registration reads."""
        consent = self.consent or ConsentIn()
        return {
            "name": self.name,
            "email": self.email,
            "phone": self.phone,
            "postcode": self.postcode,
            "home_council": self.home_council,
            "interests": self.interests,
            "access_needs": self.access_needs,
            "slot_id": self.slot_id,
            "consent": {"councils": consent.councils, "job_alerts": consent.job_alerts},
            "language": self.language or "en",
        }


class ConsentPatch(Struct, forbid_unknown_fields=True):
    councils: Codes | UnsetType = UNSET
    job_alerts: bool | UnsetType = UNSET


class RegistrationPatch(Struct, forbid_unknown_fields=True):
    """What an attendee may change; a field left out is not changed (null clears text)."""

    phone: Text | UnsetType | None = UNSET
    postcode: Text | UnsetType | None = UNSET
    interests: Codes | UnsetType = UNSET
    consent: ConsentPatch | UnsetType = UNSET
    slot_id: int | UnsetType | None = UNSET
    access_needs: Text | UnsetType | None = UNSET
    language: Language | UnsetType = UNSET

    def raw(self) -> dict[str, Any]:
        """The dict update_registration reads: only the fields sent."""
        raw = {
            name: getattr(self, name)
            for name in ("phone", "postcode", "interests", "slot_id", "access_needs", "language")
            if getattr(self, name) is not UNSET
        }
        if not isinstance(self.consent, UnsetType):
            parts = {"councils": self.consent.councils, "job_alerts": self.consent.job_alerts}
            raw["consent"] = {k: v for k, v in parts.items() if v is not UNSET}
        return raw


class LinksOut(Struct):
    manage: str
    qr_svg: str
    qr_png: str
    ics: str
    # The printable ticket (tagged PDF; ?size=a6 for A6): only when there is a ticket.
    ticket_pdf: str | None = None


class RegistrationCreated(Struct):
    reference: str
    status: str
    ticket_code: str | None
    manage_token: str
    links: LinksOut


class ConsentOut(Struct):
    councils: list[str]
    job_alerts: bool


class SlotOut(Struct):
    id: int
    starts_at: datetime
    ends_at: datetime


class VenueOut(Struct):
    name: str
    address: str
    postcode: str
    access_notes: str


class EventSummary(Struct):
    slug: str
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    status: str
    venue: VenueOut


class AllLinksOut(Struct):
    manage: str
    qr_svg: str
    qr_png: str
    ics: str
    google: str
    outlook: str
    ticket_pdf: str


class PlanVacancyOut(Struct):
    title: str
    job_family: str
    job_family_name: str
    url: str
    closes_on: date | None


class PlanExhibitorOut(Struct):
    name: str
    stand: str | None
    vacancies: list[PlanVacancyOut]


class PlanStandOut(Struct):
    code: str
    exhibitor_name: str


class PlanBookingOut(Struct):
    id: int
    starts_at: datetime
    ends_at: datetime
    status: str
    exhibitor_name: str
    stand: str | None
    vacancy_title: str
    where: str


class PlanLinksOut(Struct):
    page: str  # the printable plan, /r/<token>/plan


class PlanOut(Struct):
    """The plan for the day (exhibitors.plan): `everyone` when no interests are chosen."""

    everyone: bool
    interests: list[str]
    exhibitors: list[PlanExhibitorOut]
    stands: list[PlanStandOut]
    bookings: list[PlanBookingOut]
    links: PlanLinksOut


class RegistrationOut(Struct):
    reference: str
    status: str
    name: str
    email: str | None  # None for a walk-up registered at the door without one
    phone: str
    postcode: str
    home_council: str
    interests: list[str]
    access_needs: str
    language: str
    consent: ConsentOut
    slot: SlotOut | None
    event: EventSummary
    ticket_code: str | None
    created_at: datetime
    cancelled_at: datetime | None
    checked_in_at: datetime | None
    links: AllLinksOut
    plan: PlanOut | None = None  # GET and PATCH of /registrations/{manage_token}
