"""Routing: which councils get a lead, by which rule, on which consent.

The rules of an event (all on unless an organiser turned one off):

- `home_council`: the attendee's home council;
- `county`: for a district, its county;
- `job_family`: councils subscribed, for this event, to a job family the attendee chose;
- `exhibitor`: the exhibitor's own organisation, when it is a council.

A council matched by a rule gets the lead only on a consent that covers it: the
attendee named the council (`consent_councils`, basis "consent_councils"), or agreed
at that council's own stand (basis "stand_consent"). A stand lead without stand
consent goes nowhere. Each delivery records the first rule that matched and the
basis. Routing again withdraws deliveries no consent covers any more; withdrawn
consent takes effect at once, inside the transaction that changed it (withdrawal.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from exhibitors.leads.services import check_interests
from exhibitors.leads.tables import (
    CouncilJobFamily,
    CouncilWebhook,
    Lead,
    LeadDelivery,
    RoutingRule,
    WebhookSend,
)
from exhibitors.leads.withdrawal import restore_delivery, withdraw_deliveries
from fairground.accounts import organisation_id_for_council
from fairground.db import write_transaction
from fairground.errors import Invalid, NotFound
from fairground.tables import Organisation
from registrations.services import CONSENT_HOOKS, ConsentHook
from registrations.tables import Registration

Row = dict[str, Any]
RULES = ("home_council", "county", "job_family", "exhibitor")
BATCH = 200


@dataclass(frozen=True, slots=True)
class Route:
    council_id: int
    council_code: str
    council_name: str
    rule: str
    consent_basis: str


async def enabled_rules(event_id: int) -> set[str]:
    rows = await RoutingRule.select(RoutingRule.rule, RoutingRule.enabled).where(
        RoutingRule.event == event_id
    )
    off = {r["rule"] for r in rows if not r["enabled"]}
    return {rule for rule in RULES if rule not in off}


async def set_rules(event_id: int, enabled: set[str]) -> None:
    """Store every rule's switch; leads of the event are routed again. A rule that does
    not exist is refused, naming the field."""
    if not enabled <= set(RULES):
        message = "Choose rules from the list"
        raise Invalid(message, fields={"rules": message})
    async with write_transaction():
        await RoutingRule.delete().where(RoutingRule.event == event_id)
        await RoutingRule.insert(
            *[RoutingRule(event=event_id, rule=r, enabled=r in enabled) for r in RULES]
        )
        await Lead.update({Lead.route_due: True}).where(Lead.event == event_id)


async def _councils() -> dict[int, Row]:
    rows = await Organisation.select(
        Organisation.id, Organisation.code, Organisation.name, Organisation.parent
    ).where(Organisation.code.is_not_null())
    return {r["id"]: r for r in rows}


async def _candidates(
    lead: Row, registration: Row, councils: dict[int, Row]
) -> list[tuple[int, str]]:
    """(council id, rule) for every enabled rule that matches, in rule order."""
    rules = await enabled_rules(lead["event"])
    by_code = {c["code"]: cid for cid, c in councils.items()}
    found: list[tuple[int, str]] = []
    home = by_code.get(registration["home_council"] or "")
    if home is not None and "home_council" in rules:
        found.append((home, "home_council"))
    if home is not None and "county" in rules and councils[home]["parent"] in councils:
        found.append((councils[home]["parent"], "county"))
    families = list(dict.fromkeys([*(lead["interests"] or []), *(registration["interests"] or [])]))
    if families and "job_family" in rules:
        subscribed = await CouncilJobFamily.select(
            CouncilJobFamily.council, CouncilJobFamily.job_family
        ).where(
            (CouncilJobFamily.event == lead["event"]) & CouncilJobFamily.job_family.is_in(families)
        )
        for family in families:
            found += [
                (s["council"], f"job_family:{family}")
                for s in subscribed
                if s["job_family"] == family
            ]
    own = lead.get("exhibitor_organisation")
    if own in councils and "exhibitor" in rules:
        found.append((own, "exhibitor"))
    return found


def _basis(lead: Row, registration: Row, council: Row) -> str | None:
    if council["code"] in (registration["consent_councils"] or []):
        return "consent_councils"
    if lead["consent_given"] and lead.get("exhibitor_organisation") == council["id"]:
        return "stand_consent"
    return None


async def routes_for(lead: Row, registration: Row) -> list[Route]:
    """Where a lead goes now (see the module docstring); nothing is written."""
    if lead["exhibitor"] is not None and not lead["consent_given"]:
        return []
    councils = await _councils()
    routes: dict[int, Route] = {}
    for council_id, rule in await _candidates(lead, registration, councils):
        council = councils[council_id]
        basis = _basis(lead, registration, council)
        if basis is not None and council_id not in routes:
            routes[council_id] = Route(council_id, council["code"], council["name"], rule, basis)
    return list(routes.values())


async def _lead_with_registration(lead_id: int) -> tuple[Row, Row] | None:
    lead = (
        await Lead.select(
            *Lead.all_columns(), Lead.exhibitor.organisation.as_alias("exhibitor_organisation")
        )
        .where(Lead.id == lead_id)
        .output(load_json=True)
        .first()
    )
    if lead is None:
        return None
    registration = (
        await Registration.select()
        .where(Registration.id == lead["registration"])
        .output(load_json=True)
        .first()
    )
    return (lead, registration) if registration is not None else None


async def _webhook_councils(council_ids: list[int]) -> set[int]:
    if not council_ids:
        return set()
    rows = await CouncilWebhook.select(CouncilWebhook.council).where(
        CouncilWebhook.council.is_in(council_ids) & CouncilWebhook.active.eq(True)
    )
    return {r["council"] for r in rows}


def _consented(lead: Row, registration: Row, council: Row) -> bool:
    """Does a consent still cover this council (whatever rule matched)?"""
    if lead["exhibitor"] is not None and not lead["consent_given"]:
        return False
    if council.get("code") is None:  # no longer a council at all
        return False
    return _basis(lead, registration, council) is not None


async def _withdraw_gone(lead: Row, registration: Row, gone: list[Row]) -> None:
    """Deliveries no route wants: marked withdrawn when it is their consent that went
    (withdrawal.py), else (a rule turned off, say) withdrawn without the mark."""
    councils = await _councils()
    unconsented = [
        r["id"]
        for r in gone
        if not _consented(lead, registration, councils.get(r["council"], {"code": None}))
    ]
    await withdraw_deliveries(unconsented)
    other = [r["id"] for r in gone if r["id"] not in unconsented]
    if other:
        await LeadDelivery.update({LeadDelivery.status: "withdrawn"}).where(
            LeadDelivery.id.is_in(other)
        )


async def _add(lead_id: int, route: Route, before: Row | None, hooks: set[int]) -> None:
    """A new delivery, or a withdrawn one back; a webhook send for a council with one."""
    if before is not None:
        await restore_delivery(before["id"])
        delivery_id = before["id"]
    else:
        inserted = await LeadDelivery.insert(
            LeadDelivery(
                lead=lead_id,
                council=route.council_id,
                rule=route.rule,
                consent_basis=route.consent_basis,
            )
        ).returning(LeadDelivery.id)
        delivery_id = inserted[0]["id"]
    if route.council_id in hooks:
        await WebhookSend.insert(WebhookSend(delivery=delivery_id, council=route.council_id))


async def _deliver(lead: Row, registration: Row, add: bool = True) -> int:
    """Bring the lead's deliveries in line with its routes: keep each rule and basis
    true, withdraw the rest, and (with `add`) add new ones and bring back withdrawn
    ones. Returns how many councils newly got it."""
    routes = await routes_for(lead, registration)
    existing = {
        r["council"]: r for r in await LeadDelivery.select().where(LeadDelivery.lead == lead["id"])
    }
    wanted = {route.council_id: route for route in routes}
    hooks = await _webhook_councils(list(wanted)) if add else set()
    added = 0
    for council_id, route in wanted.items():
        before = existing.get(council_id)
        active = before is not None and before["status"] == "active"
        if active or add:
            await LeadDelivery.update(
                {LeadDelivery.rule: route.rule, LeadDelivery.consent_basis: route.consent_basis}
            ).where((LeadDelivery.lead == lead["id"]) & (LeadDelivery.council == council_id))
        if not active and add:
            await _add(lead["id"], route, before, hooks)
            added += 1
    gone = [r for c, r in existing.items() if c not in wanted and r["status"] == "active"]
    if gone:
        await _withdraw_gone(lead, registration, gone)
    return added


async def route_lead(lead_id: int) -> int:
    """Route one lead now, in one transaction; returns how many councils newly got it.
    The lead's row is written first: on PostgreSQL that waits for (and then sees) a
    consent change in flight, which writes the same row."""
    async with write_transaction():
        await Lead.update({Lead.route_due: False, Lead.routed_at: datetime.now(UTC)}).where(
            Lead.id == lead_id
        )
        found = await _lead_with_registration(lead_id)
        if found is None:
            return 0
        return await _deliver(*found)


async def withdraw_unconsented(lead_id: int) -> None:
    """At once, inside the caller's transaction: withdraw the lead's deliveries that no
    consent covers any more and bring the basis of the others up to date. New routes
    wait for the worker (the lead is left due)."""
    found = await _lead_with_registration(lead_id)
    if found is not None:
        await _deliver(*found, add=False)


async def route_due_leads() -> int:
    """The worker's job: route leads that arrived or changed since the last pass."""
    rows = await Lead.select(Lead.id).where(Lead.route_due.eq(True)).order_by(Lead.id).limit(BATCH)
    for row in rows:
        await route_lead(row["id"])
    return len(rows)


