"""Lead tables: leads, routing rules and subscriptions, deliveries, webhooks, job markers."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from events.tables import Event
from exhibitors.tables import Exhibitor
from fairground.tables import Organisation, User
from registrations.tables import Registration


class Lead(Table):
    """One attendee as a lead: per exhibitor from a stand scan (unique per exhibitor and
    registration), or with no exhibitor from the follow-up survey (unique per registration).
    Both uniques are raw indexes in the migrations."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    event = ForeignKey(Event, null=False)
    exhibitor = ForeignKey(Exhibitor, null=True, default=None)
    registration = ForeignKey(Registration, null=False)
    source = Varchar(length=12, default="stand")  # stand | follow-up | manual
    captured_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    rating = Integer(null=True, default=None)
    notes = Text(default="")
    interests = JSON(default=[])
    consent_given = Boolean(default=False)  # agreed at this exhibitor's stand
    # The attendee took their stand consent back (/r/<token>/stand-consents); a rescan
    # does not give it again.
    consent_withdrawn_at = Timestamptz(null=True, default=None)
    client_id = Varchar(length=64, null=True, default=None, unique=True)
    captured_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    route_due = Boolean(default=True, index=True)  # the worker routes it (again)
    routed_at = Timestamptz(null=True, default=None)


class RoutingRule(Table, tablename="routing_rule"):
    """Which rules an event routes by; an event with no rows uses every rule."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    event = ForeignKey(Event, null=False)
    rule = Varchar(length=20)  # home_council | county | job_family | exhibitor
    enabled = Boolean(default=True)


class CouncilJobFamily(Table, tablename="council_job_family"):
    """A council that wants the leads of an event interested in a job family."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    event = ForeignKey(Event, null=False)
    council = ForeignKey(Organisation, null=False)
    job_family = Varchar(length=40)


class LeadDelivery(Table, tablename="lead_delivery"):
    """A lead routed to a council: the rule that matched, the consent that covers it,
    and what came of it. (lead, council) is unique (raw index in the migrations)."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    lead = ForeignKey(Lead, null=False, on_delete=OnDelete.cascade)
    council = ForeignKey(Organisation, null=False)
    rule = Varchar(length=60)
    consent_basis = Varchar(length=30)  # consent_councils | stand_consent
    status = Varchar(length=12, default="active", index=True)  # active | withdrawn
    outcome = Varchar(length=12, default="")  # contacted | interviewed | offered | hired
    outcome_at = Timestamptz(null=True, default=None)
    outcome_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    digested_at = Timestamptz(null=True, default=None)
    # Set when the consent that covered it was withdrawn: the council keeps the lead
    # marked withdrawn, without contact details (exhibitors/leads/withdrawal.py).
    withdrawn_at = Timestamptz(null=True, default=None)


class CouncilWebhook(Table, tablename="council_webhook"):
    """A council's webhook endpoint; the secret signs each POST (shown once on creation)."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    council = ForeignKey(Organisation, null=False, unique=True)
    url = Varchar(length=500)
    secret = Varchar(length=100)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class WebhookSend(Table, tablename="webhook_send"):
    """One delivery to POST to a council's webhook, written with the delivery and sent
    by the worker with retries (the webhook counterpart of the email outbox)."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    delivery = ForeignKey(LeadDelivery, null=False, on_delete=OnDelete.cascade)
    council = ForeignKey(Organisation, null=False)
    kind = Varchar(length=20, default="lead.delivered")  # lead.delivered | consent.withdrawn
    status = Varchar(length=12, default="pending", index=True)  # pending|sending|sent|failed
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow(), index=True)
    claimed_until = Timestamptz(null=True, default=None)
    last_status_code = Integer(null=True, default=None)
    last_error = Text(default="")
    sent_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class DigestLog(Table, tablename="digest_log"):
    """When a council's recruiters last got the daily digest."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    council = ForeignKey(Organisation, null=False, unique=True)
    sent_at = Timestamptz(default=TimestamptzNow())


class EventJob(Table, tablename="event_job"):
    """A once-per-event worker job done (follow-up sent, personal data erased); the unique
    (event, job) index is the claim, so two workers never both do it."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    event = ForeignKey(Event, null=False)
    job = Varchar(length=20)  # follow_up | retention
    done_at = Timestamptz(default=TimestamptzNow())
    detail = JSON(default={})
