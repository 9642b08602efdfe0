"""The jobseeker's language: which ones we speak, which one this request or email
is in, and the translations of our own words.

A language is chosen by `?lang=` (a shareable link; remembered in a cookie), then
the cookie, then (on an attendee's own pages) the language their registration was
made in, then the browser's `Accept-Language`; English (UK) otherwise. Staff pages
and the API stay in English. The current language lives in a context variable, set
per request by `LanguageMiddleware` and per email by `use()`, and is read by the
templates' gettext, by `fairground.timefmt` and by the invite.

Adding a language: its catalogue in translations/<code>/LC_MESSAGES/messages.po
(`make translations-init LANG=<code>`), and one line in LANGUAGES below.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from babel import Locale
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
DOMAIN = "messages"
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


@dataclass(frozen=True)
class Language:
    code: str  # the `?lang=` value, the `lang` attribute and the catalogue's folder
    name: str  # in itself, as the language list shows it
    english: str  # for staff pages and the docs
    locale: str  # Babel's locale for dates and numbers
    dir: str = "ltr"


LANGUAGES: dict[str, Language] = {
    language.code: language
    for language in (
        Language("en", "English", "English", "en_GB"),
        Language("ur", "اردو", "Urdu", "ur_PK", "rtl"),
        Language("pa", "ਪੰਜਾਬੀ", "Punjabi (Gurmukhi)", "pa_Guru_IN"),
        Language("bn", "বাংলা", "Bengali", "bn_BD"),
        Language("pl", "Polski", "Polish", "pl_PL"),
        Language("ro", "Română", "Romanian", "ro_RO"),
        Language("ar", "العربية", "Arabic", "ar", "rtl"),
    )
}
DEFAULT = "en"
# A made-up language for tests: every message wrapped in ⟦…⟧, so a page rendered in
# it shows at once any words that did not go through gettext.
PSEUDO = Language("qps", "Pseudo", "Pseudo-locale (tests)", "en_GB")
_pseudo_enabled = False

_current: ContextVar[str] = ContextVar("language", default=DEFAULT)
# Where the current language came from: "link", "cookie", "browser" or "default".
_source: ContextVar[str] = ContextVar("language_source", default="default")

# Staff and machine paths: always English (the jobseeker's choice does not follow).
_STAFF = re.compile(
    r"^/(organiser|door|exhibitor|council|account|login|logout|password-reset|api|schema"
    r"|static|healthz|logos)(/|$)|^/events/[^/]+/exhibit(/|$)"
)


def N_(message: str) -> str:
    """Mark a message for the catalogue; it is translated where it is shown."""
    return message


class Msg(str):
    """A message with values: reads as the English text (the API, logs), and is
    translated on a page by `translate()`, its values too when they are `Msg`s."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, **params: Any) -> Msg:
        english = {k: f"{v:,}" if isinstance(v, int) else v for k, v in params.items()}
        self = super().__new__(cls, msgid % english if params else msgid)
        self.msgid = msgid
        self.params = params
        return self


def enable_pseudo(enabled: bool = True) -> None:
    global _pseudo_enabled
    _pseudo_enabled = enabled


def known(code: str | None) -> str | None:
    """The code if we speak it (case and region ignored: "pl-PL" is "pl")."""
    if not code:
        return None
    parts = code.strip().lower().replace("_", "-").split("-")
    code = parts[0]
    if code == "pa" and {"arab", "pk"} & set(parts[1:]):
        return None  # Punjabi in Shahmukhi (Pakistan): not our Gurmukhi catalogue
    if code in LANGUAGES or (_pseudo_enabled and code == PSEUDO.code):
        return code
    return None


def language(code: str | None = None) -> Language:
    code = code or current()
    if code == PSEUDO.code:
        return PSEUDO
    return LANGUAGES.get(code, LANGUAGES[DEFAULT])


def from_accept_language(header: str) -> str | None:
    """The first language we speak in the browser's list, by its q-values."""
    ranked: list[tuple[float, int, str]] = []
    for n, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        match = re.search(r"q\s*=\s*([0-9.]+)", params)
        if match:
            try:
                quality = float(match.group(1))
            except ValueError:
                quality = 0.0
        if quality > 0:
            ranked.append((-quality, n, tag))
    for _quality, _n, tag in sorted(ranked):
        code = known(tag)
        if code:
            return code
    return None


def negotiate(query: str | None, cookie: str | None, accept: str | None) -> tuple[str, str]:
    """(language, where it came from)."""
    for code, source in ((query, "link"), (cookie, "cookie")):
        chosen = known(code)
        if chosen:
            return chosen, source
    chosen = from_accept_language(accept or "")
    if chosen:
        return chosen, "browser"
    return DEFAULT, "default"


def current() -> str:
    return _current.get()


def is_staff_path(path: str) -> bool:
    return bool(_STAFF.match(path))


def prefer(code: str | None) -> None:
    """An attendee's page: their registration's language, unless this device chose
    one (a link or the cookie)."""
    if _source.get() in ("link", "cookie", "staff"):
        return
    chosen = known(code)
    if chosen:
        _current.set(chosen)
        _source.set("registration")


@contextmanager
def use(code: str | None) -> Iterator[Language]:
    """Render in this language (an email, an invite), then go back."""
    token = _current.set(known(code) or DEFAULT)
    try:
        yield language()
    finally:
        _current.reset(token)


class PseudoTranslations(NullTranslations):
    def gettext(self, message: str) -> str:
        return f"⟦{message}⟧"

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return f"⟦{singular if n == 1 else plural}⟧"


@cache
def translations(code: str) -> NullTranslations:
    if code == PSEUDO.code:
        return PseudoTranslations()
    if code == DEFAULT:
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS), [code], domain=DOMAIN)