async def mark_registration_for_routing(registration_id: int) -> None:
    """Call, inside its transaction, when an attendee's consent or interests change:
    withdrawn consent takes effect at once (withdraw_unconsented), and the worker
    routes their leads again for the rest."""
    leads = (
        await Lead.update({Lead.route_due: True})
        .where(Lead.registration == registration_id)
        .returning(Lead.id)
    )
    for lead in sorted(leads, key=lambda row: int(row["id"])):
        await withdraw_unconsented(lead["id"])


async def preview(event_id: int) -> list[Row]:
    """Who would get which lead of the event under the current rules (nothing written)."""
    leads = await Lead.select(Lead.id).where(Lead.event == event_id).order_by(Lead.id)
    result = []
    for item in leads:
        found = await _lead_with_registration(item["id"])
        if found is None:
            continue
        lead, registration = found
        result.append(
            {
                "lead_id": lead["id"],
                "name": registration["name"],
                "source": lead["source"],
                "exhibitor_organisation": lead["exhibitor_organisation"],
                "consent_given": lead["consent_given"],
                "routes": await routes_for(lead, registration),
            }
        )
    return result


async def subscriptions(event_id: int) -> list[Row]:
    return (
        await CouncilJobFamily.select(
            CouncilJobFamily.id,
            CouncilJobFamily.job_family,
            CouncilJobFamily.council.name.as_alias("council_name"),
            CouncilJobFamily.council.code.as_alias("council_code"),
        )
        .where(CouncilJobFamily.event == event_id)
        .order_by(CouncilJobFamily.id)
    )


