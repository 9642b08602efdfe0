"""`fair demo`: two fairs to click through, seeded idempotently through the services.

- The West Midlands Public Sector Careers Fair, the first Thursday of next month:
  fifteen public-sector exhibitors approved onto stands with their vacancies (one
  more application waiting for review), the job board's subscriber list, and a few
  hundred registrations (a full quiet hour with its waiting list, access requests,
  a few cancellations).
- A small drop-in fair open today (around now, in Europe/London), with check-ins
  and leads captured at its stands, routed to councils, some with outcomes, so that
  the door, the stand scanner and the council portal can be tried at once.

Each fair is seeded in one transaction, only when it does not exist yet: running the
command again changes nothing (the drop-in of another day is another fair). The
people are at reserved domains (fairground.demo_data), so nobody is ever emailed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fairground.accounts import create_user, hash_password, password_matches
from fairground.db import write_transaction
from fairground.demo_data import (
    BIG_FAIR_EXHIBITORS,
    BIG_FAIR_STANDS,
    DROP_IN_EXHIBITORS,
    DROP_IN_STANDS,
    PROFILES,
    DemoExhibitor,
    Person,
    people,
    subscriber_csv,
)
from fairground.organisations import assign_short_code
from fairground.seed import seed_reference_data
from fairground.settings import get_settings
from fairground.tables import Organisation, User

DEMO_SLUG = "west-midlands-public-sector-careers-fair"
DROP_IN_SLUG = "coventry-jobs-drop-in"
ORGANISER = ("organiser@example.org", "Olu Adeyemi", "demo-organiser")
DOOR = ("door@example.org", "Dana Kowalska", "demo-door-staff")
EXHIBITOR = ("priya.sharma@coventry.example.org", "Priya Sharma", "demo-exhibitor")
COUNCIL = ("marcia.thompson@coventry.example.org", "Marcia Thompson", "demo-council")
COUNCIL_CODE = "E08000026"  # Coventry City Council: the exhibitor and council logins
LONDON = ZoneInfo("Europe/London")
BIG_FAIR_PEOPLE = 300
DROP_IN_PEOPLE = 60
QUIET_HOUR_PLACES = 25
Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Staff:
    organisation: int
    organiser: int
    door: int


def thursday_next_month(today: date) -> date:
    """The first Thursday of next month."""
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first + timedelta(days=(3 - first.weekday()) % 7)


def drop_in_slug(today: date) -> str:
    return f"{DROP_IN_SLUG}-{today.isoformat()}"


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
    await assign_short_code(int(rows[0]["id"]))
    return int(rows[0]["id"])


async def _user(email: str, name: str, password: str, role: str, org: int | None) -> int:
    """The demo's login, with its demo password (set again only if it was changed)."""
    row = await User.select(User.id, User.password_hash).where(User.email == email).first()
    if row is None:
        return await create_user(
            email=email, name=name, role=role, password=password, organisation_id=org
        )
    if not row["password_hash"] or not password_matches(row["password_hash"], password):
        await User.update({User.password_hash: hash_password(password)}).where(User.id == row["id"])
    return int(row["id"])


async def _exists(slug: str) -> bool:
    from events.tables import Event

    return bool(await Event.exists().where(Event.slug == slug))


async def _is_empty(slug: str) -> bool:
    """No such fair yet, or the bare one an older demo made: no exhibitors, nobody."""
    from events.tables import Event
    from exhibitors.tables import Exhibitor
    from registrations.tables import Registration

    row = await Event.select(Event.id).where(Event.slug == slug).first()
    if row is None:
        return True
    return not (
        await Exhibitor.exists().where(Exhibitor.event == row["id"])
        or await Registration.exists().where(Registration.event == row["id"])
    )


# --------------------------------------------------------------------- the big fair


