"""Validation of a registration: every field checked at once, each error naming its field."""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass
from typing import Any

from events import services as events
from fairground import i18n
from fairground.accounts import normalise_email
from fairground.errors import Invalid
from fairground.i18n import N_, Msg
from fairground.seed import councils, job_families
from fairground.text import check_block, check_line, has_forbidden

Row = dict[str, Any]

HOME_COUNCIL_EXTRAS = ("outside", "unsure")
MAX_NAME = 200
MAX_ACCESS_NEEDS = 2000
PHONE_RE = re.compile(r"^\+?[0-9 ()\-]{7,20}\Z")
REFERENCE_TTL = 300.0
# What attendees may change themselves, by the API's names.
CHANGEABLE = ("phone", "postcode", "interests", "consent", "slot_id", "access_needs", "language")

MESSAGES = {
    "name": N_("Enter your full name"),
    "email": N_("Enter your email address"),
    "email_format": N_("Enter an email address in the correct format, like name@example.com"),
    "phone": N_("Enter a telephone number, like 01632 960 001 or +44 7700 900 982"),
    "postcode": N_("Enter a real postcode, like CV21 2AA"),
    "home_council": N_("Select your home council from the list"),
    "interests": N_("Select job families from the list"),
    "access_needs": Msg(
        N_("Access needs must be %(limit)s characters or fewer"), limit=MAX_ACCESS_NEEDS
    ),
    "slot_id": N_("Select an entry time"),
    "slot_other": N_("Select an entry time from the list"),
    "slot_none": N_("This event has no entry times: leave the entry time empty"),
    "consent.councils": N_("Select councils from the list"),
    "consent.job_alerts": N_("Select yes or no for job alerts"),
    "equality": N_("Equality answers must be short pieces of text"),
    "language": N_("Choose a language from the list"),
}
# At the door the form is filled in by staff about someone else (a walk-up).
STAFF_MESSAGES = {
    **MESSAGES,
    "name": "Enter the attendee's full name",
    "email_format": "Enter the attendee's email address in the correct format, "
    "like name@example.com, or leave it empty",
    "slot_other": "Select an entry time from the list, or no particular slot",
}


@dataclass(frozen=True)
class RegistrationInput:
    name: str
    email: str | None  # None only for a walk-up registered at the door without one
    phone: str = ""
    postcode: str = ""
    home_council: str = ""  # council code, "outside", "unsure" or ""
    interests: tuple[str, ...] = ()
    access_needs: str = ""
    slot_id: int | None = None
    consent_councils: tuple[str, ...] = ()
    consent_job_alerts: bool = False
    language: str = i18n.DEFAULT  # for its emails and invite (fairground.i18n)
    # Employability partners (registrations.partners): who referred them, whether they
    # agreed that partner may see their attendance and outcomes, and partner staff
    # who registered them on their behalf. Set by the callers, never read from `raw`.
    referred_by: int | None = None
    partner_consent: bool = False
    assisted_by: int | None = None


_reference_cache: dict[str, tuple[float, frozenset[str]]] = {}


async def _codes(kind: str) -> frozenset[str]:
    """Council and job-family codes; reference data, so cached for a few minutes."""
    cached = _reference_cache.get(kind)
    if cached and time.monotonic() - cached[0] < REFERENCE_TTL:
        return cached[1]
    rows = await (councils() if kind == "councils" else job_families())
    codes = frozenset(str(r["code"]) for r in rows if r.get("code"))
    _reference_cache[kind] = (time.monotonic(), codes)
    return codes


def _text(raw: dict[str, Any], field: str, errors: dict[str, str]) -> str:
    value = raw.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[field] = MESSAGES.get(field, N_("Enter text"))
        return ""
    return unicodedata.normalize("NFC", value).strip()


def _check_name(raw: dict[str, Any], errors: dict[str, str], messages: dict[str, str]) -> str:
    """Any script, emoji included; up to 200 characters; a line of text as
    fairground.text defines it (no control or text-direction characters)."""
    name = _text(raw, "name", errors)
    if "name" in errors:
        return ""
    name = check_line(name, "name", N_("Full name"), MAX_NAME, errors)
    if not name and "name" not in errors:
        errors["name"] = messages["name"]
    return name


