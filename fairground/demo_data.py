"""What the demo fairs are made of: exhibitors, their stands and vacancies, and the
people of the region who register. Every address is at a reserved domain
(example.org, example.com) and every phone number in Ofcom's drama range, so the
demo never reaches a real person."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

# --------------------------------------------------------------------- exhibitors


@dataclass(frozen=True, slots=True)
class DemoExhibitor:
    organisation: str  # as on the council list or the job board's subscriber list
    domain: str  # the contact's email domain, on the subscriber list
    ref: str  # subscriber reference ("" for an organisation that is not a subscriber)
    contact: str
    stand: str  # the stand code it is given ("" leaves the application for review)
    vacancies: tuple[tuple[str, str], ...]  # (title, job family code)
    power: bool = True
    staff: int = 3


BIG_FAIR_EXHIBITORS = (
    DemoExhibitor(
        "Birmingham City Council", "birmingham.example.org", "WMJ-0001", "Grace Okafor", "A1",
        (("Social Worker, Children's Services", "social-work"),
         ("Residential Care Worker", "social-care"),
         ("Refuse Collection Driver (HGV)", "environment"),
         ("Apprentice Business Administrator", "apprenticeships"),
         ("Software Developer", "digital")),
        staff=4,
    ),
    DemoExhibitor(
        "Coventry City Council", "coventry.example.org", "WMJ-0002", "Priya Sharma", "A2",
        (("Family Support Worker", "social-work"),
         ("Highways Inspector", "highways"),
         ("Customer Service Adviser", "customer-services"),
         ("Graduate Planning Officer", "graduates")),
    ),
    DemoExhibitor(
        "Sandwell Metropolitan Borough Council", "sandwell.example.org", "WMJ-0003",
        "Delroy Campbell", "A3",
        (("Reablement Support Worker", "social-care"),
         ("Housing Officer", "housing"),
         ("Trainee Accountant", "finance")),
    ),
    DemoExhibitor(
        "City of Wolverhampton Council", "wolverhampton.example.org", "WMJ-0004",
        "Harjit Sandhu", "A4",
        (("SEND Caseworker", "education"),
         ("Data Analyst", "digital"),
         ("Parks Ranger", "environment")),
    ),
    DemoExhibitor(
        "Solihull Metropolitan Borough Council", "solihull.example.org", "WMJ-0005",
        "Rebecca Hughes", "A5",
        (("Occupational Therapist", "social-care"), ("Planning Officer", "planning")),
    ),
    DemoExhibitor(
        "Walsall Council", "walsall.example.org", "WMJ-0006", "Imran Hussain", "A6",
        (("Care Navigator", "social-care"),
         ("Licensing Officer", "legal"),
         ("Apprentice Highways Operative", "apprenticeships")),
        power=False,
    ),
    DemoExhibitor(
        "Dudley Metropolitan Borough Council", "dudley.example.org", "WMJ-0007",
        "Karen Walker", "B1",
        (("Children's Social Worker", "social-work"),
         ("Environmental Health Officer", "public-health"),
         ("HR Adviser", "hr")),
    ),
    DemoExhibitor(
        "Warwickshire County Council", "warwickshire.example.org", "WMJ-0008",
        "Tomasz Nowak", "B2",
        (("Fostering Recruitment Officer", "social-work"),
         ("Transport Planner", "highways"),
         ("Legal Assistant", "legal")),
    ),
    DemoExhibitor(
        "Staffordshire County Council", "staffordshire.example.org", "WMJ-0009",
        "Siobhan Murphy", "B3",
        (("Public Health Practitioner", "public-health"), ("IT Service Desk Analyst", "digital")),
        power=False,
    ),
    DemoExhibitor(
        "Worcestershire County Council", "worcestershire.example.org", "WMJ-0010",
        "Matthew Price", "B4",
        (("Early Help Practitioner", "social-work"),
         ("Graduate Management Trainee", "graduates"),
         ("Business Support Officer", "admin")),
    ),
    DemoExhibitor(
        "Telford & Wrekin Council", "telford.example.org", "WMJ-0011", "Amrit Kaur", "B5",
        (("Housing Options Adviser", "housing"), ("Democratic Services Officer", "legal")),
        power=False,
    ),
    DemoExhibitor(
        "University Hospitals Birmingham NHS Foundation Trust", "uhb-nhs.example.org",
        "WMJ-0101", "Chiamaka Nwosu", "C1",
        (("Staff Nurse, Emergency Department", "healthcare"),
         ("Healthcare Assistant", "healthcare"),
         ("Medical Secretary", "admin"),
         ("Apprentice Pharmacy Technician", "apprenticeships")),
        staff=5,
    ),
    DemoExhibitor(
        "West Midlands Police", "wmpolice.example.org", "WMJ-0102", "Winston Reid", "C2",
        (("Police Constable", "policing"),
         ("Police Community Support Officer", "policing"),
         ("Contact Handler", "customer-services"),
         ("Digital Forensics Investigator", "digital")),
        staff=5,
    ),
    DemoExhibitor(
        "West Midlands Fire Service", "wmfs.example.org", "WMJ-0103", "Hannah Bennett", "C3",
        (("Firefighter", "policing"),
         ("Fire Safety Officer", "policing"),
         ("Apprentice Vehicle Technician", "apprenticeships")),
    ),
    DemoExhibitor(
        "University of Birmingham", "bham-uni.example.org", "WMJ-0104", "Wei Chen", "C4",
        (("Research Administrator", "admin"),
         ("Finance Assistant", "finance"),
         ("Graduate Trainee, IT Services", "graduates")),
    ),
    # Not a subscriber: left for the organiser to review.
    DemoExhibitor(
        "Midland Heart Housing Association", "midlandheart.example.org", "", "Leon Francis", "",
        (("Neighbourhood Officer", "housing"),),
        power=False,
    ),
)  # fmt: skip

DROP_IN_EXHIBITORS = (
    DemoExhibitor(
        "Coventry City Council", "coventry.example.org", "WMJ-0002", "Priya Sharma", "S1",
        (("Family Support Worker", "social-work"),
         ("Customer Service Adviser", "customer-services"),
         ("Apprentice Electrician", "apprenticeships")),
    ),
    DemoExhibitor(
        "Warwickshire County Council", "warwickshire.example.org", "WMJ-0008",
        "Tomasz Nowak", "S2",
        (("Fostering Recruitment Officer", "social-work"), ("Transport Planner", "highways")),
    ),
    DemoExhibitor(
        "University Hospitals Birmingham NHS Foundation Trust", "uhb-nhs.example.org",
        "WMJ-0101", "Chiamaka Nwosu", "S3",
        (("Healthcare Assistant", "healthcare"), ("Ward Clerk", "admin")),
    ),
    DemoExhibitor(
        "West Midlands Police", "wmpolice.example.org", "WMJ-0102", "Winston Reid", "S4",
        (("Police Constable", "policing"), ("Contact Handler", "customer-services")),
    ),
    DemoExhibitor(
        "West Midlands Fire Service", "wmfs.example.org", "WMJ-0103", "Hannah Bennett", "S5",
        (("Firefighter", "policing"),),
        power=False,
    ),
)  # fmt: skip


# What each stand says about itself (the exhibitor's profile).
PROFILES = {
    "Birmingham City Council": (
        "Europe's largest local authority, serving over a million people. Talk to us "
        "about social work, care, waste services and our apprenticeships."
    ),
    "Coventry City Council": (
        "From family support to highways, we are hiring across the city. Ask about "
        "hybrid working and our graduate programme."
    ),
    "Sandwell Metropolitan Borough Council": (
        "Six towns, one council. We are recruiting reablement workers, housing "
        "officers and trainee accountants."
    ),
    "City of Wolverhampton Council": (
        "Help us support children with special educational needs, look after our "
        "parks and put data to work for the city."
    ),
    "Solihull Metropolitan Borough Council": (
        "Occupational therapy and planning roles with a supportive team and flexible hours."
    ),
    "Walsall Council": (
        "Care, licensing and highways jobs, and apprenticeships that pay while you learn."
    ),
    "Dudley Metropolitan Borough Council": (
        "Children's social work with protected caseloads, environmental health and HR."
    ),
    "Warwickshire County Council": (
        "Could you foster, or help others to? Meet our fostering team, transport "
        "planners and legal services."
    ),
    "Staffordshire County Council": (
        "Public health and IT roles across the county, with agile working."
    ),
    "Worcestershire County Council": (
        "Early help, business support and a two-year graduate management scheme."
    ),
    "Telford & Wrekin Council": "Housing options and democratic services roles in Telford.",
    "University Hospitals Birmingham NHS Foundation Trust": (
        "One of the largest NHS trusts in England. Nursing, healthcare assistant, "
        "admin and pharmacy apprenticeship roles across our four hospitals."
    ),
    "West Midlands Police": (
        "Become a police constable, PCSO or contact handler. Ask us about the entry "
        "routes with and without a degree."
    ),
    "West Midlands Fire Service": (
        "Firefighters, fire safety officers and vehicle technicians: come and try on the kit."
    ),
    "University of Birmingham": (
        "Professional services jobs in research administration, finance and IT on our "
        "Edgbaston campus."
    ),
    "Midland Heart Housing Association": "Neighbourhood roles across the Midlands.",
}


def subscriber_csv() -> bytes:
    """The job board's subscriber list, as the organiser would upload it."""
    lines = ["organisation,subscriber reference,email domains,active until"]
    seen = set()
    for e in (*BIG_FAIR_EXHIBITORS, *DROP_IN_EXHIBITORS):
        if e.ref and e.ref not in seen:
            seen.add(e.ref)
            lines.append(f'"{e.organisation}",{e.ref},{e.domain},31/03/2028')
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def stand_plan(codes: str, row_y: int, width: int = 3, depth: int = 2) -> list[dict[str, object]]:
    """A row of stands along the hall, a metre apart, powered at the row's ends."""
    stands = []
    for i, code in enumerate(codes.split()):
        stands.append(
            {
                "code": code,
                "x": 1 + i * (width + 1),
                "y": row_y,
                "width": width,
                "depth": depth,
                "power": i in (0, len(codes.split()) - 1) or i % 2 == 0,
            }
        )
    return stands


