"""The follow-up survey: when an event closes, the worker emails every confirmed
attendee (checked-in and no-shows get different words) a link to /r/<token>/follow-up,
where they name the councils that may contact them and the job families that interest
them. Their answers update their consent and create (or update) a follow-up lead."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from events.tables import Event
from exhibitors.leads.routing import mark_registration_for_routing
from exhibitors.leads.services import check_interests
from exhibitors.leads.tables import EventJob, Lead
from fairground import i18n
from fairground.db import write_transaction
from fairground.errors import Invalid, NotFound
from fairground.i18n import N_
from fairground.mail import build_email, queue_deferred_email, register_builder
from fairground.seed import councils as all_councils
from fairground.settings import get_settings
from registrations.services import get_registration
from registrations.tables import Registration

Row = dict[str, Any]
ERASED = "Erased"


async def claim_event_job(event_id: int, job: str, detail: dict[str, Any] | None = None) -> bool:
    """Insert the (event, job) marker; False when it is done or another worker has it.
    Call inside the transaction of the work, so a failure leaves it undone."""
    rows = (
        await EventJob.insert(EventJob(event=event_id, job=job, detail=detail or {}))
        .on_conflict(action="DO NOTHING")
        .returning(EventJob.id)
    )
    return bool(rows)


def follow_up_url(manage_token: str) -> str:
    return f"{get_settings().base_url}/r/{manage_token}/follow-up"


async def _build(params: dict[str, Any]) -> EmailMessage | None:
    row = await Registration.select().where(Registration.id == params["registration_id"]).first()
    if row is None or row["name"] == ERASED:  # erased since: nothing to send
        return None
    event = await Event.select().where(Event.id == row["event"]).first()
    assert event is not None
    with i18n.use(row["language"]):
        context = {
            "registration": row,
            "event": i18n.localise(event),
            "follow_up_url": follow_up_url(row["manage_token"]),
        }
        return build_email(f"leads_follow_up_{params['kind']}", row["email"], context)


register_builder("leads_follow_up", _build)


async def _queue_follow_ups(event_id: int) -> int:
    rows = await Registration.select(
        Registration.id, Registration.email, Registration.checked_in_at
    ).where(
        (Registration.event == event_id)
        & (Registration.status == "confirmed")
        & Registration.email.is_not_null()  # a walk-up without an email: no one to ask
    )
    for row in rows:
        kind = "attended" if row["checked_in_at"] is not None else "missed"
        params = {"registration_id": row["id"], "kind": kind}
        await queue_deferred_email("leads_follow_up", row["email"], params)
    return len(rows)


async def send_follow_ups() -> int:
    """The worker's job: closed events not yet followed up get their emails, once."""
    done = {
        r["event"] for r in await EventJob.select(EventJob.event).where(EventJob.job == "follow_up")
    }
    closed = await Event.select(Event.id).where(Event.status == "closed")
    sent = 0
    for event in closed:
        if event["id"] in done:
            continue
        async with write_transaction():
            if not await claim_event_job(event["id"], "follow_up"):
                continue
            sent += await _queue_follow_ups(event["id"])
    return sent


def survey_open(event: Row, now: datetime | None = None) -> bool:
    """Open once the fair has closed or ended."""
    return event["status"] == "closed" or event["ends_at"] <= (now or datetime.now(UTC))


async def follow_up_context(manage_token: str) -> Row:
    registration = await get_registration(manage_token)
    if registration["name"] == ERASED:
        raise NotFound(
            N_("There is no registration at this address"), code="registration_not_found"
        )
    return {
        "registration": registration,
        "event": registration["event"],
        "open": survey_open(registration["event"]),
        "councils": await all_councils(),
    }


async def _check_councils(codes: list[str]) -> list[str]:
    known = {c["code"] for c in await all_councils()}
    unknown = [c for c in codes if c not in known]
    if unknown:
        message = f"Unknown council: {', '.join(c[:40] for c in unknown[:5])}"
        raise Invalid(message, fields={"councils": message})
    return list(dict.fromkeys(codes))


async def _upsert_lead(registration: Row, interests: list[str], consent: bool) -> int:
    now = datetime.now(UTC)
    where = (Lead.registration == registration["id"]) & Lead.exhibitor.is_null()
    existing = await Lead.select(Lead.id).where(where).first()
    values: dict[Any, Any] = {
        Lead.interests: interests,
        Lead.consent_given: consent,
        Lead.updated_at: now,
    }
    if existing is not None:
        await Lead.update({**values, Lead.route_due: True}).where(Lead.id == existing["id"])
        return int(existing["id"])
    rows = await Lead.insert(
        Lead(event=registration["event"]["id"], registration=registration["id"],
             source="follow-up", interests=interests, consent_given=consent,
             captured_at=now, updated_at=now)
    ).returning(Lead.id)  # fmt: skip
    return int(rows[0]["id"])


async def save_follow_up(
    manage_token: str, councils: list[str], interests: list[str], consent: bool
) -> int:
    """The attendee's answers: the named councils become their consent (with the box
    ticked that says so), the job families their interests; returns the lead id."""
    context = await follow_up_context(manage_token)
    if not context["open"]:
        raise Invalid(N_("You can answer once the fair is over"), code="follow_up_not_open")
    councils = await _check_councils(councils)
    interests = await check_interests(interests)
    if councils and not consent:
        message = N_("Tick the box to agree to share your details with the councils you chose")
        raise Invalid(message, fields={"consent": message})
    registration = context["registration"]
    async with write_transaction():
        await Registration.update(
            {Registration.consent_councils: councils, Registration.interests: interests}
        ).where(Registration.id == registration["id"])
        lead_id = await _upsert_lead(registration, interests, bool(councils))
        await mark_registration_for_routing(registration["id"])
    return lead_id