def _big_fair_fields() -> Row:
    day = thursday_next_month(datetime.now(LONDON).date())
    return {
        "title": "West Midlands Public Sector Careers Fair",
        "slug": DEMO_SLUG,
        "description": (
            "Meet recruiters from councils, the NHS, police and fire services and a "
            "university from across the West Midlands. Bring your CV, ask about live "
            "vacancies and apprenticeships, and get advice on applying for public-sector "
            "jobs. The first hour, 10am to 11am, is a quiet hour: fewer visitors, no "
            "announcements and softer lighting, for anyone who finds crowds hard."
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
            {"starts_at": _at(day, 10), "ends_at": _at(day, 11), "capacity": QUIET_HOUR_PLACES},
            {"starts_at": _at(day, 11), "ends_at": _at(day, 13), "capacity": 1000},
            {"starts_at": _at(day, 13), "ends_at": _at(day, 15), "capacity": 975},
        ],
        # The organiser's own words in the jobseekers' languages: the title in all of
        # them, the rest in Polish only (the others show the English, marked as such).
        "translations": {
            "pl": {
                "title": "Targi pracy w sektorze publicznym West Midlands",
                "description": (
                    "Poznaj rekruterów z samorządów, NHS, policji, straży pożarnej i uczelni "
                    "z całego regionu West Midlands. Przynieś CV, zapytaj o aktualne oferty "
                    "pracy i praktyki zawodowe oraz dowiedz się, jak ubiegać się o pracę w "
                    "sektorze publicznym. Pierwsza godzina, od 10:00 do 11:00, to cicha "
                    "godzina: mniej odwiedzających, bez komunikatów i łagodniejsze światło, "
                    "dla osób, którym przeszkadza tłum."
                ),
                "access_notes": (
                    "Wejście bez schodów od Broad Street. Windy na wszystkie piętra, toalety "
                    "dla osób z niepełnosprawnościami na parterze, ciche pomieszczenie na "
                    "2. piętrze. Psy asystujące są mile widziane. Dworzec New Street jest "
                    "10 minut pieszo."
                ),
            },
            "ro": {"title": "Târgul de cariere în sectorul public din West Midlands"},
            "ar": {"title": "معرض التوظيف في القطاع العام في ويست ميدلاندز"},
            "ur": {"title": "ویسٹ مڈلینڈز میں سرکاری شعبے کا کیریئر میلہ"},
            "pa": {"title": "ਵੈਸਟ ਮਿਡਲੈਂਡਜ਼ ਜਨਤਕ ਖੇਤਰ ਰੁਜ਼ਗਾਰ ਮੇਲਾ"},
            "bn": {"title": "ওয়েস্ট মিডল্যান্ডস সরকারি খাতের চাকরি মেলা"},
        },
    }


def _application(exhibitor: DemoExhibitor) -> Row:
    first, last = exhibitor.contact.lower().split(" ", 1)
    return {
        "organisation": exhibitor.organisation,
        "subscriber_ref": exhibitor.ref or None,
        "contact": {
            "name": exhibitor.contact,
            "email": f"{first}.{last.replace(' ', '')}@{exhibitor.domain}",
            "phone": "0121 496 0000",
        },
        "needs": {"power": exhibitor.power, "tables": 1, "staff": exhibitor.staff, "notes": ""},
        "vacancies": [
            {
                "title": title,
                "job_family": family,
                "url": f"https://jobs.example.org/vacancies/{exhibitor.ref.lower()}-{n + 1}",
            }
            for n, (title, family) in enumerate(exhibitor.vacancies)
        ],
    }


async def _exhibitors(
    event: Row, plan: list[Row], who: tuple[DemoExhibitor, ...], actor: int
) -> dict[str, int]:
    """Stands on the plan, then each application, approved onto its stand; returns
    the exhibitor ids by organisation name."""
    from exhibitors.applications import apply_for_stand
    from exhibitors.services import Decision, decide_exhibitor
    from exhibitors.stands import check_stand, create_stand

    powered, codes = {e.stand for e in who if e.power}, {e.stand for e in who}
    for stand in plan:  # power where the exhibitor given the stand asked for it
        wanted = stand["code"] in powered or (stand["power"] and stand["code"] not in codes)
        await create_stand(event["id"], check_stand({**stand, "power": wanted}))
    ids = {}
    for exhibitor in who:
        applied = await apply_for_stand(event["slug"], _application(exhibitor))
        ids[exhibitor.organisation] = applied.id
        if exhibitor.stand:
            welcome = f"Welcome to {event['title']}. Your stand is {exhibitor.stand}."
            choice = Decision("approve", exhibitor.stand, welcome)
            await decide_exhibitor(event["id"], applied.id, choice, actor)
            await _describe(applied.id, exhibitor)
    return ids


