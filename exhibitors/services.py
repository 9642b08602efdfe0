"""Exhibitor rules after the application: decisions, staff invitations, the stand
profile, logos, badges and the public directory.

Applications live in exhibitors.applications, stands in exhibitors.stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from events import services as events_services
from exhibitors import badges, emails, logos
from exhibitors.applications import save_vacancies
from exhibitors.queries import get_exhibitor, staff_of, stand_codes, vacancies_of
from exhibitors.stands import allocate_stand, release_exhibitor, stand_by_code
from exhibitors.tables import Exhibitor, ExhibitorStaff, Stand
from exhibitors.validation import MAX_NAME, check_vacancies
from fairground.accounts import create_user, normalise_email, start_password_reset
from fairground.audit import record_audit
from fairground.db import write_transaction
from fairground.errors import Conflict, Invalid, NotFound
from fairground.seed import job_families
from fairground.settings import get_settings
from fairground.tables import User
from fairground.templating import ngettext
from fairground.text import check_block, check_line

Row = dict[str, Any]
DECISIONS = {"approve": "approved", "waitlist": "waitlisted", "reject": "rejected"}
MAX_PROFILE = 3000
MAX_MESSAGE = 2000


@dataclass(frozen=True, slots=True)
class Decision:
    decision: str  # approve | waitlist | reject
    stand: str = ""  # a stand code, only with approve
    message: str = ""


async def add_exhibitor_staff(exhibitor_id: int, user_id: int) -> None:
    """Make a user staff of an exhibitor (once)."""
    if not await Exhibitor.exists().where(Exhibitor.id == exhibitor_id):
        raise NotFound(
            f"No exhibitor has the id {exhibitor_id}", fields={"exhibitor": "Unknown exhibitor"}
        )
    if not await ExhibitorStaff.exists().where(
        (ExhibitorStaff.exhibitor == exhibitor_id) & (ExhibitorStaff.user == user_id)
    ):
        await ExhibitorStaff.insert(ExhibitorStaff(exhibitor=exhibitor_id, user=user_id))


async def _invite_person(exhibitor: Row, name: str, email: str, strict: bool) -> str | None:
    """Find or make the exhibitor account and add it as staff; returns a link to set a
    password for an account without one. An address that belongs to another kind of
    account is refused when `strict`, else left alone."""
    user = (
        await User.select(User.id, User.role, User.password_hash).where(User.email == email).first()
    )
    if user is not None and user["role"] != "exhibitor":
        if not strict:
            return None
        message = "This email address belongs to a different kind of account: use another"
        raise Conflict(message, code="account_exists", fields={"email": message})
    if user is None:
        user_id = await create_user(
            email=email, name=name, role="exhibitor", organisation_id=exhibitor["organisation"]
        )
    else:
        user_id = user["id"]
    await add_exhibitor_staff(exhibitor["id"], user_id)
    if user is not None and user["password_hash"]:
        return None
    started = await start_password_reset(email)
    return f"{get_settings().base_url}/password-reset/{started[1]}" if started else None


def _check_decision(choice: Decision) -> tuple[str, str]:
    """The new status and the message to send (a block of text, fairground.text)."""
    errors: dict[str, str] = {}
    status = DECISIONS.get(choice.decision)
    if status is None:
        errors["decision"] = "Choose approve, waitlist or reject"
    elif choice.stand and status != "approved":
        errors["stand"] = "Only an approved exhibitor can be given a stand"
    message = check_block(choice.message, "message", "The message", MAX_MESSAGE, errors)
    if errors or status is None:
        raise Invalid(next(iter(errors.values())), fields=errors)
    return status, message


async def _check_room(event_id: int) -> None:
    """Stands full: the organiser adds a stand or puts the exhibitor on the waiting list."""
    stands = await Stand.count().where(Stand.event == event_id)
    approved = await Exhibitor.count().where(
        (Exhibitor.event == event_id) & (Exhibitor.status == "approved")
    )
    if stands and approved >= stands:
        raise Conflict(
            ngettext(
                "The only stand is taken: add a stand, or put this exhibitor on the waiting list",
                "All %(num)d stands are taken: add a stand, or put this exhibitor on the "
                "waiting list",
                stands,
            ),
            code="stands_full",
            fields={"decision": "All stands are taken: add a stand or choose the waiting list"},
        )


async def decide_exhibitor(event_id: int, exhibitor_id: int, choice: Decision, actor: int) -> Row:
    """Approve (optionally onto a stand, inviting the contact to the portal), waitlist
    or reject; the contact is emailed the decision and the organiser's message."""
    status, message = _check_decision(choice)
    exhibitor = await get_exhibitor(exhibitor_id, event_id)
    if exhibitor["status"] == "withdrawn":
        raise Conflict("This exhibitor has withdrawn", code="exhibitor_withdrawn")
    stand = await stand_by_code(event_id, choice.stand) if choice.stand else None
    async with write_transaction():
        if status == "approved" and exhibitor["status"] != "approved":
            await _check_room(event_id)
        await Exhibitor.update(
            {
                Exhibitor.status: status,
                Exhibitor.decision_message: message,
                Exhibitor.decided_at: datetime.now(UTC),
            }
        ).where(Exhibitor.id == exhibitor_id)
        link = None
        if status == "approved":
            if stand is not None:
                await allocate_stand(event_id, exhibitor_id, stand["id"], actor, notify=False)
            name, email = exhibitor["contact_name"], exhibitor["contact_email"]
            link = await _invite_person(exhibitor, name, email, strict=False)
        else:
            await release_exhibitor(exhibitor_id)
        await record_audit(actor, f"exhibitor_{status}", ("exhibitor", exhibitor_id))
        await emails.send_decision_email(exhibitor_id, link)
    return await get_exhibitor(exhibitor_id)