# The Library of Birmingham's hall: two rows of council stands either side of an
# aisle, the larger stands for the NHS, police, fire service and university behind.
BIG_FAIR_STANDS = (
    stand_plan("A1 A2 A3 A4 A5 A6 A7 A8", 1)
    + stand_plan("B1 B2 B3 B4 B5 B6 B7 B8", 6)
    + stand_plan("C1 C2 C3 C4 C5", 11, width=5, depth=3)
)
DROP_IN_STANDS = stand_plan("S1 S2 S3 S4 S5 S6", 1)

# --------------------------------------------------------------------- people

# First names and family names of the region's communities, kept together so that
# most names read as one family's; a few are mixed, as names are.
COMMUNITIES: tuple[tuple[int, tuple[str, ...], tuple[str, ...]], ...] = (
    (40, ("Sarah", "James", "Emma", "Daniel", "Rebecca", "Thomas", "Laura", "Matthew",
          "Jessica", "Liam", "Chloe", "Ryan", "Hannah", "Jack", "Sophie", "Kyle", "Gemma",
          "Craig", "Stacey", "Dean", "Lisa", "Paul", "Karen", "Mark", "Jade", "Zoë", "Callum",
          "Bethany", "Nathan", "Megan", "Shaun", "Leanne", "Gary", "Abigail", "Lewis"),
     ("Smith", "Jones", "Taylor", "Evans", "Walker", "Wright", "Roberts", "Hughes", "Edwards",
      "Green", "Hall", "Wood", "Harris", "Lewis", "Turner", "Bennett", "Baker", "Cooper",
      "Parker", "Price", "Morris", "Ward", "Davies", "Jackson", "Cartwright", "Whitehouse",
      "Bissell", "Hickman", "Mansell", "Perks")),
    (12, ("Aisha", "Amina", "Bilal", "Fatima", "Hamza", "Imran", "Maryam", "Mohammed", "Nadia",
          "Omar", "Rukhsana", "Saima", "Tariq", "Usman", "Zainab", "Yasmin", "Adeel", "Sana",
          "Zubair", "Iqra", "Asif", "Nabila"),
     ("Khan", "Hussain", "Ahmed", "Akhtar", "Iqbal", "Mahmood", "Rashid", "Shah", "Malik",
      "Raza", "Butt", "Chaudhry", "Javed", "Aslam")),
    (5, ("Rahima", "Shahida", "Abdul", "Jahanara", "Rafiq", "Sumaiya", "Tanvir", "Nusrat",
         "Shamim", "Ruhul"),
     ("Miah", "Uddin", "Begum", "Islam", "Rahman", "Chowdhury", "Ali", "Hoque")),
    (9, ("Gurpreet", "Harjit", "Jaspreet", "Manpreet", "Simran", "Rajinder", "Kuldeep",
         "Navdeep", "Harpreet", "Balvinder", "Sukhvinder", "Parminder", "Jasdeep", "Amarjit"),
     ("Singh", "Kaur", "Sandhu", "Gill", "Dhillon", "Sidhu", "Bains", "Johal", "Atwal",
      "Sahota", "Bassi", "Virdee")),
    (6, ("Priya", "Anjali", "Nikhil", "Rakesh", "Hemal", "Kiran", "Deepa", "Vikram", "Meera",
         "Sanjay", "Pooja", "Dhruv", "Nisha", "Ravi"),
     ("Patel", "Mistry", "Parmar", "Chauhan", "Sharma", "Lad", "Solanki", "Joshi", "Kumar")),
    (6, ("Marcia", "Delroy", "Winston", "Shanice", "Tyrone", "Jermaine", "Simone", "Leon",
         "Keisha", "Errol", "Andre", "Jolene", "Courtney", "Nadine"),
     ("Campbell", "Brown", "Thompson", "Williams", "Francis", "Reid", "Clarke", "Grant",
      "Bailey", "Gayle", "Henry", "Barrett")),
    (6, ("Chidi", "Ngozi", "Oluwaseun", "Funmilayo", "Emeka", "Adaeze", "Kwame", "Abena",
         "Kofi", "Yaw", "Temitope", "Chiamaka", "Tendai", "Rudo", "Tatenda"),
     ("Okafor", "Adeyemi", "Okonkwo", "Mensah", "Owusu", "Boateng", "Adebayo", "Nwosu",
      "Asante", "Moyo", "Ncube", "Chikwanha")),
    (3, ("Abdi", "Hodan", "Hawa", "Mahad", "Ayaan", "Khadra", "Sahra", "Abdirahman", "Ifrah"),
     ("Mohamed", "Hassan", "Abdullahi", "Warsame", "Farah", "Osman", "Jama", "Nur")),
    (1, ("Fuad", "Huda", "Khalid", "Layla", "Yusuf", "Amal", "Nabil"),
     ("Al-Hakimi", "Saleh", "Nasser", "Qasim", "Al-Sharabi")),
    (1, ("Rebin", "Shirin", "Darya", "Soraya", "Ahmad", "Farhad", "Zahra"),
     ("Karimi", "Hosseini", "Ahmadi", "Rahimi", "Mohammadi")),
    (3, ("Agnieszka", "Katarzyna", "Tomasz", "Piotr", "Magdalena", "Łukasz", "Zofia",
         "Michał", "Marta", "Jakub"),
     ("Nowak", "Wójcik", "Kowalczyk", "Mazur", "Krawczyk", "Zając", "Wróbel", "Król")),
    (2, ("Andreea", "Ioana", "Mihai", "Alexandru", "Elena", "Florin", "Gabriela", "Bogdan"),
     ("Popescu", "Ionescu", "Dumitru", "Constantin", "Marin", "Stoica")),
    (3, ("Mei", "Wei", "Jun", "Ling", "Hui", "Tuan", "Linh", "Minh", "Ka Yan", "Hoi Ling"),
     ("Chen", "Wong", "Li", "Zhang", "Nguyen", "Tran", "Cheung", "Lam", "Yip")),
    (3, ("Siobhán", "Declan", "Niamh", "Ciarán", "Aoife", "Seán", "Bridget", "Eoin", "Róisín"),
     ("Murphy", "O'Connor", "Kelly", "Doyle", "Byrne", "Gallagher", "McCarthy", "O'Neill")),
)  # fmt: skip