async def _describe(exhibitor_id: int, exhibitor: DemoExhibitor) -> None:
    """The stand's profile, as its staff would write it in the portal."""
    from exhibitors.services import update_profile

    staff = await _stand_staff(exhibitor_id)
    vacancies = _application(exhibitor)["vacancies"]
    raw = {"profile": PROFILES.get(exhibitor.organisation, ""), "vacancies": vacancies}
    await update_profile(exhibitor_id, raw, staff)


async def _register(event: Row, person: Person, slot_id: int | None) -> Any:
    from registrations.services import register_attendee, validate_registration

    raw = {
        "name": person.name,
        "email": person.email,
        "phone": person.phone,
        "postcode": person.postcode,
        "home_council": person.home_council,
        "interests": list(person.interests),
        "access_needs": person.access_needs,
        "consent": {"councils": list(person.consent_councils), "job_alerts": person.job_alerts},
        "slot_id": slot_id,
    }
    data = await validate_registration(event, raw)
    return await register_attendee(event["slug"], data, person.equality)


async def _big_fair_registrations(event: Row) -> None:
    """Most choose a main entry time; the quiet hour fills and has a waiting list; a few
    cancel (their places go back to the main times)."""
    from events.services import get_slots
    from registrations.services import cancel_registration

    slots = await get_slots(event["id"])
    # (A fair left by an older demo has other entry times: no quiet hour then.)
    quiet = slots[0]["id"] if slots and slots[0]["capacity"] == QUIET_HOUR_PLACES else None
    main = [s["id"] for s in slots if s["id"] != quiet] or [None]
    rng = random.Random("big fair slots")
    results = []
    for person in people(BIG_FAIR_PEOPLE, "big fair"):
        wants_quiet = rng.random() < (0.6 if person.access_needs else 0.08)
        slot = quiet if wants_quiet and quiet else rng.choice([main[0], *main])
        results.append((slot, await _register(event, person, slot)))
    cancelling = [r for s, r in results if s != quiet and r.status == "confirmed"][7::41]
    for result in cancelling:
        await cancel_registration(result.manage_token)
    await _spread_over_weeks(event["id"])


async def _spread_over_weeks(event_id: int) -> None:
    """Registrations arrive over the three weeks since the fair was announced, not all
    in this second: dated back in the order they came, more of them lately (cosmetic,
    for the report's registrations per day; no rule reads the date)."""
    from registrations.tables import Registration

    rows = (
        await Registration.select(Registration.id)
        .where(Registration.event == event_id)
        .order_by(Registration.id)
    )
    now = datetime.now(LONDON)
    for n, row in enumerate(rows):  # slowly at first, then faster as the day nears
        age = timedelta(days=21) * (1 - n / len(rows)) ** 1.5
        await Registration.update({Registration.created_at: now - age}).where(
            Registration.id == row["id"]
        )


async def seed_big_fair(staff: Staff) -> None:
    from events.services import assign_door_staff, create_event, get_event
    from exhibitors.subscribers import apply_import

    async with write_transaction():
        if not await _exists(DEMO_SLUG):
            await create_event(staff.organisation, _big_fair_fields())
        event = await get_event(DEMO_SLUG)
        await apply_import(subscriber_csv(), staff.organiser)
        await _exhibitors(event, BIG_FAIR_STANDS, BIG_FAIR_EXHIBITORS, staff.organiser)
        await _big_fair_registrations(event)
        await assign_door_staff(event["id"], staff.door)


# --------------------------------------------------------------------- open today