def gettext(message: str) -> str:
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current()).ngettext(singular, plural, n)


def translate(value: Any) -> Any:
    """A message made elsewhere (a form error, a service's refusal) in the current
    language; anything else as it is."""
    if isinstance(value, Msg):
        params = {
            key: format_decimal(val, locale=babel_locale())
            if isinstance(val, int)
            else translate(val)
            for key, val in value.params.items()
        }
        text = gettext(value.msgid)
        try:
            return text % params if params else text
        except (KeyError, ValueError, TypeError):  # a broken translation: the English
            return str(value)
    if isinstance(value, str) and value:
        return gettext(value)
    return value


def translate_parts(value: Any, separator: str = "; ") -> Any:
    """A stored list of our words and the person's own ("Step-free access; a seat
    near the door", as the organiser reads it), our words in the current language."""
    if not isinstance(value, str) or not value or current() == DEFAULT:
        return value
    return separator.join(gettext(part) if part else part for part in value.split(separator))


def babel_locale(code: str | None = None) -> Locale:
    return _babel_locale(language(code).locale)


@cache
def _babel_locale(identifier: str) -> Locale:
    return Locale.parse(identifier)


def link(path: str, query_string: str, code: str) -> str:
    """This page in another language: the same address and query, `lang` replaced."""
    params = [(k, v) for k, v in parse_qsl(query_string, keep_blank_values=True) if k != "lang"]
    params.append(("lang", code))
    return f"{path}?{urlencode(params)}"


OWN_WORDS = ("title", "description", "access_notes")


def own_words(record: dict[str, Any]) -> dict[str, dict[str, str]]:
    """An event's `translations` column: {language: {field: text}}, whatever the
    driver returned (a JSON string on some selects)."""
    value = record.get("translations") or {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def localised(record: dict[str, Any], field: str, code: str | None = None) -> tuple[str, str]:
    """An organiser's own words (an event's title, description, access notes) in the
    current language where they gave them, English otherwise: (text, its language)."""
    code = code or current()
    own = own_words(record).get(code) or {}
    text = own.get(field) if isinstance(own, dict) else None
    if code != DEFAULT and isinstance(text, str) and text.strip():
        return text, code
    return str(record.get(field) or ""), DEFAULT


def localise(event: dict[str, Any]) -> dict[str, Any]:
    """The event with its own words in the current language, and `text_lang`: the
    language each is in (a page marks English text on a Polish page with lang)."""
    if current() == DEFAULT:
        return event
    texts = {field: localised(event, field) for field in OWN_WORDS}
    return {
        **event,
        **{field: text for field, (text, _lang) in texts.items()},
        "text_lang": {field: lang for field, (_text, lang) in texts.items()},
    }


@pass_eval_context
def ltr(eval_ctx: EvalContext, value: Any) -> Any:
    """A reference, postcode, email address or code, kept left to right on a
    right-to-left page: `<bdi dir="ltr">` in HTML, Unicode isolates in plain text."""
    if value is None or value == "" or language().dir != "rtl":
        return value
    if eval_ctx.autoescape:
        return Markup('<bdi dir="ltr">%s</bdi>') % value
    return f"\u2066{value}\u2069"


def lang_of(record: dict[str, Any], field: str) -> Markup:
    """` lang="en"` on an element whose text is not in the page's language."""
    lang = (record.get("text_lang") or {}).get(field, DEFAULT)
    if lang == current() or (lang == DEFAULT and current() == DEFAULT):
        return Markup("")
    code = "en-GB" if lang == DEFAULT else lang
    direction = language(lang).dir
    if direction == language().dir:
        return Markup(f' lang="{code}"')  # noqa: S704 - codes of LANGUAGES
    return Markup(f' lang="{code}" dir="{direction}"')  # noqa: S704 - codes of LANGUAGES  # noqa: S704 - a code of LANGUAGES


def _cookie(scope: Any) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == b"cookie":
            cookies: SimpleCookie = SimpleCookie()
            try:
                cookies.load(value.decode("latin-1"))
            except Exception:  # a malformed Cookie header: no cookie
                return None
            return cookies[COOKIE].value if COOKIE in cookies else None
    return None


def from_scope(scope: Any) -> tuple[str, str]:
    """(language, source) of an ASGI request; English on staff paths."""
    if is_staff_path(scope.get("path", "")):
        return DEFAULT, "staff"
    accept = next(
        (
            v.decode("latin-1")
            for k, v in scope.get("headers", [])
            if k.lower() == b"accept-language"
        ),
        None,
    )
    query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
    return negotiate(query.get("lang"), _cookie(scope), accept)


def set_for(scope: Any) -> str:
    """Make the request's language current (also for an error page, where no route
    and so no middleware ran)."""
    code, source = from_scope(scope)
    _current.set(code)
    _source.set(source)
    return code


class LanguageMiddleware:
    """Sets the request's language and remembers a `?lang=` choice in a cookie."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith("/api/"):  # the API answers in English: nothing to read
            _current.set(DEFAULT)
            _source.set("staff")
            await self.app(scope, receive, send)
            return
        code, source = from_scope(scope)
        _current.set(code)
        _source.set(source)
        if source != "link" or code == _cookie(scope):
            await self.app(scope, receive, send)
            return

        async def remember(message: Any) -> None:
            if message["type"] == "http.response.start":
                secure = "; Secure" if scope.get("scheme") == "https" else ""
                cookie = f"{COOKIE}={code}; Path=/; Max-Age={COOKIE_MAX_AGE}; SameSite=Lax{secure}"
                headers = [*message.get("headers", []), (b"set-cookie", cookie.encode())]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, remember)
