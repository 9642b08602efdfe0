"""Reading exhibitors with what the pages, emails and API show beside them."""

from __future__ import annotations

from typing import Any

from exhibitors.tables import Exhibitor, ExhibitorStaff, StandAllocation, Vacancy
from fairground.errors import NotFound
from fairground.seed import job_families
from fairground.tables import User

Row = dict[str, Any]

EXHIBITOR_COLUMNS = (
    *Exhibitor.all_columns(),
    Exhibitor.organisation.name.as_alias("organisation_name"),
    Exhibitor.organisation.subscriber_ref.as_alias("organisation_ref"),
    Exhibitor.organisation.subscriber_until.as_alias("organisation_until"),
    Exhibitor.event.slug.as_alias("event_slug"),
    Exhibitor.event.title.as_alias("event_title"),
    Exhibitor.event.organisation.as_alias("event_organisation"),
)


def _not_found() -> NotFound:
    return NotFound("There is no exhibitor at this address", code="exhibitor_not_found")


async def stand_codes(exhibitor_ids: list[int]) -> dict[int, Row]:
    """exhibitor id → {"id", "code"} of its stand."""
    if not exhibitor_ids:
        return {}
    rows = await StandAllocation.select(
        StandAllocation.exhibitor, StandAllocation.stand, StandAllocation.stand.code
    ).where(StandAllocation.exhibitor.is_in(exhibitor_ids))
    return {r["exhibitor"]: {"id": r["stand"], "code": r["stand.code"]} for r in rows}


async def vacancies_of(exhibitor_ids: list[int]) -> dict[int, list[Row]]:
    """exhibitor id → its vacancies in order, each with its job family's name."""
    if not exhibitor_ids:
        return {}
    names = {f["code"]: f["name"] for f in await job_families()}
    rows = (
        await Vacancy.select()
        .where(Vacancy.exhibitor.is_in(exhibitor_ids))
        .order_by(Vacancy.exhibitor)
        .order_by(Vacancy.position)
    )
    found: dict[int, list[Row]] = {i: [] for i in exhibitor_ids}
    for row in rows:
        found[row["exhibitor"]].append({**row, "job_family_name": names.get(row["job_family"], "")})
    return found


async def staff_of(exhibitor_id: int) -> list[Row]:
    rows = (
        await ExhibitorStaff.select(
            ExhibitorStaff.user.id.as_alias("id"),
            ExhibitorStaff.user.name.as_alias("name"),
            ExhibitorStaff.user.email.as_alias("email"),
            ExhibitorStaff.user.password_hash.as_alias("password_hash"),
        )
        .where(ExhibitorStaff.exhibitor == exhibitor_id)
        .order_by(ExhibitorStaff.id)
    )
    # Whether they have set a password yet, never the hash itself.
    return [
        {**{k: v for k, v in r.items() if k != "password_hash"}, "active": bool(r["password_hash"])}
        for r in rows
    ]


async def get_exhibitor(exhibitor_id: int, event_id: int | None = None) -> Row:
    """One exhibitor with its organisation, event, stand and vacancies (of this event)."""
    query = Exhibitor.select(*EXHIBITOR_COLUMNS).where(Exhibitor.id == exhibitor_id)
    if event_id is not None:
        query = query.where(Exhibitor.event == event_id)
    row = await query.first()
    if row is None:
        raise _not_found()
    row["stand"] = (await stand_codes([exhibitor_id])).get(exhibitor_id)
    row["vacancies"] = (await vacancies_of([exhibitor_id]))[exhibitor_id]
    return row


async def organiser_emails(organisation_id: int) -> list[str]:
    rows = await User.select(User.email).where(
        (User.organisation == organisation_id) & (User.role == "organiser") & (User.active.eq(True))
    )
    return [r["email"] for r in rows]


async def exhibitors_of_event(event_id: int, filters: dict[str, str] | None = None) -> list[Row]:
    """The organiser's list: optionally by status and verification."""
    filters = filters or {}
    query = Exhibitor.select(*EXHIBITOR_COLUMNS).where(Exhibitor.event == event_id)
    if filters.get("status"):
        query = query.where(Exhibitor.status == filters["status"])
    if filters.get("verification"):
        query = query.where(Exhibitor.verification == filters["verification"])
    rows = await query.order_by(Exhibitor.created_at).order_by(Exhibitor.id)
    stands = await stand_codes([r["id"] for r in rows])
    for row in rows:
        row["stand"] = stands.get(row["id"])
    return rows
