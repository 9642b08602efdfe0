"""The rules for text a person types, in one place; each app's validation applies them.

Every free-text field is a *line* (a name, a title, a label: one line in a page, an
email header, a spreadsheet cell or a badge) or a *block* (notes, a description, an
address: may hold line breaks). `check_line` and `check_block` return the text to
store or add a message naming the field to `errors`:

- Stored: NFC-normalised and trimmed. In a line, runs of whitespace (tabs and
  no-break spaces included) become one space; in a block, CRLF and CR become LF.
- Refused: longer than the field's limit (after trimming); NUL and every other
  control character, except tab and line breaks in a block (in a line, a line break
  is refused: a browser's one-line box cannot send one, and in a name it would reach
  an email header); the Unicode direction controls (embeddings, overrides and
  isolates, U+202A-U+202E and U+2066-U+2069), which make text display as something
  other than what is stored - a name in a council's spreadsheet or on a badge that
  reads differently from the one registered. No text typed into a form needs them:
  browsers lay out mixed Arabic and English without them. The marks U+200E, U+200F
  and U+061C, which cannot reorder text, are kept.
- Kept exactly: everything else - apostrophes, every script, emoji, zero-width
  joiners, and text that looks like SQL, HTML or template syntax. It is data: bound as
  a query parameter, escaped in pages, never evaluated. Text starting with = + - @ is
  kept too, and neutralised when exported to a spreadsheet
  (exhibitors.leads.delivery.safe_cell).

Refusing rather than silently removing a character keeps what is stored what was
sent, and tells a misbehaving client plainly; a person typing cannot produce these
characters. (The subscriber import cleans its cells instead: it reads whatever a
spreadsheet exported, see exhibitors.subscribers.)
"""

from __future__ import annotations

import re
import unicodedata

from fairground.errors import Invalid
from fairground.i18n import N_, Msg

DIRECTION_CONTROLS = "\u202a-\u202e\u2066-\u2069"
# Control characters are exactly U+0000-U+001F and U+007F-U+009F (category Cc);
# U+D800-U+DFFF are unpaired surrogates (category Cs), which no UTF-8 text holds.
_ALWAYS = f"\\x0b-\\x1f\\x7f-\\x9f\\ud800-\\udfff{DIRECTION_CONTROLS}"
_LINE_REFUSES = re.compile(f"[\\x00-\\x08\\x0a{_ALWAYS}]")  # tab allowed
_BLOCK_REFUSES = re.compile(f"[\\x00-\\x08{_ALWAYS}]")  # tab and line feed allowed
_NEWLINES = re.compile(r"\r\n?")


def has_forbidden(text: str, block: bool = False) -> bool:
    """Whether the text holds a character this kind of field refuses (tab is allowed
    in both kinds, line breaks only in a block)."""
    return (_BLOCK_REFUSES if block else _LINE_REFUSES).search(text) is not None


def check_line(value: object, field: str, label: str, limit: int, errors: dict[str, str]) -> str:
    """A one-line text (see the module docstring); "" and a message when refused."""
    text = unicodedata.normalize("NFC", "" if value is None else str(value))
    if has_forbidden(text):
        errors[field] = Msg(N_("%(label)s must not contain control characters"), label=label)
        return ""
    text = " ".join(text.split())
    if len(text) > limit:
        errors[field] = Msg(
            N_("%(label)s must be %(limit)s characters or fewer"), label=label, limit=limit
        )
        return ""
    return text


def check_block(value: object, field: str, label: str, limit: int, errors: dict[str, str]) -> str:
    """A text of several lines (see the module docstring); "" and a message when refused."""
    text = _NEWLINES.sub("\n", unicodedata.normalize("NFC", "" if value is None else str(value)))
    if has_forbidden(text, block=True):
        errors[field] = Msg(N_("%(label)s must not contain control characters"), label=label)
        return ""
    text = text.strip()
    if len(text) > limit:
        errors[field] = Msg(
            N_("%(label)s must be %(limit)s characters or fewer"), label=label, limit=limit
        )
        return ""
    return text


def clean_label(value: object, field: str, limit: int = 80) -> str:
    """A label a device sends with every scan or check-in (a door's name, a device's).

    The scan must still get its verdict, so a label is cleaned rather than refused:
    control and text-direction characters become spaces, whitespace is collapsed.
    Only what no cleaning can mend is refused (Invalid naming the field): a NUL, and
    text over the limit.
    """
    text = "" if value is None else str(value)
    if "\x00" in text or len(text) > limit:
        message = f"Enter a name of up to {limit} characters, without NUL characters"
        raise Invalid(message, fields={field: message})
    return " ".join(_LINE_REFUSES.sub(" ", unicodedata.normalize("NFC", text)).split())


_KEY = re.compile(r"[\x21-\x7e]{1,64}")


def check_key(value: str | None, field: str = "client_id") -> str | None:
    """A client's idempotency key (a UUID, say): 1 to 64 printable ASCII characters
    without spaces, stored as sent; None when the client sent none."""
    if value is not None and not _KEY.fullmatch(value):
        message = "Send up to 64 letters, digits and punctuation, such as a UUID"
        raise Invalid(message, fields={field: message})
    return value