def _check_email(
    raw: dict[str, Any], errors: dict[str, str], messages: dict[str, str], optional: bool
) -> str | None:
    """Required, except for a walk-up at the door: an empty one is then None (NULL,
    which the unique (event, email) index lets repeat)."""
    email = _text(raw, "email", errors)
    if "email" in errors:
        return ""
    if not email:
        if optional:
            return None
        errors["email"] = messages["email"]
        return ""
    try:
        normalised = normalise_email(email)
    except Invalid:
        errors["email"] = messages["email_format"]
        return ""
    if len(normalised) > 254:
        errors["email"] = messages["email_format"]
    return normalised


def _check_contact(raw: dict[str, Any], errors: dict[str, str]) -> tuple[str, str]:
    phone = _text(raw, "phone", errors)
    if phone and not (PHONE_RE.match(phone) and 7 <= sum(c.isdigit() for c in phone) <= 15):
        errors["phone"] = MESSAGES["phone"]
    postcode = _text(raw, "postcode", errors)
    try:
        postcode = events.normalise_postcode(postcode, "postcode")
    except Invalid:
        errors["postcode"] = MESSAGES["postcode"]
    return phone, postcode


def _code_list(
    value: Any, field: str, known: frozenset[str], errors: dict[str, str]
) -> tuple[str, ...]:
    """A list of known codes (a single string counts as a list of one), order kept."""
    if value is None or value == "":
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        errors[field] = MESSAGES[field]
        return ()
    if any(i not in known for i in items):
        errors[field] = MESSAGES[field]
        return ()
    return tuple(dict.fromkeys(items))


def _check_alerts(alerts: Any, errors: dict[str, str]) -> bool:
    if isinstance(alerts, str) and alerts.lower() in ("", "yes", "no", "true", "false", "on"):
        alerts = alerts.lower() in ("yes", "true", "on")
    if not isinstance(alerts, bool):
        errors["consent.job_alerts"] = MESSAGES["consent.job_alerts"]
        return False
    return alerts


async def _check_choices(raw: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    council_codes = await _codes("councils")
    home = _text(raw, "home_council", errors)
    if home and home not in council_codes and home not in HOME_COUNCIL_EXTRAS:
        errors["home_council"] = MESSAGES["home_council"]
    nested = raw.get("consent")
    consent: dict[str, Any] = nested if isinstance(nested, dict) else {}
    councils_raw = raw.get("consent.councils", consent.get("councils"))
    alerts = _check_alerts(raw.get("consent.job_alerts", consent.get("job_alerts", False)), errors)
    return {
        "home_council": home,
        "interests": _code_list(
            raw.get("interests"), "interests", await _codes("job_families"), errors
        ),
        "consent_councils": _code_list(councils_raw, "consent.councils", council_codes, errors),
        "consent_job_alerts": alerts,
    }


async def _check_slot(
    event: Row, raw: dict[str, Any], errors: dict[str, str], walk_up: bool
) -> int | None:
    """Required when the event has entry slots (they spread arrivals through the day),
    except for a walk-up, who has already arrived; it must be one of this event's."""
    value = raw.get("slot_id")
    slot_ids = {s["id"] for s in await events.get_slots(event["id"])}
    messages = STAFF_MESSAGES if walk_up else MESSAGES
    if value in (None, ""):
        if slot_ids and not walk_up:
            errors["slot_id"] = MESSAGES["slot_id"]
        return None
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,9}", value.strip()):
        value = int(value)
    if not slot_ids:
        errors["slot_id"] = MESSAGES["slot_none"]
    elif isinstance(value, bool) or not isinstance(value, int) or value not in slot_ids:
        errors["slot_id"] = messages["slot_other"]
    return value if isinstance(value, int) and "slot_id" not in errors else None