async def invite_colleague(exhibitor_id: int, name: str, email: str, actor: int) -> None:
    """Add stand staff, up to the number agreed in the application."""
    errors: dict[str, str] = {}
    name = check_line(name, "name", "Their name", MAX_NAME, errors)
    if not name and "name" not in errors:
        errors["name"] = f"Enter their full name, {MAX_NAME} characters or fewer"
    try:
        email = normalise_email(email)
    except Invalid as exc:
        errors.update(exc.fields)
    if errors:
        raise Invalid("Some answers need correcting", fields=errors)
    exhibitor = await get_exhibitor(exhibitor_id)
    async with write_transaction():
        staff = await staff_of(exhibitor_id)
        if email in {s["email"] for s in staff}:
            message = "This person is already on your stand staff"
            raise Conflict(message, code="already_staff", fields={"email": message})
        if len(staff) >= exhibitor["staff_limit"]:
            message = f"Your stand has its agreed {exhibitor['staff_limit']} staff already"
            raise Conflict(message, code="staff_limit", fields={"email": message})
        link = await _invite_person(exhibitor, name, email, strict=True)
        await record_audit(actor, "exhibitor_staff_invited", ("exhibitor", exhibitor_id))
        person = {"name": name, "email": email}
        inviter = await User.select(User.name).where(User.id == actor).first()
        await emails.send_staff_invite_email(
            exhibitor_id, person, link, inviter["name"] if inviter else ""
        )


async def update_profile(exhibitor_id: int, raw: Row, actor: int) -> None:
    """The stand's description and its vacancies, replaced together."""
    errors: dict[str, str] = {}
    profile = check_block(raw.get("profile"), "profile", "The description", MAX_PROFILE, errors)
    families = {f["code"] for f in await job_families()}
    vacancies = check_vacancies(raw.get("vacancies") or [], families, errors)
    if errors:
        raise Invalid("Some answers need correcting", fields=errors)
    async with write_transaction():
        await Exhibitor.update({Exhibitor.profile: profile}).where(Exhibitor.id == exhibitor_id)
        await save_vacancies(exhibitor_id, tuple(vacancies))
        await record_audit(actor, "exhibitor_profile_updated", ("exhibitor", exhibitor_id))


async def set_logo(exhibitor_id: int, data: bytes, actor: int) -> str:
    """Check and re-encode the image, store it under a random name, forget the old one."""
    png = logos.check_logo(data)
    name = logos.store_logo(png)
    old = await Exhibitor.select(Exhibitor.logo).where(Exhibitor.id == exhibitor_id).first()
    async with write_transaction():
        await Exhibitor.update({Exhibitor.logo: name}).where(Exhibitor.id == exhibitor_id)
        await record_audit(actor, "exhibitor_logo_updated", ("exhibitor", exhibitor_id))
    if old and old["logo"]:
        logos.remove_logo(old["logo"])
    return name


async def badges_pdf(exhibitor_id: int) -> bytes:
    """A page of name badges: one per stand staff member."""
    exhibitor = await get_exhibitor(exhibitor_id)
    people = [s["name"] for s in await staff_of(exhibitor_id)]
    stand = exhibitor["stand"]["code"] if exhibitor["stand"] else ""
    return badges.render_badges(
        badges.BadgeSheet(
            event=exhibitor["event_title"],
            organisation=exhibitor["organisation_name"],
            stand=stand,
            people=tuple(people),
        )
    )


async def directory(event_id: int, job_family: str | None = None) -> list[Row]:
    """Approved exhibitors with their stand and vacancies, by name; with a job family,
    only those hiring in it."""
    rows = (
        await Exhibitor.select(
            Exhibitor.id,
            Exhibitor.organisation.name.as_alias("name"),
            Exhibitor.profile,
            Exhibitor.logo,
            Exhibitor.decided_at,
        )
        .where((Exhibitor.event == event_id) & (Exhibitor.status == "approved"))
        .order_by(Exhibitor.organisation.name)
    )
    ids = [r["id"] for r in rows]
    vacancies, stands = await vacancies_of(ids), await stand_codes(ids)
    found = [
        {
            **r,
            "stand": stands[r["id"]]["code"] if r["id"] in stands else None,
            "logo_url": f"/logos/{r['logo']}" if r["logo"] else None,
            "vacancies": vacancies[r["id"]],
        }
        for r in rows
    ]
    if job_family:
        found = [e for e in found if any(v["job_family"] == job_family for v in e["vacancies"])]
    return found


async def directory_context(event_id: int, job_family: str | None = None) -> Row:
    """Everything templates/exhibitors/_directory.html needs, for the event page."""
    everyone = await directory(event_id)
    hiring = {v["job_family"] for e in everyone for v in e["vacancies"]}
    families = [f for f in await job_families() if f["code"] in hiring]
    chosen = job_family if job_family in hiring else None
    exhibitors = [
        e
        for e in everyone
        if chosen is None or any(v["job_family"] == chosen for v in e["vacancies"])
    ]
    return {"exhibitors": exhibitors, "job_families": families, "job_family": chosen}


async def decide_exhibitor_by_id(exhibitor_id: int, choice: Decision, actor: int) -> Row:
    """decide_exhibitor for the API, where the path names only the exhibitor."""
    exhibitor = await get_exhibitor(exhibitor_id)
    return await decide_exhibitor(exhibitor["event"], exhibitor_id, choice, actor)


if directory_context not in events_services.PAGE_EXTRAS:
    events_services.PAGE_EXTRAS.append(directory_context)