# What those who answer the equality questions might say, community by community
# (ONS 2021 top-level ethnic group; religions in rough proportion).
COMMUNITY_EQUALITY: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("white", ("none", "none", "christian", "christian", "prefer-not-to-say")),
    ("asian", ("muslim",)),
    ("asian", ("muslim",)),
    ("asian", ("sikh", "sikh", "sikh", "none")),
    ("asian", ("hindu", "hindu", "hindu", "none")),
    ("black", ("christian", "christian", "none")),
    ("black", ("christian", "christian", "christian", "muslim")),
    ("black", ("muslim",)),
    ("other", ("muslim", "muslim", "prefer-not-to-say")),
    ("other", ("muslim", "none", "prefer-not-to-say")),
    ("white", ("christian", "christian", "none")),
    ("white", ("christian", "christian", "none")),
    ("asian", ("none", "none", "buddhist", "christian")),
    ("white", ("christian", "christian", "none")),
)

# Outward postcodes by council, weighted roughly by who comes to a Birmingham fair.
POSTCODES: tuple[tuple[str, int, tuple[str, ...]], ...] = (
    ("E08000025", 34, ("B5", "B6", "B8", "B9", "B10", "B11", "B12", "B13", "B14", "B15",
                       "B16", "B17", "B18", "B19", "B20", "B21", "B23", "B24", "B26", "B27",
                       "B29", "B30", "B31", "B33", "B34", "B36", "B42", "B44")),
    ("E08000028", 9, ("B66", "B67", "B68", "B69", "B70", "B71", "DY4")),
    ("E08000030", 6, ("WS1", "WS2", "WS3", "WS5", "WS8", "WS9")),
    ("E08000031", 7, ("WV1", "WV2", "WV3", "WV4", "WV6", "WV10", "WV11")),
    ("E08000027", 6, ("DY1", "DY2", "DY3", "DY5", "DY8", "DY9")),
    ("E08000029", 6, ("B37", "B90", "B91", "B92", "B93")),
    ("E08000026", 9, ("CV1", "CV2", "CV3", "CV4", "CV5", "CV6")),
    ("E07000219", 2, ("CV10", "CV11")),
    ("E07000220", 2, ("CV21", "CV22")),
    ("E07000222", 2, ("CV31", "CV32", "CV34")),
    ("E07000199", 2, ("B77", "B79")),
    ("E07000192", 2, ("WS11", "WS12")),
    ("E07000194", 1, ("WS13", "WS14")),
    ("E07000236", 2, ("B97", "B98")),
    ("E07000234", 1, ("B60", "B61")),
    ("E07000237", 2, ("WR1", "WR2", "WR4", "WR5")),
    ("E06000021", 2, ("ST1", "ST3", "ST4", "ST6")),
    ("E06000020", 2, ("TF1", "TF2", "TF3", "TF7")),
)  # fmt: skip
COUNTY_OF = {
    "E07000219": "E10000031", "E07000220": "E10000031", "E07000222": "E10000031",
    "E07000199": "E10000028", "E07000192": "E10000028", "E07000194": "E10000028",
    "E07000236": "E10000034", "E07000234": "E10000034", "E07000237": "E10000034",
}  # fmt: skip
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters Royal Mail uses in the inward code