# What a recruiter types after a chat, by the job family the visitor came for.
LEAD_NOTES = {
    "social-work": "Qualified social worker, 5 years in adult services; wants children's.",
    "social-care": "Care worker, NVQ level 3; asked about reablement and shift patterns.",
    "healthcare": "Nurse trained overseas, NMC registration in progress.",
    "apprenticeships": "Finishing college in June, keen on an apprenticeship.",
    "graduates": "Graduating this summer; asked how the graduate scheme's rotations work.",
    "digital": "Computer science graduate, good questions about the data team.",
    "environment": "HGV licence, asked about the refuse collection driver roles.",
    "highways": "Civil engineering HNC, interested in inspection work.",
    "policing": "Ex-forces, interested in police staff and firefighter roles.",
    "customer-services": "Ten years in retail, wants a Monday-to-Friday job.",
    "admin": "Returning to work after caring for family; asked about part-time hours.",
    "housing": "Volunteers with a tenants' association; asked about housing officer roles.",
}
GENERAL_NOTES = (
    "Wants flexible hours around school pick-up.",
    "Took the vacancy list; will apply online this week.",
    "",
)


def _drop_in_fields(slug: str, now: datetime) -> Row:
    starts = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    return {
        "title": f"Coventry Jobs Drop-in, {now.day} {now:%B}",
        "slug": slug,
        "description": (
            "A small drop-in at Coventry Central Library. Talk to recruiters from the "
            "council, the NHS, the police and the fire service about their jobs and "
            "apprenticeships. Register for a free place, or just come along: the door "
            "team can register you when you arrive."
        ),
        "venue_name": "Coventry Central Library",
        "venue_address": "Smithford Way, Coventry",
        "venue_postcode": "CV1 1FY",
        "access_notes": "Step-free entrance from Smithford Way; lift to the first floor.",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=6),
        "timezone": "Europe/London",
        "capacity": 150,
        "status": "published",
        "slots": [],
    }


async def _check_ins(slug: str, registered: list[Any], door_id: int) -> list[Any]:
    """About half have arrived, through the two doors; returns who did."""
    from registrations.checkin import Scan, check_in

    arrived = [r for r in registered if r.ticket_code][::2]
    for n, result in enumerate(arrived):
        door = "Main entrance" if n % 3 else "Smithford Way"
        await check_in(Scan(code=result.ticket_code, event=slug, door=door, user_id=door_id))
    return arrived


async def _stand_staff(exhibitor_id: int) -> int:
    from exhibitors.tables import ExhibitorStaff

    row = (
        await ExhibitorStaff.select(ExhibitorStaff.user)
        .where(ExhibitorStaff.exhibitor == exhibitor_id)
        .first()
    )
    assert row is not None  # approval made the contact its staff
    return int(row["user"])


def _note(person: Person, rng: random.Random) -> str:
    known = [LEAD_NOTES[f] for f in person.interests if f in LEAD_NOTES]
    return rng.choice(known) if known and rng.random() < 0.8 else rng.choice(GENERAL_NOTES)


async def _leads(exhibitors: dict[str, int], arrived: list[Any], who: list[Person]) -> None:
    """Visitors who stopped at a stand or two; most agreed to share their details."""
    from exhibitors.leads.routing import route_lead
    from exhibitors.leads.schemas import LeadIn
    from exhibitors.leads.services import capture_lead

    rng = random.Random("drop-in leads")
    ids = list(exhibitors.values())
    for result, person in zip(arrived, who, strict=True):
        stands = rng.sample(ids, rng.choice((1, 1, 2)))
        if ids[0] not in stands and rng.random() < 0.35:  # the host council's stand is busy
            stands.append(ids[0])
        for exhibitor_id in stands:
            lead = LeadIn(
                code=result.ticket_code,
                rating=rng.choice((2, 3, 3, 4, 4, 5)),
                notes=_note(person, rng),
                interests=list(person.interests),
                consent_given=rng.random() < 0.85,
            )
            captured = await capture_lead(exhibitor_id, lead, await _stand_staff(exhibitor_id))
            await route_lead(captured.lead.id)


