"""The registration's language by API: given at registration, read back, changed by
the attendee (a new invite in it), refused by name when it is not one we speak."""

from __future__ import annotations

from typing import Any

from tests.factories import make_event
from tests.registrations.helpers import outbox, parse_ics, parts


async def test_language_is_taken_read_and_changed(client: Any) -> None:
    event = await make_event()
    body = {"name": "Zofia Wiśniewska", "email": "zofia@example.org", "language": "pl"}
    created = await client.post(f"/api/v1/events/{event['slug']}/registrations", json=body)
    assert created.status_code == 201, created.text
    token = created.json()["links"]["manage"].rsplit("/", 1)[1]
    assert (await client.get(f"/api/v1/registrations/{token}")).json()["language"] == "pl"
    [ticket] = await outbox("registration_confirmation")
    assert ticket["Content-Language"] == "pl"
    changed = await client.patch(f"/api/v1/registrations/{token}", json={"language": "ar"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["language"] == "ar"
    [email] = await outbox("registration_changed")
    assert email["Content-Language"] == "ar"
    _cal, vevent = parse_ics(parts(email)["ics"])  # the invite's words change language
    assert vevent["SUMMARY"].params["LANGUAGE"] == "ar"
    assert int(vevent["SEQUENCE"]) == 1


async def test_an_unknown_language_is_refused_by_name(client: Any) -> None:
    event = await make_event()
    body = {"name": "Ana Popescu", "email": "ana@example.org", "language": "xx"}
    refused = await client.post(f"/api/v1/events/{event['slug']}/registrations", json=body)
    assert refused.status_code == 422, refused.text
    assert "language" in refused.json()["fields"]
    ok = {**body, "language": "ro"}
    created = await client.post(f"/api/v1/events/{event['slug']}/registrations", json=ok)
    token = created.json()["links"]["manage"].rsplit("/", 1)[1]
    bad = await client.patch(f"/api/v1/registrations/{token}", json={"language": "english"})
    assert bad.status_code == 422 and "language" in bad.json()["fields"]