ACCESS_NEEDS = (
    "I use a wheelchair: please tell me the step-free route to the stands.",
    "British Sign Language interpreter, please.",
    "Hearing loop at the talks, if there is one.",
    "I am autistic and may need a quiet space to take breaks.",
    "Large-print list of exhibitors and vacancies.",
    "My support worker will come with me.",
    "I have a guide dog.",
    "I cannot stand for long: somewhere to sit near the entrance would help.",
)

# Job families and how often jobseekers at these fairs choose each.
JOB_FAMILIES = {
    "social-care": 10, "social-work": 6, "planning": 2, "digital": 5, "finance": 3, "hr": 2,
    "legal": 1, "environment": 3, "highways": 2, "housing": 4, "education": 5,
    "public-health": 2, "customer-services": 8, "healthcare": 10, "policing": 6, "admin": 8,
    "apprenticeships": 9, "graduates": 5,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    email: str
    phone: str
    postcode: str
    home_council: str
    interests: tuple[str, ...]
    consent_councils: tuple[str, ...]
    job_alerts: bool
    access_needs: str
    equality: dict[str, str]


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    return "".join(c for c in plain if c.isalnum()).lower()


def _name(rng: random.Random) -> tuple[str, str, int]:
    """A first and a family name, and the community the first name is from."""
    weights = [c[0] for c in COMMUNITIES]
    community = rng.choices(range(len(COMMUNITIES)), weights)[0]
    firsts, lasts = COMMUNITIES[community][1:]
    if rng.random() < 0.04:  # a partner's name, a parent's from elsewhere
        lasts = rng.choices(COMMUNITIES, weights)[0][2]
    return rng.choice(firsts), rng.choice(lasts), community


def _interests(rng: random.Random) -> tuple[str, ...]:
    wanted = rng.choice((1, 1, 2, 2, 3))
    chosen: set[str] = set()
    while len(chosen) < wanted:
        chosen.add(rng.choices(list(JOB_FAMILIES), list(JOB_FAMILIES.values()))[0])
    return tuple(sorted(chosen))


def _equality(rng: random.Random, community: int, access_needs: str) -> dict[str, str]:
    """Answers for about six in ten; the rest skip the optional step."""
    if rng.random() > 0.6:
        return {}
    group, religions = COMMUNITY_EQUALITY[community]
    ages = ("16-24", "16-24", "25-34", "25-34", "35-44", "45-54", "55-64")
    return {
        "age": rng.choice(ages),
        "sex": rng.choice(("female", "male")),
        "ethnic_group": group if rng.random() < 0.92 else "prefer-not-to-say",
        "religion": rng.choice(religions),
        "disability": rng.choice(("limited-a-little", "limited-a-lot"))
        if access_needs
        else rng.choice(("no", "no", "no", "no", "limited-a-little")),
    }


def _postcode(rng: random.Random, local: tuple[str, ...]) -> tuple[str, str]:
    weights = [p[1] * (12 if p[0] in local else 1) for p in POSTCODES]
    council, _, outwards = rng.choices(POSTCODES, weights)[0]
    inward = f"{rng.randint(1, 9)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
    return council, f"{rng.choice(outwards)} {inward}"


def people(
    count: int, seed: str, domain: str = "example.com", local: tuple[str, ...] = ()
) -> list[Person]:
    """`count` different people, the same ones for the same seed; most from the
    `local` councils, if any are given."""
    rng = random.Random(seed)
    found = []
    for n in range(count):
        first, last, community = _name(rng)
        council, postcode = _postcode(rng, local)
        interests = _interests(rng)
        consent: tuple[str, ...] = ()
        if rng.random() < 0.75:  # most let their own council (and its county) contact them
            consent = (council, COUNTY_OF[council]) if council in COUNTY_OF else (council,)
        needs = rng.choice(ACCESS_NEEDS) if rng.random() < 0.07 else ""
        found.append(
            Person(
                name=f"{first} {last}",
                email=f"{_ascii(first)}.{_ascii(last)}.{n + 1}@{domain}",
                phone=f"07700 900{rng.randint(0, 999):03d}" if rng.random() < 0.7 else "",
                postcode=postcode,
                home_council=council,
                interests=interests,
                consent_councils=consent,
                job_alerts=rng.random() < 0.55,
                access_needs=needs,
                equality=_equality(rng, community, needs),
            )
        )
    return found
