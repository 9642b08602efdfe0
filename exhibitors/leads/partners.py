"""What came of the people a partner referred to a fair: the partner's view.

Per fair: referrals registered, waitlisted and attended, and the furthest outcome
councils and exhibitors reported (contacted, interviewed, offered, hired: each
counts everyone who got that far). Clients who consented are listed by name;
the others are only counted, and any count under 5 is suppressed (None, "fewer
than 5"; reports.SUPPRESS_BELOW), so no one can be picked out.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from litestar import Controller, Response, get
from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, FromQuery

from events.tables import Event
from exhibitors.leads.delivery import OUTCOMES
from exhibitors.leads.reports import SUPPRESS_BELOW
from exhibitors.leads.tables import LeadDelivery
from fairground.accounts import current_principal
from fairground.errors import NotFound
from fairground.tables import Organisation
from registrations.partners import is_invited
from registrations.tables import Registration

Row = dict[str, Any]
STAGES = ("registered", "waitlisted", "attended", *OUTCOMES)


def suppressed(n: int) -> int | None:
    return n if n >= SUPPRESS_BELOW else None


async def partner_staff_guard(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Staff of the partner named by the `code` path parameter (and the superuser)."""
    principal = current_principal(connection)
    code = str(connection.path_params["code"]).lower()
    row = (
        await Organisation.select(Organisation.id)
        .where((Organisation.short_code == code) & (Organisation.kind == "partner"))
        .first()
    )
    if principal.is_superuser:
        if row is None:
            raise NotFound("No partner has this code", code="partner_not_found")
        return
    if principal.role != "partner" or row is None or principal.organisation_id != row["id"]:
        raise PermissionDeniedException("You can only see your own organisation's referrals")


async def _furthest_outcomes(registration_ids: list[int]) -> dict[int, str]:
    if not registration_ids:
        return {}
    rows = await LeadDelivery.select(
        LeadDelivery.lead.registration.as_alias("registration"), LeadDelivery.outcome
    ).where(
        LeadDelivery.lead.registration.is_in(registration_ids)
        & (LeadDelivery.outcome != "")
        & (LeadDelivery.status == "active")
    )
    best: dict[int, str] = {}
    for row in rows:
        rid, outcome = int(row["registration"]), row["outcome"]
        if outcome in OUTCOMES and OUTCOMES.index(outcome) >= OUTCOMES.index(
            best.get(rid, OUTCOMES[0])
        ):
            best[rid] = outcome
    return best


def _stages(row: Row, outcome: str | None) -> set[str]:
    reached = set()
    if row["status"] in ("confirmed", "waitlisted"):
        reached.add("registered")
    if row["status"] == "waitlisted":
        reached.add("waitlisted")
    if row["checked_in_at"] is not None:
        reached.add("attended")
    if outcome:
        reached.update(OUTCOMES[: OUTCOMES.index(outcome) + 1])
    return reached


async def partner_referrals(code: str, slug: str) -> Row:
    """{partner, event, named: [...], others: {stage: count or None}, suppress_below}."""
    partner = (
        await Organisation.select(Organisation.id, Organisation.name, Organisation.short_code)
        .where((Organisation.short_code == code.lower()) & (Organisation.kind == "partner"))
        .first()
    )
    event = await Event.select(Event.id, Event.slug, Event.title).where(Event.slug == slug).first()
    if partner is None or event is None or not await is_invited(event["id"], partner["id"]):
        raise NotFound("This partner is not invited to this event", code="event_not_found")
    rows = await Registration.select(
        Registration.id,
        Registration.reference,
        Registration.name,
        Registration.status,
        Registration.checked_in_at,
        Registration.partner_consent,
    ).where((Registration.event == event["id"]) & (Registration.referred_by == partner["id"]))
    outcomes = await _furthest_outcomes([int(r["id"]) for r in rows])
    named, counts = [], dict.fromkeys(STAGES, 0)
    for row in rows:
        outcome = outcomes.get(int(row["id"]))
        if row["partner_consent"]:
            named.append(
                {
                    "reference": row["reference"],
                    "name": row["name"],
                    "status": row["status"],
                    "attended": row["checked_in_at"] is not None,
                    "outcome": outcome,
                }
            )
            continue
        for stage in _stages(row, outcome):
            counts[stage] += 1
    return {
        "partner": {"name": partner["name"], "short_code": partner["short_code"]},
        "event": {"slug": event["slug"], "title": event["title"]},
        "named": sorted(named, key=lambda r: (r["name"].casefold(), r["reference"])),
        "others": {stage: suppressed(n) for stage, n in counts.items()},
        "suppress_below": SUPPRESS_BELOW,
    }


