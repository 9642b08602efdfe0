"""Codes as the people who read them know them: councils and job families by name,
and why a lead was routed in words. Used by the council's pages and exports; the
API and webhooks keep the codes, for machines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fairground import i18n
from fairground.seed import councils, job_families

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Names:
    councils: dict[str, str]
    families: dict[str, str]


async def load_names() -> Names:
    return Names(
        councils={c["code"]: c["name"] for c in await councils()},
        families={f["code"]: f["name"] for f in await job_families()},
    )


def _(text: str) -> str:
    return i18n.gettext(text)


def council_name(names: Names, code: str | None) -> str:
    """A council's name; "outside" and "unsure" as the registration form words them."""
    other = {"outside": _("Outside the West Midlands"), "unsure": _("Not sure")}
    if not code:
        return ""
    return names.councils.get(code) or other.get(code, code)


def rule_words(names: Names, rule: str) -> str:
    """Why the lead reached the council (the routing rule that matched)."""
    if rule.startswith("job_family:"):
        family = rule.split(":", 1)[1]
        return _("Job family: %(family)s") % {"family": names.families.get(family, family)}
    words = {
        "home_council": _("Home council"),
        "county": _("County of the home council"),
        "exhibitor": _("Your own stand"),
    }
    return words.get(rule, rule)


def with_names(lead: Row, names: Names) -> Row:
    """The lead with the words beside its codes."""
    return {
        **lead,
        "home_council_name": council_name(names, lead.get("home_council")),
        "interest_names": [names.families.get(c, c) for c in lead.get("interests") or []],
        "reason": rule_words(names, lead.get("rule") or ""),
    }