async def validate_registration(
    event: Row, raw: dict[str, Any], walk_up: bool = False, email_optional: bool = False
) -> RegistrationInput:
    """Check every field and raise Invalid naming every bad field at once.

    `raw` uses the API's field names; `consent` may be nested ({"councils",
    "job_alerts"}) or flat ("consent.councils", "consent.job_alerts"), as a
    form posts it. Strings are trimmed and NFC-normalised; email lower-cased.
    A `walk_up` (registered by door staff) may have no email and no slot, and
    its messages speak to the staff member. `email_optional`: partner staff registering
    a client who has no email address (the ticket is then a printable PDF).
    """
    errors: dict[str, str] = {}
    messages = STAFF_MESSAGES if walk_up else MESSAGES
    name = _check_name(raw, errors, messages)
    email = _check_email(raw, errors, messages, optional=walk_up or email_optional)
    phone, postcode = _check_contact(raw, errors)
    choices = await _check_choices(raw, errors)
    access_needs = check_block(
        _text(raw, "access_needs", errors),
        "access_needs",
        N_("Access needs"),
        MAX_ACCESS_NEEDS,
        errors,
    )
    slot_id = await _check_slot(event, raw, errors, walk_up)
    language = _check_language(raw, errors)
    if errors:
        raise Invalid(N_("Some fields are not valid"), fields=errors)
    return RegistrationInput(
        language=language,
        name=name,
        email=email,
        phone=phone,
        postcode=postcode,
        access_needs=access_needs,
        slot_id=slot_id,
        **choices,
    )


def _check_language(raw: dict[str, Any], errors: dict[str, str]) -> str:
    """A code of fairground.i18n.LANGUAGES ("pl"); by default the language the
    request is in (a page's; the API's is English)."""
    value = raw.get("language")
    if value is None or value == "":
        return i18n.current() if i18n.current() in i18n.LANGUAGES else i18n.DEFAULT
    if isinstance(value, str) and value in i18n.LANGUAGES:
        return value
    errors["language"] = MESSAGES["language"]
    return i18n.DEFAULT


async def _changed_consent(raw: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """`consent` as a PATCH sends it: either part may be left out."""
    consent = raw["consent"]
    if not isinstance(consent, dict) or not set(consent) <= {"councils", "job_alerts"}:
        errors["consent"] = "Consent must have councils, job_alerts or both"
        return {}
    values: dict[str, Any] = {}
    if "councils" in consent:
        known = await _codes("councils")
        codes = _code_list(consent["councils"], "consent.councils", known, errors)
        values["consent_councils"] = list(codes)
    if "job_alerts" in consent:
        values["consent_job_alerts"] = _check_alerts(consent["job_alerts"], errors)
    return values


async def validate_changes(event: Row, raw: dict[str, Any]) -> dict[str, Any]:
    """What an attendee asked to change (CHANGEABLE keys only, each checked as at
    registration), as column name → new value; a key left out is not changed.
    Raises Invalid naming every bad field at once."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    phone, postcode = _check_contact(raw, errors)
    values.update({k: v for k, v in (("phone", phone), ("postcode", postcode)) if k in raw})
    if "interests" in raw:
        known = await _codes("job_families")
        values["interests"] = list(_code_list(raw["interests"], "interests", known, errors))
    if "consent" in raw:
        values.update(await _changed_consent(raw, errors))
    if "access_needs" in raw:
        text = _text(raw, "access_needs", errors)
        label = N_("Access needs")
        values["access_needs"] = check_block(text, "access_needs", label, MAX_ACCESS_NEEDS, errors)
    if "slot_id" in raw:
        values["slot"] = await _check_slot(event, raw, errors, walk_up=False)
    if "language" in raw:
        values["language"] = _check_language(raw, errors)
    if errors:
        raise Invalid(N_("Some fields are not valid"), fields=errors)
    return values


def _check_equality(equality: dict[str, str] | None) -> dict[str, str]:
    """Optional answers: at most 20 answers, each a line of text of up to 200
    characters (fairground.text) to a question named in up to 40; anything else is
    refused."""
    if not equality:
        return {}
    errors: dict[str, str] = {}
    answers = {
        k: check_line(v, "equality", N_("An equality answer"), 200, errors)
        for k, v in equality.items()
        if isinstance(k, str) and isinstance(v, str) and len(k) <= 40 and not has_forbidden(k)
    }
    if errors or len(answers) != len(equality) or len(answers) > 20:
        raise Invalid(MESSAGES["equality"], fields={"equality": MESSAGES["equality"]})
    return {k: v for k, v in answers.items() if v}
