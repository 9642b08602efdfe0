"""Applications: each verification rule, the waiting list, emails, the API and bad input."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from events.tables import Event
from exhibitors.applications import apply_for_stand
from exhibitors.tables import Exhibitor, Vacancy
from fairground.errors import Conflict, Invalid
from fairground.tables import Organisation
from tests.exhibitors.helpers import (
    application,
    apply,
    approve,
    make_stand,
    make_subscriber,
    outbox,
    text_of,
)
from tests.factories import make_event, make_org, make_user


async def _row(exhibitor_id: int) -> dict[str, Any]:
    row = await Exhibitor.select().where(Exhibitor.id == exhibitor_id).first()
    assert row is not None
    return row


async def test_current_subscriber_from_its_own_domain_is_verified_at_once() -> None:
    event = await make_event()
    coventry = await make_subscriber()
    result = await apply_for_stand(event["slug"], application())
    row = await _row(result.id)
    assert (result.status, result.verification.status) == ("applied", "verified")
    assert (row["organisation"], row["verification"], row["review_reason"]) == (
        coventry,
        "verified",
        "",
    )
    assert (row["needs_power"], row["staff_limit"]) == (True, 3)
    assert [v["title"] for v in await Vacancy.select(Vacancy.title)] == ["Social Worker"]


VERIFICATION_RULES = [
    # (case, subscriber until, application overrides, expected reason)
    ("no reference", {"subscriber_ref": ""}, "no_reference"),
    ("unknown reference", {"subscriber_ref": "WMJ-9999"}, "unknown_reference"),
    (
        "another organisation's reference",
        {"organisation": "Rugby Borough Council"},
        "organisation_mismatch",
    ),
    ("expired subscription", {"_until": date.today() - timedelta(days=1)}, "expired"),
    ("personal email", {"contact": {"name": "Sam", "email": "sam@gmail.com"}}, "domain_mismatch"),
    (
        "look-alike domain",
        {"contact": {"name": "Sam", "email": "sam@coventry.gov.uk.evil.com"}},
        "domain_mismatch",
    ),
    (
        "subdomain is not the domain",
        {"contact": {"name": "Sam", "email": "a@hr.coventry.gov.uk"}},
        "domain_mismatch",
    ),
]


@pytest.mark.parametrize(("case", "overrides", "reason"), VERIFICATION_RULES)
async def test_anything_else_needs_review_with_the_reason(
    case: str, overrides: dict[str, Any], reason: str
) -> None:
    event = await make_event()
    until = overrides.pop("_until", date(2099, 1, 1))
    await make_subscriber(until=until)
    result = await apply_for_stand(event["slug"], application(**overrides))
    row = await _row(result.id)
    assert (result.status, row["verification"], row["review_reason"]) == (
        "applied",
        "needs_review",
        reason,
    ), case


async def test_a_subscription_ending_today_is_still_current() -> None:
    event = await make_event()
    await make_subscriber(until=date.today())
    result = await apply_for_stand(event["slug"], application())
    assert result.verification.status == "verified"


async def test_a_subscription_without_an_end_date_is_current_and_case_is_ignored() -> None:
    event = await make_event()
    await make_subscriber(until=None)
    body = application(
        organisation="coventry city council",
        subscriber_ref=" wmj-0042 ",
        contact={"name": "Sam", "email": "Sam.Patel@COVENTRY.gov.uk"},
    )
    result = await apply_for_stand(event["slug"], body)
    assert result.verification.status == "verified"


async def test_a_new_organisation_is_created_and_needs_review() -> None:
    event = await make_event()
    body = application(organisation="Brand New Trust", subscriber_ref="")
    result = await apply_for_stand(event["slug"], body)
    org = await Organisation.select().where(Organisation.name == "Brand New Trust").first()
    assert org is not None and org["subscriber_ref"] is None
    assert (await _row(result.id))["organisation"] == org["id"]
    assert result.verification.reason == "no_reference"


async def test_emails_go_to_the_contact_and_the_organisers() -> None:
    org = await make_org()
    organiser = await make_user("organiser", org=org)
    event = await make_event(org)
    await apply(event, subscriber_ref="WMJ-0000")
    to_contact = await outbox("exhibitor_application")
    notices = await outbox("exhibitor_application_notice")
    assert [m["recipient"] for m in to_contact] == ["recruitment@coventry.gov.uk"]
    assert "not on the job board's subscriber list" in text_of(to_contact[0])
    assert [m["recipient"] for m in notices] == [organiser["email"]]
    assert "needs review" in notices[0]["subject"]


async def test_applying_twice_for_one_organisation_is_a_conflict() -> None:
    event = await make_event()
    await make_subscriber()
    await apply(event)
    with pytest.raises(Conflict) as caught:
        await apply(event)
    assert caught.value.code == "already_applied"
    assert await Exhibitor.count() == 1


async def test_when_every_stand_is_taken_applications_join_the_waiting_list() -> None:
    org = await make_org()
    organiser = await make_user("organiser", org=org)
    event = await make_event(org)
    await make_stand(event["id"], "A1")
    first = await apply(event)
    await approve(event, first, organiser["id"], "A1")
    result = await apply_for_stand(event["slug"], application(organisation="Rugby Borough Council"))
    assert result.status == "waitlisted"
    waiting = await outbox("exhibitor_application")
    assert "waiting list" in waiting[-1]["subject"]


@pytest.mark.parametrize("status", ["draft", "cancelled", "closed"])
async def test_only_published_fairs_take_applications(status: str) -> None:
    event = await make_event(status="published")
    await Event.update({Event.status: status}).where(Event.id == event["id"])
    with pytest.raises(Conflict) as caught:
        await apply(event)
    assert caught.value.code == "applications_closed"


BAD_INPUT = [
    ({"organisation": ""}, "organisation"),
    ({"organisation": "x" * 201}, "organisation"),
    ({"subscriber_ref": "no spaces allowed"}, "subscriber_ref"),
    ({"contact": {"name": "", "email": "a@b.org"}}, "contact.name"),
    ({"contact": {"name": "Sam", "email": "not-an-email"}}, "contact.email"),
    ({"contact": {"name": "Sam", "email": "a@b.org", "phone": "call me"}}, "contact.phone"),
    ({"needs": {"tables": -1}}, "needs.tables"),
    ({"needs": {"staff": 0}}, "needs.staff"),
    ({"needs": {"staff": 500}}, "needs.staff"),
    ({"vacancies": [{"title": "", "job_family": "social-care"}]}, "vacancies[0].title"),
    ({"vacancies": [{"title": "SW", "job_family": "astronaut"}]}, "vacancies[0].job_family"),
    (
        {"vacancies": [{"title": "SW", "job_family": "digital", "url": "javascript:alert(1)"}]},
        "vacancies[0].url",
    ),
    ({"vacancies": [{"title": "SW", "job_family": "digital"}] * 21}, "vacancies"),
]


@pytest.mark.parametrize(("overrides", "field"), BAD_INPUT)
async def test_bad_input_names_the_field_and_keeps_nothing(
    overrides: dict[str, Any], field: str
) -> None:
    event = await make_event()
    with pytest.raises(Invalid) as caught:
        await apply(event, **overrides)
    assert field in caught.value.fields
    assert await Exhibitor.count() == 0
    assert await Vacancy.count() == 0
    assert await outbox() == []
