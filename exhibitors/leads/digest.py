"""The daily digest: each council's recruiters get, at most once a day, the number of
leads routed to their council since the last digest, with a link to the portal. It
carries counts only; the personal data stays behind the sign-in."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from exhibitors.leads.tables import DigestLog, LeadDelivery
from fairground.db import write_transaction
from fairground.mail import queue_email
from fairground.tables import Organisation, User

Row = dict[str, Any]
EVERY = timedelta(hours=24)
_lead: Any = LeadDelivery.lead


async def _claim(council_id: int, now: datetime) -> bool:
    """Conditional update (or the unique insert) so one worker sends one digest a day."""
    claimed = (
        await DigestLog.update({DigestLog.sent_at: now})
        .where((DigestLog.council == council_id) & (DigestLog.sent_at <= now - EVERY))
        .returning(DigestLog.id)
    )
    if claimed:
        return True
    if await DigestLog.exists().where(DigestLog.council == council_id):
        return False
    await DigestLog.insert(DigestLog(council=council_id, sent_at=now))
    return True


async def _digest(council: Row, now: datetime) -> int:
    """Inside one transaction: claim, mark the deliveries, queue one email a recruiter."""
    pending = LeadDelivery.digested_at.is_null() & (LeadDelivery.status == "active")
    async with write_transaction():
        if not await _claim(council["id"], now):
            return 0
        rows = (
            await LeadDelivery.update({LeadDelivery.digested_at: now})
            .where((LeadDelivery.council == council["id"]) & pending)
            .returning(LeadDelivery.lead)
        )
        titles = (
            await LeadDelivery.select(_lead.event.title.as_alias("title")).where(
                LeadDelivery.lead.is_in([r["lead"] for r in rows])
            )
            if rows
            else []
        )
        counts = Counter(r["title"] for r in titles)
        recruiters = await User.select(User.email).where(
            (User.organisation == council["id"]) & (User.role == "council") & User.active.eq(True)
        )
        context = {
            "council": council,
            "total": len(rows),
            "events": [{"title": t, "count": n} for t, n in sorted(counts.items())],
        }
        for user in recruiters if rows else []:
            await queue_email("leads_digest", user["email"], context)
    return len(recruiters) if rows else 0


async def send_digests(now: datetime | None = None) -> int:
    """The worker's job: a digest to each council with undigested leads, once a day."""
    now = now or datetime.now(UTC)
    waiting = (
        await LeadDelivery.select(LeadDelivery.council)
        .where(LeadDelivery.digested_at.is_null() & (LeadDelivery.status == "active"))
        .distinct()
    )
    ids = [r["council"] for r in waiting]
    if not ids:
        return 0
    councils = await Organisation.select(
        Organisation.id, Organisation.code, Organisation.name
    ).where(Organisation.id.is_in(ids))
    sent = 0
    for council in councils:
        sent += await _digest(council, now)
    return sent
