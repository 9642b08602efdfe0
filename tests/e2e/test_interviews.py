"""A jobseeker on a 375 px phone books an interview from the fair page's pointer
and their ticket page, finds it under "Your interviews", moves it and cancels it;
no page scrolls sideways. Screenshots for review go to test-artefacts/."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from exhibitors.interviews import services as interviews
from registrations.services import RegistrationInput, register_attendee
from tests.e2e.test_jobseeker_journey import fits, span
from tests.factories import future, make_event, make_exhibitor, make_org, pass_second_step

pytestmark = pytest.mark.e2e
SHOTS = Path(__file__).resolve().parents[2] / "test-artefacts" / "interviews"


async def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def test_book_an_interview_at_375px_and_find_it_on_the_ticket(phone: Any) -> None:
    start = future()
    event = await make_event(starts_at=start)
    exhibitor_id = await make_exhibitor(event["id"], await make_org("Warwick Hospital Trust"))
    plan = interviews.ScheduleInput(starts_at=start, ends_at=start + timedelta(hours=1), parallel=2)
    slots = (await interviews.publish_schedule(exhibitor_id, plan, None))["slots"]
    first, second = (
        {
            "starts_at": datetime.fromisoformat(s["starts_at"]),
            "ends_at": datetime.fromisoformat(s["ends_at"]),
        }
        for s in slots[:2]
    )
    person = RegistrationInput(name="Amira Khan", email="amira@example.org")
    token = (await register_attendee(event["slug"], person)).manage_token

    await phone.goto(f"/events/{event['slug']}")
    assert "Interviews on the day" in await phone.content()
    await fits(phone)
    await shot(phone, "fair-page-375")
    await phone.goto(f"/r/{token}")
    await phone.get_by_role("link", name="Book an interview with an employer at the fair").click()
    await phone.wait_for_url(f"**/r/{token}/interviews")
    await fits(phone)
    await shot(phone, "choose-375")
    async with phone.expect_navigation():
        await phone.get_by_role(
            "button", name=f"Book {span(first)} with Warwick Hospital Trust"
        ).click()
    assert "/r/" in phone.url and "interview=booked" in phone.url
    mine = phone.get_by_test_id("your-interviews")
    assert "Warwick Hospital Trust" in await mine.inner_text()
    assert "At the Warwick Hospital Trust stand" in await mine.inner_text()
    await fits(phone)
    await shot(phone, "ticket-with-interview-375")

    await phone.get_by_role("link", name="Change the time for Warwick Hospital Trust").click()
    async with phone.expect_navigation():
        await phone.get_by_role(
            "button", name=f"Move to {span(second)} with Warwick Hospital Trust"
        ).click()
    assert (
        span(second).split(" to ")[0] in await phone.get_by_test_id("your-interviews").inner_text()
    )
    async with phone.expect_navigation():
        await phone.get_by_role(
            "button", name="Cancel this interview for Warwick Hospital Trust"
        ).click()
    assert "Your interview is cancelled." in await phone.content()
    assert await phone.get_by_test_id("your-interviews").count() == 0


async def test_stand_schedule_and_report_at_375_and_1280(browser: Any, live_server: str) -> None:
    """The stand's schedule (a booked person who has arrived, free places) and the
    organiser's report with the interview figures, at a phone's and a desk's width."""
    from datetime import UTC, datetime

    from exhibitors.interviews.tables import InterviewBooking
    from registrations.tables import Registration
    from tests.factories import PASSWORD, add_staff, make_user

    start = future()
    event = await make_event(starts_at=start)
    org = await make_org("Coventry Care Partnership")
    exhibitor_id = await make_exhibitor(event["id"], org)
    staff = await make_user("exhibitor", org=org)
    await add_staff(exhibitor_id, staff["id"])
    plan = interviews.ScheduleInput(starts_at=start, ends_at=start + timedelta(hours=2), parallel=3)
    slots = (await interviews.publish_schedule(exhibitor_id, plan, None))["slots"]
    for n in range(6):
        person = RegistrationInput(name=f"Jobseeker {n}", email=f"j{n}@example.org")
        token = (await register_attendee(event["slug"], person)).manage_token
        booked = await interviews.book(token, slots[n // 3]["id"])
        if n < 5:
            await InterviewBooking.update(
                {
                    InterviewBooking.status: "attended",
                    InterviewBooking.offer_at: start + timedelta(days=3 + n * 4),
                }
            ).where(InterviewBooking.id == booked["id"])
    await Registration.update({Registration.checked_in_at: datetime.now(UTC)}).where(
        Registration.name == "Jobseeker 4"
    )
    organiser = await make_user("organiser", org=event["organisation"])
    for who, path, name in (
        (staff, f"/exhibitor/{exhibitor_id}/interviews", "stand"),
        (organiser, f"/organiser/events/{event['slug']}/report", "report"),
    ):
        for width in (375, 1280):
            context = await browser.new_context(
                viewport={"width": width, "height": 900}, base_url=live_server
            )
            page = await context.new_page()
            await page.goto("/login")
            await page.fill("#email", who["email"])
            await page.fill("#password", PASSWORD)
            async with page.expect_navigation():
                await page.get_by_role("button", name="Sign in").click()
            await pass_second_step(page, who["email"])  # organisers sign in with a code
            await page.goto(path)
            if name == "stand":
                assert "Jobseeker 0" in await page.get_by_test_id("stand-schedule").inner_text()
            else:
                assert (
                    "The whole fair" in await page.get_by_test_id("interview-outcomes").inner_text()
                )
            await fits(page)
            await shot(page, f"{name}-{width}")
            await context.close()
