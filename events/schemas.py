"""Event API input and output."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

AwareDatetime = Annotated[datetime, Meta(tz=True)]
Title = Annotated[str, Meta(min_length=1, max_length=200)]
ShortText = Annotated[str, Meta(max_length=200)]
LongText = Annotated[str, Meta(max_length=5000)]
Capacity = Annotated[int, Meta(ge=1, le=100_000)]
Status = Literal["draft", "published", "closed", "cancelled"]
# How long before the start the door admits people (events.services.door_window).
DoorOpens = Annotated[int, Meta(ge=0, le=1440)]


class EventWords(Struct, forbid_unknown_fields=True, omit_defaults=True):
    """The organiser's own words in one other language (all optional): a jobseeker
    reading that language sees them, and the English where one is left out."""

    title: ShortText = ""
    description: LongText = ""
    access_notes: LongText = ""


# By language code ("pl", "ar"…: fairground.i18n.LANGUAGES, English excepted).
Translations = dict[Annotated[str, Meta(max_length=8)], EventWords]


class VenueIn(Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    address: LongText = ""
    postcode: Annotated[str, Meta(max_length=10)] = ""
    access_notes: LongText = ""


class SlotIn(Struct, forbid_unknown_fields=True):
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    capacity: Capacity
    id: int | None = None


class EventIn(Struct, forbid_unknown_fields=True):
    title: Title
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    venue: VenueIn
    capacity: Capacity
    slug: Annotated[str, Meta(max_length=80)] | None = None
    timezone: Annotated[str, Meta(max_length=60)] = "Europe/London"
    description: LongText = ""
    slots: list[SlotIn] = msgspec.field(default_factory=list)
    registration_opens_at: AwareDatetime | None = None
    registration_closes_at: AwareDatetime | None = None
    status: Literal["draft", "published"] = "draft"
    door_opens_minutes: DoorOpens = 120
    exhibitor_setup_at: AwareDatetime | None = None
    exhibitor_arrive_by: AwareDatetime | None = None
    translations: Translations = msgspec.field(default_factory=dict)


class EventPatch(Struct, forbid_unknown_fields=True):
    title: Title | UnsetType = UNSET
    starts_at: AwareDatetime | UnsetType = UNSET
    ends_at: AwareDatetime | UnsetType = UNSET
    venue: VenueIn | UnsetType = UNSET
    capacity: Capacity | UnsetType = UNSET
    timezone: Annotated[str, Meta(max_length=60)] | UnsetType = UNSET
    description: LongText | UnsetType = UNSET
    slots: list[SlotIn] | UnsetType = UNSET
    registration_opens_at: AwareDatetime | UnsetType | None = UNSET
    registration_closes_at: AwareDatetime | UnsetType | None = UNSET
    status: Status | UnsetType = UNSET
    door_opens_minutes: DoorOpens | UnsetType = UNSET
    exhibitor_setup_at: AwareDatetime | UnsetType | None = UNSET
    exhibitor_arrive_by: AwareDatetime | UnsetType | None = UNSET
    translations: Translations | UnsetType = UNSET


class VenueOut(Struct):
    name: str
    address: str
    postcode: str
    access_notes: str


class CountsOut(Struct):
    confirmed: int
    waitlisted: int
    cancelled: int
    checked_in: int
    remaining: int


class SlotOut(Struct):
    id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    remaining: int


class LinksOut(Struct):
    page: str
    ics: str
    register: str


class EventOut(Struct):
    slug: str
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    venue: VenueOut
    status: str
    capacity: int
    counts: CountsOut
    slots: list[SlotOut]
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    links: LinksOut
    door_opens_minutes: int = 120
    exhibitor_setup_at: datetime | None = None
    exhibitor_arrive_by: datetime | None = None
    translations: dict[str, EventWords] = msgspec.field(default_factory=dict)
