"""`fair demo`: a realistic fair to click through, seeded idempotently."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fairground.accounts import create_user, hash_password
from fairground.db import write_transaction
from fairground.seed import seed_reference_data
from fairground.tables import Organisation, User

DEMO_SLUG = "west-midlands-public-sector-careers-fair"
ORGANISER = ("organiser@example.org", "Olu Adeyemi", "demo-organiser")
DOOR = ("door@example.org", "Dana Kowalska", "demo-door-staff")
LONDON = ZoneInfo("Europe/London")


def thursday_next_month(today: date) -> date:
    """The first Thursday of next month."""
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first + timedelta(days=(3 - first.weekday()) % 7)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


async def _organisation() -> int:
    name = "West Midlands Employers"
    row = await Organisation.select(Organisation.id).where(Organisation.name == name).first()
    if row:
        return int(row["id"])
    rows = await Organisation.insert(Organisation(name=name, kind="other")).returning(
        Organisation.id
    )
    return int(rows[0]["id"])


async def _user(email: str, name: str, password: str, role: str, org: int | None) -> int:
    row = await User.select(User.id).where(User.email == email).first()
    if row:
        await User.update({User.password_hash: hash_password(password)}).where(User.id == row["id"])
        return int(row["id"])
    return await create_user(
        email=email, name=name, role=role, password=password, organisation_id=org
    )


async def _event(org: int) -> None:
    from events.services import create_event, get_event
    from fairground.errors import NotFound

    try:
        await get_event(DEMO_SLUG)
        return
    except NotFound:
        pass
    day = thursday_next_month(datetime.now(LONDON).date())
    await create_event(
        org,
        {
            "title": "West Midlands Public Sector Careers Fair",
            "slug": DEMO_SLUG,
            "description": (
                "Meet recruiters from councils, the NHS, police and fire services across "
                "the West Midlands. Bring your CV, ask about live vacancies and "
                "apprenticeships, and get advice on applying for public-sector jobs."
            ),
            "venue_name": "Library of Birmingham",
            "venue_address": "Centenary Square, Broad Street, Birmingham",
            "venue_postcode": "B1 2ND",
            "access_notes": (
                "Step-free entrance on Broad Street. Lifts to every floor, accessible "
                "toilets on the ground floor, a quiet room on level 2. Assistance dogs "
                "welcome. New Street station is a 10-minute walk."
            ),
            "starts_at": _at(day, 10),
            "ends_at": _at(day, 15),
            "timezone": "Europe/London",
            "capacity": 2000,
            "status": "published",
            "slots": [
                {"starts_at": _at(day, 10), "ends_at": _at(day, 12, 30), "capacity": 1000},
                {"starts_at": _at(day, 12, 30), "ends_at": _at(day, 15), "capacity": 1000},
            ],
        },
    )


async def seed_demo() -> list[str]:
    """Seed reference data, the demo organisation, fair and users; return the logins."""
    from events.services import assign_door_staff, get_event

    await seed_reference_data()
    async with write_transaction():
        org = await _organisation()
        await _event(org)
        organiser_id = await _user(*ORGANISER, role="organiser", org=org)
        door_id = await _user(*DOOR, role="door", org=None)
        await assign_door_staff((await get_event(DEMO_SLUG))["id"], door_id)
    return [
        f"Demo fair: /events/{DEMO_SLUG}",
        f"Organiser login: {ORGANISER[0]} / {ORGANISER[2]} (user {organiser_id})",
        f"Door staff login: {DOOR[0]} / {DOOR[2]}",
    ]