def referrals_csv(report: Row) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["reference", "name", "status", "attended", "outcome"])
    for r in report["named"]:
        name = r["name"]
        if name[:1] in "=+-@\t\r":  # a spreadsheet must not read a name as a formula
            name = "'" + name
        writer.writerow(
            [
                r["reference"],
                name,
                r["status"],
                "yes" if r["attended"] else "no",
                r["outcome"] or "",
            ]
        )
    writer.writerow([])
    writer.writerow(["clients who did not consent to be named", "count"])
    for stage, n in report["others"].items():
        writer.writerow([stage, n if n is not None else f"fewer than {SUPPRESS_BELOW}"])
    return out.getvalue()


# ---------------------------------------------------------------- funder summary

FUNDER_COLUMNS = ("registered", "attended", "first_time", "returning", *OUTCOMES)


def _person_keys(row: Row) -> set[tuple[str, str]]:
    """Who someone is across fairs: their email, or their name with a postcode."""
    keys = set()
    if row["email"]:
        keys.add(("email", str(row["email"]).lower()))
    if row["postcode"]:
        keys.add(("person", f"{str(row['name']).casefold().strip()}|{row['postcode']}"))
    return keys


async def _earlier_people(event: Row) -> set[tuple[str, str]]:
    """Everyone registered (not cancelled) at a fair that started before this one."""
    rows = await Registration.select(
        Registration.email, Registration.name, Registration.postcode
    ).where(
        (Registration.event.starts_at < event["starts_at"])
        & (Registration.status != "cancelled")
        & (Registration.event != event["id"])
    )
    return {key for row in rows for key in _person_keys(row)}


async def funder_summary(event: Row) -> Row:
    """Registrations, attendance, first-time vs returning and outcomes, by referring
    partner and by home council; every count under 5 suppressed (None)."""
    from fairground.seed import councils

    rows = await Registration.select(
        Registration.id,
        Registration.email,
        Registration.name,
        Registration.postcode,
        Registration.home_council,
        Registration.checked_in_at,
        Registration.referred_by.name.as_alias("partner"),
    ).where((Registration.event == event["id"]) & (Registration.status != "cancelled"))
    earlier = await _earlier_people(event)
    outcomes = await _furthest_outcomes([int(r["id"]) for r in rows])
    council_names = {c["code"]: c["name"] for c in await councils()}
    council_names.update({"outside": "Outside the area", "unsure": "Not sure", "": "Not given"})

    def tally(group_of: Any) -> list[Row]:
        groups: dict[str, dict[str, int]] = {}
        for row in rows:
            counts = groups.setdefault(group_of(row), dict.fromkeys(FUNDER_COLUMNS, 0))
            counts["registered"] += 1
            if row["checked_in_at"] is not None:
                counts["attended"] += 1
            counts["returning" if _person_keys(row) & earlier else "first_time"] += 1
            outcome = outcomes.get(int(row["id"]))
            if outcome:
                for reached in OUTCOMES[: OUTCOMES.index(outcome) + 1]:
                    counts[reached] += 1
        return [
            {"group": name, **{k: suppressed(n) for k, n in counts.items()}}
            for name, counts in sorted(groups.items())
        ]

    return {
        "by_partner": tally(lambda r: r["partner"] or "No partner"),
        "by_council": tally(lambda r: council_names.get(r["home_council"], r["home_council"])),
        "columns": FUNDER_COLUMNS,
        "suppress_below": SUPPRESS_BELOW,
    }


def funder_csv(summary: Row) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for title, key in (("referring partner", "by_partner"), ("home council", "by_council")):
        writer.writerow([title, *summary["columns"]])
        for row in summary[key]:
            cells = [
                row[c] if row[c] is not None else f"fewer than {SUPPRESS_BELOW}"
                for c in summary["columns"]
            ]
            writer.writerow([row["group"], *cells])
        writer.writerow([])
    return out.getvalue()


class PartnerApiController(Controller):
    path = "/api/v1/partners/{code:str}"
    tags = ["partners"]
    guards = [partner_staff_guard]

    @get("/referrals", summary="The people a partner referred to a fair, and what came of it")
    async def referrals(
        self, code: FromPath[str], event: FromQuery[str], format: FromQuery[str] = "json"
    ) -> Response[Any]:
        report = await partner_referrals(code, event[:80])
        headers = {"Cache-Control": "private, no-store"}
        if format == "csv":
            return Response(
                referrals_csv(report),
                media_type="text/csv",
                headers={**headers, "Content-Disposition": 'attachment; filename="referrals.csv"'},
            )
        return Response(report, headers=headers)


ROUTES: list[Any] = [PartnerApiController]
