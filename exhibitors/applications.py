"""Applications for a stand: verifying the subscriber and keeping the application.

An application is verified at once when its subscriber reference belongs to a
current subscriber (and to the organisation named, if that one is known) and
the contact's email is at one of that subscriber's email domains. Anything
else is kept as "needs review" with the reason, for the organiser to decide.
When every stand is taken, a new application joins the exhibitor waiting list.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from asyncpg.exceptions import UniqueViolationError
from piccolo.query.functions.aggregate import Count
from piccolo.query.functions.string import Lower

from events.services import get_event
from exhibitors import emails
from exhibitors.tables import Exhibitor, Stand, Vacancy
from exhibitors.validation import REASONS, Application, VacancyInput, check_application
from fairground.db import write_transaction
from fairground.errors import Conflict
from fairground.organisations import assign_short_code
from fairground.seed import job_families
from fairground.tables import Organisation

Row = dict[str, Any]
UNIQUE_ERRORS = (UniqueViolationError, sqlite3.IntegrityError)
OPEN_STATUSES = ("applied", "approved", "waitlisted")


@dataclass(frozen=True, slots=True)
class Verification:
    status: str  # "verified" or "needs_review"
    reason: str = ""  # a key of REASONS when it needs review

    @property
    def detail(self) -> str:
        return REASONS.get(self.reason, "The subscriber reference and email domain match.")


@dataclass(frozen=True, slots=True)
class ApplicationResult:
    id: int
    status: str
    verification: Verification


ORG_COLUMNS = (
    Organisation.id,
    Organisation.name,
    Organisation.subscriber_ref,
    Organisation.email_domains,
    Organisation.subscriber_until,
)


def is_current_subscriber(org: Row, today: date | None = None) -> bool:
    """A subscriber reference with no end date, or one that has not passed."""
    until = org.get("subscriber_until")
    return bool(org.get("subscriber_ref")) and (
        until is None or until >= (today or datetime.now(UTC).date())
    )


async def organisation_by_name(name: str) -> Row | None:
    """Known organisations match whatever the letter case."""
    rows = await Organisation.select(*ORG_COLUMNS).where(Lower(Organisation.name) == name.lower())
    return rows[0] if rows else None


async def verify(app: Application) -> tuple[Verification, Row | None]:
    """The verification and the organisation the application is for (None: a new one)."""
    named = await organisation_by_name(app.organisation)
    if not app.subscriber_ref:
        return Verification("needs_review", "no_reference"), named
    subscriber = (
        await Organisation.select(*ORG_COLUMNS)
        .where(Organisation.subscriber_ref == app.subscriber_ref)
        .first()
    )
    if subscriber is None:
        return Verification("needs_review", "unknown_reference"), named
    if named is not None and named["id"] != subscriber["id"]:
        return Verification("needs_review", "organisation_mismatch"), named
    if not is_current_subscriber(subscriber):
        return Verification("needs_review", "expired"), subscriber
    domain = app.contact_email.rsplit("@", 1)[-1]
    if domain not in str(subscriber["email_domains"]).split():
        return Verification("needs_review", "domain_mismatch"), subscriber
    return Verification("verified"), subscriber


async def stands_full(event_id: int) -> bool:
    """True when the event has stands and as many approved exhibitors as stands."""
    stands = await Stand.count().where(Stand.event == event_id)
    if stands == 0:
        return False
    approved = await Exhibitor.count().where(
        (Exhibitor.event == event_id) & (Exhibitor.status == "approved")
    )
    return approved >= stands


def check_open(event: Row) -> None:
    if event["status"] != "published" or event["ends_at"] <= datetime.now(UTC):
        raise Conflict(
            "This fair is not taking applications from exhibitors",
            code="applications_closed",
        )


async def _organisation_id(org: Row | None, name: str) -> int:
    if org is not None:
        return int(org["id"])
    rows = await Organisation.insert(Organisation(name=name, kind="other")).returning(
        Organisation.id
    )
    await assign_short_code(int(rows[0]["id"]))
    return int(rows[0]["id"])


async def _check_not_applied(event_id: int, organisation_id: int) -> None:
    if await Exhibitor.exists().where(
        (Exhibitor.event == event_id)
        & (Exhibitor.organisation == organisation_id)
        & Exhibitor.status.is_in(list(OPEN_STATUSES))
    ):
        raise Conflict(
            "Your organisation has already applied to exhibit at this fair. "
            "The organisers will be in touch.",
            code="already_applied",
            fields={"organisation": "Your organisation has already applied to this fair"},
        )


async def save_vacancies(exhibitor_id: int, vacancies: tuple[VacancyInput, ...]) -> None:
    """Replace an exhibitor's vacancies (call inside a transaction)."""
    await Vacancy.delete().where(Vacancy.exhibitor == exhibitor_id)
    if vacancies:
        await Vacancy.insert(
            *[
                Vacancy(
                    exhibitor=exhibitor_id,
                    title=v.title,
                    job_family=v.job_family,
                    url=v.url,
                    position=i,
                    closes_on=v.closes_on,
                )
                for i, v in enumerate(vacancies)
            ]
        )


async def _insert(
    event_id: int, org_id: int, app: Application, checked: Verification
) -> tuple[int, str]:
    status = "waitlisted" if await stands_full(event_id) else "applied"
    rows = await Exhibitor.insert(
        Exhibitor(
            event=event_id,
            organisation=org_id,
            status=status,
            contact_name=app.contact_name,
            contact_email=app.contact_email,
            contact_phone=app.contact_phone,
            verification=checked.status,
            review_reason=checked.reason,
            needs_power=app.power,
            needs_tables=app.tables,
            staff_limit=app.staff,
            needs_notes=app.notes,
        )
    ).returning(Exhibitor.id)
    await save_vacancies(rows[0]["id"], app.vacancies)
    return int(rows[0]["id"]), status


async def check_answers(raw: Row) -> Application:
    families = {f["code"] for f in await job_families()}
    return check_application(raw, families)


async def apply_for_stand(slug: str, raw: Row) -> ApplicationResult:
    """Keep an application, verified or for review, and email the contact and organisers."""
    event = await get_event(slug)
    check_open(event)
    app = await check_answers(raw)
    checked, org = await verify(app)
    try:
        async with write_transaction():
            org_id = await _organisation_id(org, app.organisation)
            await _check_not_applied(event["id"], org_id)
            exhibitor_id, status = await _insert(event["id"], org_id, app, checked)
            await emails.send_application_emails(event, exhibitor_id)
    except UNIQUE_ERRORS:  # the same new organisation applying twice at the same moment
        raise Conflict(
            "Your organisation has already applied to exhibit at this fair",
            code="already_applied",
        ) from None
    return ApplicationResult(exhibitor_id, status, checked)


async def waiting_count(event_id: int) -> int:
    rows = await Exhibitor.select(Count(Exhibitor.id, alias="n")).where(
        (Exhibitor.event == event_id) & (Exhibitor.status == "waitlisted")
    )
    return int(rows[0]["n"]) if rows else 0
