"""The organiser's own words per language: given in the event form or the API,
shown to a jobseeker in their language (marked with lang), English otherwise."""

from __future__ import annotations

from typing import Any

from events.services import get_event
from tests.factories import (
    csrf_from,
    future,
    login,
    make_event,
    make_org,
    make_user,
    token_for,
)

POLISH = {"title": "Targi pracy w Coventry", "access_notes": "Wejście bez schodów"}


async def test_a_jobseeker_reads_the_fairs_words_in_their_language(client: Any) -> None:
    event = await make_event(title="Coventry careers fair", description="Meet employers")
    await _set(event["slug"], {"pl": POLISH})
    page = (await client.get(f"/events/{event['slug']}?lang=pl")).text
    assert '<h1 class="govuk-heading-xl">Targi pracy w Coventry</h1>' in page
    assert "Wejście bez schodów" in page
    # No Polish description: the English one, marked as English.
    assert '<p class="govuk-body-l" lang="en-GB">Meet employers</p>' in page
    english = (await client.get(f"/events/{event['slug']}?lang=en")).text
    assert '<h1 class="govuk-heading-xl">Coventry careers fair</h1>' in english
    arabic = (await client.get(f"/events/{event['slug']}?lang=ar")).text
    marked = '<h1 class="govuk-heading-xl" lang="en-GB" dir="ltr">Coventry careers fair</h1>'
    assert marked in arabic


async def _set(slug: str, translations: dict[str, Any]) -> None:
    from events.services import update_event

    await update_event(slug, {"translations": translations})


async def test_the_api_takes_and_returns_translations(client: Any) -> None:
    organiser = await make_user("organiser", await make_org())
    headers = {"Authorization": f"Bearer {await token_for(organiser)}"}
    start = future()
    body = {
        "title": "Rugby careers fair",
        "starts_at": start.isoformat(),
        "ends_at": start.replace(hour=15).isoformat(),
        "venue": {"name": "Rugby Library"},
        "capacity": 100,
        "translations": {"ro": {"title": "Târg de locuri de muncă în Rugby"}},
    }
    created = await client.post("/api/v1/events", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["translations"] == {"ro": {"title": "Târg de locuri de muncă în Rugby"}}
    slug = created.json()["slug"]
    bad = await client.patch(
        f"/api/v1/events/{slug}",
        json={"translations": {"xx": {"title": "?"}, "pl": {"title": "a\u0000b"}}},
        headers=headers,
    )
    assert bad.status_code == 422, bad.text
    fields = bad.json()["fields"]
    assert "translations" in fields and "translations.pl.title" in fields
    assert (await get_event(slug, localise=False))["translations"] == {
        "ro": {"title": "Târg de locuri de muncă în Rugby"}
    }


async def test_the_organiser_form_keeps_them(client: Any) -> None:
    organiser = await make_user("organiser", await make_org())
    event = await make_event(organiser["org"])
    await login(client, organiser)
    form = await client.get(f"/organiser/events/{event['slug']}/edit")
    assert 'name="translations.ur.title"' in form.text and 'lang="ur" dir="rtl"' in form.text
    data = {
        "_csrf_token": csrf_from(form.text),
        "title": event["title"],
        "venue_name": event["venue_name"],
        "venue_postcode": event["venue_postcode"],
        "starts_at": event["starts_at"].strftime("%Y-%m-%dT%H:%M"),
        "ends_at": event["ends_at"].strftime("%Y-%m-%dT%H:%M"),
        "capacity": "100",
        "status": "published",
        "translations.pl.title": POLISH["title"],
        "translations.pl.access_notes": POLISH["access_notes"],
    }
    saved = await client.post(f"/organiser/events/{event['slug']}/edit", data=data)
    assert saved.status_code in (302, 303), saved.text
    assert (await get_event(event["slug"], localise=False))["translations"] == {"pl": POLISH}
    again = await client.get(f"/organiser/events/{event['slug']}/edit")
    assert POLISH["title"] in again.text
