"""Reference data shipped with the project: West Midlands councils and job families."""

from __future__ import annotations

import csv
from pathlib import Path

from fairground import i18n
from fairground.db import write_transaction
from fairground.i18n import N_
from fairground.organisations import assign_missing_short_codes
from fairground.tables import JobFamily, Organisation

DATA = Path(__file__).resolve().parent / "data"


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


async def seed_reference_data() -> None:
    """Insert the councils (with county parents) and job families that are missing."""
    async with write_transaction():
        known = {r["code"] for r in await JobFamily.select(JobFamily.code)}
        families = [
            JobFamily(code=r["code"], name=r["name"])
            for r in _rows("job-families.csv")
            if r["code"] not in known
        ]
        if families:
            await JobFamily.insert(*families)
        councils = _rows("west-midlands-councils.csv")
        existing = {
            r["code"]: r["id"]
            for r in await Organisation.select(Organisation.id, Organisation.code).where(
                Organisation.code.is_not_null()
            )
        }
        # Counties first, so districts can point at their parent.
        for row in sorted(councils, key=lambda r: bool(r["parent_code"])):
            if row["code"] in existing:
                continue
            parent = existing.get(row["parent_code"]) if row["parent_code"] else None
            inserted = await Organisation.insert(
                Organisation(name=row["name"], kind=row["kind"], code=row["code"], parent=parent)
            ).returning(Organisation.id)
            existing[row["code"]] = inserted[0]["id"]
        await assign_missing_short_codes()


# The seed's job-family names, for the catalogue: jobseekers read them in their own
# language (tests/i18n checks that every name in the seed data is here).
JOB_FAMILY_NAMES = (
    N_("Adult social care"),
    N_("Social work (children and adults)"),
    N_("Planning and building control"),
    N_("Digital, data and IT"),
    N_("Finance and audit"),
    N_("HR and organisational development"),
    N_("Legal and democratic services"),
    N_("Environment, waste and parks"),
    N_("Highways, engineering and transport"),
    N_("Housing"),
    N_("Education and SEND"),
    N_("Public health"),
    N_("Customer services"),
    N_("Nursing, medical and allied health"),
    N_("Policing and community safety"),
    N_("Business support and administration"),
    N_("Apprenticeships"),
    N_("Graduate schemes"),
)


async def job_families() -> list[dict[str, str]]:
    """Code and name, the name in the current language (staff read English)."""
    rows = await JobFamily.select(JobFamily.code, JobFamily.name).order_by(JobFamily.name)
    return [{**row, "name": i18n.gettext(row["name"])} for row in rows]


async def councils() -> list[dict[str, str]]:
    return (
        await Organisation.select(
            Organisation.id,
            Organisation.code,
            Organisation.name,
            Organisation.kind,
            Organisation.parent.code,
        )
        .where(Organisation.code.is_not_null())
        .order_by(Organisation.name)
    )
