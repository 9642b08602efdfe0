"""Words people read: status tags in sentence case, counts through ngettext."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from exhibitors.tables import Exhibitor, Stand
from tests.factories import login, make_event, make_exhibitor, make_org, make_user

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "templates").rglob("*.html")) + sorted(
    (ROOT / "templates").rglob("*.txt")
)


def _tags(html: str) -> list[str]:
    return [m.strip() for m in re.findall(r'class="govuk-tag[^"]*"[^>]*>([^<]*)<', html)]


def test_no_template_puts_a_stored_code_in_a_tag() -> None:
    raw = re.compile(r"govuk-tag[^>]*>\{\{ *[\w.]+ *\}\}")  # {{ row.status }}, not a label
    offenders = [str(p.relative_to(ROOT)) for p in TEMPLATES if raw.search(p.read_text())]
    assert offenders == []


def test_tags_are_not_transformed_to_capitals() -> None:
    css = (ROOT / "static" / "build" / "app.css").read_text()
    rules = re.findall(r"\.govuk-tag[\w-]*\{([^}]*)\}", css)
    assert rules and not any("text-transform" in r for r in rules)
    assert "text-transform" not in (ROOT / "static" / "src" / "app.scss").read_text()


def test_no_hand_made_plurals_in_templates() -> None:
    # "%(n)s tables" reads "1 tables": a count before a plural noun needs ngettext.
    nouns = "tables|stands|places|staff|leads|deliveries|tries|bytes|people|attendees|rows"
    handmade = re.compile(rf'(?<!ngettext\()_\("[^"]*%\(\w+\)[sd] ({nouns})\b')
    offenders = [str(p.relative_to(ROOT)) for p in TEMPLATES if handmade.search(p.read_text())]
    assert offenders == []


async def test_exhibitor_status_tags_in_sentence_case(client: Any) -> None:
    org = await make_org()
    event = await make_event(org)
    exhibitor = await make_exhibitor(event["id"])
    await Exhibitor.update({Exhibitor.status: "applied", Exhibitor.needs_tables: 1}).where(
        Exhibitor.id == exhibitor
    )
    await login(client, await make_user("organiser", org=org))
    listing = await client.get(f"/organiser/events/{event['slug']}/exhibitors")
    assert "Needs review" in _tags(listing.text)
    detail = await client.get(f"/organiser/events/{event['slug']}/exhibitors/{exhibitor}")
    assert "Needs review" in _tags(detail.text) and "1 table;" in detail.text
    index = await client.get("/organiser")
    assert "Published" in _tags(index.text)
    for tag in _tags(listing.text) + _tags(detail.text) + _tags(index.text):
        assert tag[:1].isupper() and tag[1:] == tag[1:].lower(), tag


async def test_a_count_of_one_stand_reads_as_one() -> None:
    import pytest

    from exhibitors.services import Decision, decide_exhibitor
    from fairground.errors import Conflict

    organiser = await make_user("organiser", org=await make_org())
    event = await make_event(organiser["org"])
    await Stand.insert(Stand(event=event["id"], code="A1"))
    await make_exhibitor(event["id"])  # approved: the one stand is taken
    waiting = await make_exhibitor(event["id"])
    await Exhibitor.update({Exhibitor.status: "applied"}).where(Exhibitor.id == waiting)
    with pytest.raises(Conflict) as caught:
        await decide_exhibitor(event["id"], waiting, Decision("approve", "", ""), organiser["id"])
    assert caught.value.code == "stands_full"
    assert "1 stands" not in caught.value.detail and "The only stand" in caught.value.detail


async def test_a_count_of_one_place_reads_as_one() -> None:
    import pytest

    from events.services import update_event
    from fairground.errors import Invalid
    from tests.registrations.helpers import register

    event = await make_event(capacity=5)
    await register(event)
    with pytest.raises(Invalid) as caught:
        await update_event(event["slug"], {"capacity": 0})
    assert (caught.value.fields or {}).get("capacity") == "1 place is already taken"


def test_plain_text_templates_keep_a_line_break_after_a_closing_tag() -> None:
    from fairground.templating import environment, keep_line_breaks

    source = "Your stand is A1.{% endif %}\n{% if message %}\nA message:\n{% endif %}\nBye"
    assert keep_line_breaks(source).splitlines()[0].endswith("+%}")
    assert keep_line_breaks(source).splitlines()[1] == "{% if message %}"  # a tag alone
    template = environment().from_string(keep_line_breaks("{% if a %}One.{% endif %}\nTwo."))
    assert template.render(a=True) == "One.\nTwo."
