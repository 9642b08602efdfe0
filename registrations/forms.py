"""The attendee registration form, step by step: what each step asks, how its
answers are kept in the session, and how they become the service's input.

The answers live in the server-side session under `register:<slug>` as the
form's own field names (strings and lists), so that a step can be shown again
exactly as the person left it; `to_raw()` turns them into the API-shaped dict
that `validate_registration()` checks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any
from urllib.parse import urlencode

from litestar.datastructures import FormMultiDict

from fairground.errors import Invalid
from fairground.i18n import N_

STEPS = ("details", "interests", "access", "equality", "check")
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "details": ("name", "email", "phone", "postcode", "home_council", "slot_id"),
    "interests": ("interests", "consent_councils", "job_alerts"),
    "access": ("access", "access_other"),
}
LIST_FIELDS = {"interests", "consent_councils", "access"}
# The service names consent fields as in the JSON API; the form flattens them.
SERVICE_TO_FORM = {
    "consent.councils": "consent_councils",
    "consent.job_alerts": "job_alerts",
    "access_needs": "access_other",
}
MAX_TEXT = 2000

# Access needs the organiser most often has to arrange ahead; the values are
# the words the organiser reads in the queue, so they stay in English.
ACCESS_CHOICES = ("bsl", "step_free", "hearing_loop", "quiet", "other")
ACCESS_WORDS = {
    "bsl": N_("British Sign Language (BSL) interpreter"),
    "step_free": N_("Step-free access"),
    "hearing_loop": N_("Hearing loop"),
    "quiet": N_("A quiet space"),
    "other": "Other",
}

# Equality monitoring: ONS 2021 census categories (top-level ethnic groups),
# "prefer not to say" on every question. Values are stored, labels are shown.
EQUALITY_QUESTIONS: dict[str, tuple[str, ...]] = {
    "age": ("16-24", "25-34", "35-44", "45-54", "55-64", "65-plus"),
    "sex": ("female", "male"),
    "gender_same": ("yes", "no"),
    "sexual_orientation": ("straight", "gay-lesbian", "bisexual", "other"),
    "ethnic_group": ("asian", "black", "mixed", "white", "other"),
    "disability": ("limited-a-lot", "limited-a-little", "no"),
    "religion": (
        "none",
        "christian",
        "buddhist",
        "hindu",
        "jewish",
        "muslim",
        "sikh",
        "other",
    ),
}
PREFER_NOT = "prefer-not-to-say"


def session_key(slug: str) -> str:
    return f"register:{slug}"


def read_step(form: FormMultiDict, step: str) -> dict[str, Any]:
    """The step's fields from the posted form, trimmed; lists stay lists. Not cut to
    any length: the service refuses what is too long, naming the field."""
    answers: dict[str, Any] = {}
    for name in STEP_FIELDS[step]:
        if name in LIST_FIELDS:
            answers[name] = [str(v) for v in form.getall(name, []) if str(v).strip()]
        else:
            answers[name] = str(form.get(name, "")).strip()
    return answers


def read_equality(form: FormMultiDict) -> tuple[dict[str, str], dict[str, str]]:
    """The answers given, and an error for each answer that is not one of the
    question's choices; an unanswered question is simply absent."""
    answers: dict[str, str] = {}
    errors: dict[str, str] = {}
    for question, values in EQUALITY_QUESTIONS.items():
        value = str(form.get(question, ""))
        if value in values or value == PREFER_NOT:
            answers[question] = value
        elif value:
            errors[question] = N_("Select one of the answers, or skip this question")
    return answers, errors


def access_needs_text(answers: Mapping[str, Any]) -> str:
    """The ticked needs and the free text as one line for the organiser's queue."""
    chosen = [ACCESS_WORDS[c] for c in answers.get("access", []) if c in ACCESS_WORDS]
    chosen = [word for word in chosen if word != "Other"]
    other = str(answers.get("access_other", "")).strip()
    return "; ".join([*chosen, other] if other else chosen)


def to_raw(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The API-shaped body that validate_registration() checks."""
    slot = str(answers.get("slot_id", "") or "")
    alerts = answers.get("job_alerts", "")
    return {
        "name": answers.get("name", ""),
        "email": answers.get("email", ""),
        "phone": answers.get("phone", ""),
        "postcode": answers.get("postcode", ""),
        "home_council": answers.get("home_council", ""),
        "interests": list(answers.get("interests", [])),
        "access_needs": access_needs_text(answers),
        "slot_id": int(slot) if re.fullmatch(r"[0-9]{1,9}", slot) else (slot or None),
        "consent": {
            "councils": list(answers.get("consent_councils", [])),
            "job_alerts": alerts == "yes",
        },
    }


def form_errors(exc: Invalid) -> dict[str, str]:
    """The service's field errors under the form's field names."""
    return {SERVICE_TO_FORM.get(k, k): v for k, v in exc.fields.items()}


def step_errors(step: str, errors: Mapping[str, str]) -> dict[str, str]:
    """Only the errors a step can fix, in the order its fields appear."""
    return {name: errors[name] for name in STEP_FIELDS.get(step, ()) if name in errors}


def own_errors(step: str, answers: Mapping[str, Any], has_slots: bool) -> dict[str, str]:
    """Rules of the form itself (the service has defaults for these)."""
    errors: dict[str, str] = {}
    if step == "details" and has_slots and not answers.get("slot_id"):
        errors["slot_id"] = N_("Select the time you want to arrive")
    if step == "interests" and answers.get("job_alerts") not in ("yes", "no"):
        errors["job_alerts"] = N_("Select yes if you want emails about new jobs")
    if step == "details" and not answers.get("home_council"):
        errors["home_council"] = N_("Select the council area you live in, or ‘Not sure’")
    if step == "access" and any(c not in ACCESS_CHOICES for c in answers.get("access", [])):
        errors["access"] = N_("Select what you need from the list")
    other_ticked = "other" in answers.get("access", [])
    if step == "access" and other_ticked and not str(answers.get("access_other", "")).strip():
        errors["access_other"] = N_("Tell us what you need to take part")
    return errors


def first_step_with_errors(errors: Mapping[str, str]) -> str | None:
    for step in ("details", "interests", "access"):
        if step_errors(step, errors):
            return step
    return None


def map_url(event: Mapping[str, Any]) -> str:
    """OpenStreetMap search for the venue: no API key, no tracking of the attendee."""
    query = ", ".join(
        str(part) for part in (event.get("venue_name"), event.get("venue_postcode")) if part
    )
    return f"https://www.openstreetmap.org/search?{urlencode({'query': query})}"


# Fixed choices the templates label (labels are translated in the templates).
PAGE_CONSTANTS: dict[str, Any] = {
    "access_choices": ACCESS_CHOICES,
    "equality_questions": EQUALITY_QUESTIONS,
    "prefer_not": PREFER_NOT,
}


def read_mime(payload: bytes) -> dict[str, Any]:
    """What the outbox page shows of a stored message: headers, the plain-text
    part, and every named part (the inline QR and the .ics) as an attachment."""
    message = BytesParser(policy=policy.default).parsebytes(payload)
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if isinstance(body, EmailMessage) else ""
    attachments = [
        {
            "filename": part.get_filename(),
            "content_type": part.get_content_type(),
            "size": len(part.get_payload(decode=True) or b""),
        }
        for part in message.walk()
        if part.get_filename()
    ]
    headers = {name: str(message.get(name, "")) for name in ("From", "To", "Date", "Subject")}
    return {"text": text, "attachments": attachments, "headers": headers}