async def subscribe(event_id: int, council_code: str, job_family: str) -> None:
    """A council gets the event's leads interested in a job family (on consent)."""
    council_id = await organisation_id_for_council(council_code)
    await check_interests([job_family], field="job_family")
    async with write_transaction():
        if not await CouncilJobFamily.exists().where(
            (CouncilJobFamily.event == event_id)
            & (CouncilJobFamily.council == council_id)
            & (CouncilJobFamily.job_family == job_family)
        ):
            await CouncilJobFamily.insert(
                CouncilJobFamily(event=event_id, council=council_id, job_family=job_family)
            )
        await Lead.update({Lead.route_due: True}).where(Lead.event == event_id)


async def unsubscribe(event_id: int, subscription_id: int) -> None:
    """Only a subscription of this event: another event's id is not found here."""
    async with write_transaction():
        deleted = (
            await CouncilJobFamily.delete()
            .where((CouncilJobFamily.id == subscription_id) & (CouncilJobFamily.event == event_id))
            .returning(CouncilJobFamily.id)
        )
        if not deleted:
            raise NotFound("There is no such subscription", code="subscription_not_found")
        await Lead.update({Lead.route_due: True}).where(Lead.event == event_id)


def _install(hooks: list[ConsentHook], hook: ConsentHook) -> None:
    """Once per process, even if this module is imported again (a reload in tests)."""
    name = (hook.__module__, hook.__name__)
    hooks[:] = [h for h in hooks if (h.__module__, h.__name__) != name]
    hooks.append(hook)


# The app and the worker both import this module (controllers and tasks), so a
# re-registration with other consent routes the attendee's leads again.
_install(CONSENT_HOOKS, mark_registration_for_routing)