async def _outcomes(recruiter: int) -> None:
    """Coventry's recruiter has already called some of today's leads."""
    from exhibitors.leads.delivery import set_outcome
    from exhibitors.leads.tables import LeadDelivery
    from fairground.accounts import organisation_id_for_council

    council = await organisation_id_for_council(COUNCIL_CODE)
    rows = (
        await LeadDelivery.select(LeadDelivery.id)
        .where((LeadDelivery.council == council) & (LeadDelivery.status == "active"))
        .order_by(LeadDelivery.id)
    )
    for n, row in enumerate(rows[: max(3, len(rows) // 2)]):
        outcome = "interviewed" if n % 4 == 3 else "contacted"
        await set_outcome(COUNCIL_CODE, row["id"], outcome, recruiter)


async def seed_drop_in(staff: Staff, slug: str, recruiter: int) -> None:
    from events.services import assign_door_staff, create_event, get_event

    now = datetime.now(LONDON)
    async with write_transaction():
        await create_event(staff.organisation, _drop_in_fields(slug, now))
        event = await get_event(slug)
        await assign_door_staff(event["id"], staff.door)
        exhibitors = await _exhibitors(event, DROP_IN_STANDS, DROP_IN_EXHIBITORS, staff.organiser)
        coventry = ("E08000026", "E07000219", "E07000220", "E07000222")
        who = people(DROP_IN_PEOPLE, f"drop-in {now.date()}", "example.net", coventry)
        registered = [await _register(event, person, None) for person in who]
        arrived = await _check_ins(slug, registered, staff.door)
        visitors = [p for p, r in zip(who, registered, strict=True) if r in arrived]
        await _leads(exhibitors, arrived[:24], visitors[:24])
        await _outcomes(recruiter)


# --------------------------------------------------------------------- logins


async def _logins(staff_org: int) -> tuple[Staff, int]:
    from fairground.accounts import organisation_id_for_council

    async with write_transaction():
        organiser = await _user(*ORGANISER, role="organiser", org=staff_org)
        door = await _user(*DOOR, role="door", org=None)
        council = await organisation_id_for_council(COUNCIL_CODE)
        recruiter = await _user(*COUNCIL, role="council", org=council)
    return Staff(staff_org, organiser, door), recruiter


async def _exhibitor_start(slug: str) -> str:
    """The Coventry stand at today's fair (made on approval; the demo sets its password)."""
    from events.services import get_event
    from exhibitors.tables import Exhibitor

    event = await get_event(slug)
    council = (
        await Organisation.select(Organisation.id).where(Organisation.code == COUNCIL_CODE).first()
    )
    assert council is not None
    row = (
        await Exhibitor.select(Exhibitor.id)
        .where((Exhibitor.event == event["id"]) & (Exhibitor.organisation == council["id"]))
        .first()
    )
    assert row is not None
    await _user(*EXHIBITOR, role="exhibitor", org=council["id"])
    return f"/exhibitor/{row['id']}"


async def seed_demo() -> list[str]:
    """Seed reference data, the two fairs and the logins; return what to print."""
    await seed_reference_data()
    async with write_transaction():
        org = await _organisation()
    staff, recruiter = await _logins(org)
    if await _is_empty(DEMO_SLUG):
        await seed_big_fair(staff)
    today = drop_in_slug(datetime.now(LONDON).date())
    if not await _exists(today):
        await seed_drop_in(staff, today, recruiter)
    exhibitor_start = await _exhibitor_start(today)
    base = get_settings().base_url
    logins = (
        ("Organiser", ORGANISER, f"/organiser/events/{DEMO_SLUG}"),
        ("Door staff", DOOR, f"/door/events/{today}"),
        ("Exhibitor", EXHIBITOR, exhibitor_start),
        ("Council", COUNCIL, f"/council/{COUNCIL_CODE}/leads"),
    )
    lines = [
        f"The fair:    {base}/events/{DEMO_SLUG}",
        f"Open today:  {base}/events/{today}  (the door can be tried now)",
        "",
        "Open a role's address and sign in with its email and password",
        "(organisers and council recruiters then set up two-factor sign-in with an app):",
    ]
    for role, (email, _, password), start in logins:
        lines += [f"  {role + ':':<12}{email} / {password}", f"  {'':<12}{base}{start}"]
    return lines
