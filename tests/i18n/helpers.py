"""Finding words that did not go through gettext: render in the pseudo-locale, where
every message reads ⟦…⟧, take away those and the data, and see what is left."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from html.parser import HTMLParser

from fairground import i18n


class Text(HTMLParser):
    """What a person reads or hears: text (not scripts or styles) and the words in
    alt, title, aria-label, placeholder and the meta description."""

    ATTRIBUTES = ("alt", "title", "aria-label", "placeholder")
    # The person's own words, as they typed them (a textarea's value).
    SKIP = ("script", "style", "textarea")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skip += 1
        values = dict(attrs)
        self.parts += [values[a] or "" for a in self.ATTRIBUTES if values.get(a)]
        if tag == "meta" and values.get("name") == "description":
            self.parts.append(values.get("content") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def readable(html: str) -> str:
    parser = Text()
    parser.feed(html)
    return " ".join(parser.parts)


# Dates and times are Babel's: in the pseudo-locale, English ones.
DATES = [*calendar.month_name[1:], *calendar.day_name]


def english_left(text: str, data: Iterable[str]) -> list[str]:
    """The words of `text` outside every ⟦…⟧ that are not data."""
    while "⟦" in text:  # innermost first: a message's value may be a message
        stripped = re.sub(r"⟦[^⟦⟧]*⟧", " ", text)
        if stripped == text:
            break
        text = stripped
    for value in sorted(
        {*data, *DATES, *(lang.name for lang in i18n.LANGUAGES.values())}, key=len, reverse=True
    ):
        if value:
            text = text.replace(value, " ")
    text = re.sub(r"https?://\S+|\S+@\S+|FG-[A-Z0-9-]+|cid:\S+", " ", text)
    return sorted(set(re.findall(r"[A-Za-z][A-Za-z']{2,}", text)))
