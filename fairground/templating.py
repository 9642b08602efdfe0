"""One Jinja2 environment for pages and emails, with gettext from the first template."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from fairground import i18n, timefmt
from fairground.static import static_url

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"


_TAG = re.compile(r"\{%.*?%\}")


def keep_line_breaks(source: str) -> str:
    """trim_blocks drops the newline after every block tag, which suits a line that
    holds only a tag but joins two lines of a plain-text email where a tag ends a
    line of words ("...stand A1.{% endif %}"). Such a tag gets Jinja's `+%}`, which
    keeps its newline."""
    lines = source.split("\n")
    for n, line in enumerate(lines):
        words = _TAG.sub("", line).strip()
        if words and line.endswith("%}") and not line.endswith(("-%}", "+%}")):
            lines[n] = line[:-2] + "+%}"
    return "\n".join(lines)


class TemplateLoader(FileSystemLoader):
    """Templates from templates/; plain-text ones (.txt) keep their line breaks."""

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        if template.endswith(".txt"):
            source = keep_line_breaks(source)
        return source, filename, uptodate


def ngettext(singular: str, plural: str, num: int, **values: Any) -> str:
    """A count in words from Python, as templates write it: "1 place", "2 places".
    The strings use %(num)d for the count, like Jinja2's ngettext."""
    return i18n.ngettext(singular, plural, num) % {"num": num, **values}


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=TemplateLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "htm", "xml"], default_for_string=False),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # gettext of the current language (fairground.i18n), looked up at each call.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True
    )
    env.globals["static_url"] = static_url
    env.globals["language"] = i18n.language
    env.globals["languages"] = i18n.LANGUAGES
    env.globals["language_link"] = i18n.link
    env.globals["localised"] = i18n.localised
    env.globals["lang_of"] = i18n.lang_of
    env.globals["is_staff_path"] = i18n.is_staff_path
    env.filters["translate"] = i18n.translate
    env.filters["ltr"] = i18n.ltr
    env.filters["translate_parts"] = i18n.translate_parts
    env.filters["when"] = timefmt.when
    env.filters["short"] = timefmt.short
    env.filters["long_date"] = timefmt.date  # a date (or datetime) as "23 January 2025"
    env.filters["day"] = lambda value, tz: timefmt.day(timefmt.local(value, tz))
    env.filters["clock"] = lambda value, tz: timefmt.clock(timefmt.local(value, tz))
    return env


def render(name: str, **context: Any) -> str:
    """Render a template outside a request (emails, PDFs)."""
    return environment().get_template(name).render(**context)
