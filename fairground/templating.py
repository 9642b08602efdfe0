"""One Jinja2 environment for pages and emails, with gettext from the first template."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape

from fairground import timefmt

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
TRANSLATIONS = ROOT / "translations"


@lru_cache(maxsize=1)
def translations() -> NullTranslations:
    return Translations.load(str(TRANSLATIONS), ["en_GB"], domain="messages")


def ngettext(singular: str, plural: str, num: int, **values: Any) -> str:
    """A count in words from Python, as templates write it: "1 place", "2 places".
    The strings use %(num)d for the count, like Jinja2's ngettext."""
    return translations().ngettext(singular, plural, num) % {"num": num, **values}


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "htm", "xml"], default_for_string=False),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(), newstyle=True)  # type: ignore[attr-defined]
    env.filters["when"] = timefmt.when
    env.filters["short"] = timefmt.short
    env.filters["day"] = lambda value, tz: timefmt.day(timefmt.local(value, tz))
    env.filters["clock"] = lambda value, tz: timefmt.clock(timefmt.local(value, tz))
    return env


def render(name: str, **context: Any) -> str:
    """Render a template outside a request (emails, PDFs)."""
    return environment().get_template(name).render(**context)
