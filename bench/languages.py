"""What a jobseeker's language costs a page: the list of fairs and a fair's page
rendered in each language, beside the same pages in English (the ceiling: no
catalogue lookups, GOV.UK's own date words), and the per-request language
negotiation (fairground.i18n.from_scope) for a jobseeker page and an API call.

    .venv/bin/python -m bench --only languages        (or: make bench BENCH="--only languages")

In process, no server and no database: the templates and the negotiation are the
part the languages add; the rest of a request is the same in every language. It
checks that it measured what it says: each page is in its language (`<html lang>`,
the catalogue's words) and the English one has no catalogue words.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fairground import i18n
from fairground.templating import environment

ROUNDS = 100
REPEATS = 5  # each language's page against the English one, in turns: the best of each
FLOOR = 0.5  # a translated page renders at least half as fast as the English one


def _events() -> list[dict[str, Any]]:
    start = datetime(2027, 1, 7, 10, tzinfo=UTC)
    return [
        {
            "slug": f"fair-{n}",
            "title": f"Careers fair {n}",
            "starts_at": start + timedelta(days=n),
            "ends_at": start + timedelta(days=n, hours=5),
            "timezone": "Europe/London",
            "venue_name": "Library of Birmingham",
            "venue_postcode": "B1 2ND",
            "translations": {"pl": {"title": f"Targi pracy {n}"}},
        }
        for n in range(20)
    ]


def _event() -> dict[str, Any]:
    event = _events()[0]
    event.update(
        id=1,
        status="published",
        description="Meet councils hiring now",
        venue_address="Centenary Square, Broad Street, Birmingham",
        access_notes="Step-free entrance",
        capacity=2000,
        confirmed_count=10,
    )
    return event


def _slots(event: dict[str, Any]) -> list[dict[str, Any]]:
    hour = timedelta(hours=1)
    return [
        {
            "id": n,
            "starts_at": event["starts_at"] + n * hour,
            "ends_at": event["starts_at"] + (n + 1) * hour,
            "capacity": 500,
            "confirmed_count": 10,
        }
        for n in range(3)
    ]


def _request(path: str) -> Any:
    return SimpleNamespace(url=SimpleNamespace(path=path, query=""))


def _pages() -> dict[str, tuple[str, Any]]:
    event = _event()
    return {
        "fairs list": (
            "events/index.html",
            lambda: {"events": [i18n.localise(e) for e in _events()], "request": _request("/")},
        ),
        "fair page": (
            "events/event.html",
            lambda: {
                "event": i18n.localise(event),
                "slots": _slots(event),
                "counts": SimpleNamespace(confirmed=10, waitlisted=0, cancelled=0, checked_in=0),
                "registration_open": True,
                "organiser": "West Midlands Employers",
                "contact": "",
                "request": _request("/events/fair-0"),
                "csrf_input": "",
                "principal": None,
            },
        ),
    }


def _render(template: Any, context: Any, code: str) -> tuple[float, str]:
    """CPU seconds per page (this process's own, so other work on the box counts
    less), and the last page."""
    with i18n.use(code):
        started = time.process_time()
        for _ in range(ROUNDS):
            html = template.render(**context())
        return (time.process_time() - started) / ROUNDS, html


def _best(template: Any, context: Any, code: str) -> tuple[float, float, str, str]:
    """The English and the language's page in turns, the best of REPEATS each."""
    english, theirs = [], []
    for _ in range(REPEATS):
        seconds, english_html = _render(template, context, "en")
        english.append(seconds)
        seconds, html = _render(template, context, code)
        theirs.append(seconds)
    return min(english), min(theirs), english_html, html


def _negotiation() -> list[str]:
    page = {
        "type": "http",
        "path": "/events/fair-0/register",
        "query_string": b"",
        "headers": [
            (b"cookie", b"lang=pl; session=abc"),
            (b"accept-language", b"pl-PL,pl;q=0.9,en;q=0.8"),
        ],
    }
    api = {"type": "http", "path": "/api/v1/checkins", "query_string": b"", "headers": []}
    lines = []
    for name, scope, wanted in (("jobseeker page", page, "pl"), ("API call", api, "en")):
        assert i18n.from_scope(scope)[0] == wanted, name
        n = 50_000
        started = time.process_time()
        for _ in range(n):
            i18n.from_scope(scope)
        micros = (time.process_time() - started) / n * 1e6
        lines.append(f"  negotiation, {name}: {micros:.1f} µs per request")
    return lines


def main() -> int:
    env = environment()
    problems: list[str] = []
    print(
        f"Languages: pages per CPU second, in process; each language against the English"
        f" page (the ceiling) in turns, best of {REPEATS} x {ROUNDS}"
    )
    for name, (path, context) in _pages().items():
        template = env.get_template(path)
        print(f"  {name}:")
        for code in i18n.LANGUAGES:
            if code == "en":
                continue
            english, seconds, english_html, html = _best(template, context, code)
            if 'lang="en-GB"' not in english_html:
                problems.append(f"{name}: the English page is not in English")
            skip = i18n.translations(code).gettext("Skip to main content")
            if f'lang="{code}"' not in html or skip not in html or skip == "Skip to main content":
                problems.append(f"{name}: the {code} page is not in {code}")
            share = english / seconds
            print(
                f"    {code} {1 / seconds:,.0f} pages/s beside en {1 / english:,.0f}:"
                f" {share:.2f}× (floor {FLOOR}×)"
            )
            if share < FLOOR:
                problems.append(f"{name} in {code}: {share:.2f}× the English, under {FLOOR}×")
    for line in _negotiation():
        print(line)
    for problem in problems:
        print(f"  FAILED: {problem}")
    print("  verified: every page in its language" if not problems else "  NOT verified")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
