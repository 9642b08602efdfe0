"""Platform tables: organisations, staff users, tokens, outbox, audit, store."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    Boolean,
    Bytea,
    Date,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Organisation(Table):
    """A council, NHS trust, police or fire service, university, other employer, or an
    employability partner (kind "partner": Jobcentre Plus, a refugee and migrant service,
    a college, a charity) that brings jobseekers to fairs.

    `code` is a council's ONS code (E08000026); `short_code` is every organisation's own
    short code (lower-case letters, digits, hyphens), a partner's referral code."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    name = Varchar(length=200, unique=True)
    kind = Varchar(length=20, default="other")
    code = Varchar(length=20, null=True, default=None, unique=True)
    # Derived from the name when not given (fairground.organisations.assign_short_code).
    short_code = Varchar(length=40, null=True, default=None, unique=True)
    # For kind "partner": jobcentre | refugee | college | charity | other.
    partner_kind = Varchar(length=20, default="")
    parent: ForeignKey[Organisation] = ForeignKey("self", null=True, default=None)
    subscriber_ref = Varchar(length=40, null=True, default=None, unique=True)
    email_domains = Text(default="")
    subscriber_until = Date(null=True, default=None)
    # The address attendees and exhibitors are told to write to about its fairs
    # (event pages, Reply-To of emails); empty: none given, so none is shown.
    contact_email = Varchar(length=254, default="")


class JobFamily(Table, tablename="job_family"):
    id: Serial  # Piccolo adds the primary key; declared for the type checker
    code = Varchar(length=40, unique=True)
    name = Varchar(length=120)


class User(Table, tablename="staff_user"):
    """A staff account; attendees never have one."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    email = Varchar(length=254, unique=True)
    name = Varchar(length=200)
    password_hash = Text(default="")
    role = Varchar(length=20, index=True)
    organisation = ForeignKey(Organisation, null=True, default=None)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_login_at = Timestamptz(null=True, default=None)
    # Two-factor sign-in (RFC 6238): the shared secret (base32), when it was confirmed
    # (null: not enrolled) and the last time step a code was accepted for (no replay).
    totp_secret = Varchar(length=64, default="")
    totp_enabled_at = Timestamptz(null=True, default=None)
    totp_last_step = Integer(null=True, default=None)
    # The organising body whose organisers manage this account, when that is not its
    # own organisation (a council recruiter invited by an organiser): fairground.people.
    managed_by = ForeignKey(Organisation, null=True, default=None)


class ApiToken(Table, tablename="api_token"):
    """A bearer token; only its SHA-256 is kept."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    user = ForeignKey(User, null=False)
    token_hash = Varchar(length=64, unique=True)
    label = Varchar(length=100, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)


class PasswordReset(Table, tablename="password_reset"):
    id: Serial  # Piccolo adds the primary key; declared for the type checker
    user = ForeignKey(User, null=False)
    token_hash = Varchar(length=64, unique=True)
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class OutboxMessage(Table, tablename="outbox_message"):
    """An email or webhook, written with the change that causes it, sent by the worker."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    kind = Varchar(length=20, default="email")
    template = Varchar(length=60, default="")
    recipient = Text()
    subject = Text(default="")
    payload = Bytea()  # the MIME message; empty until a deferred message is built
    params = JSON(default={})  # what a deferred message is built from, by `template`
    status = Varchar(length=12, default="pending", index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow(), index=True)
    claimed_until = Timestamptz(null=True, default=None)
    sent_at = Timestamptz(null=True, default=None)
    last_error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())


class AuditLog(Table, tablename="audit_log"):
    id: Serial  # Piccolo adds the primary key; declared for the type checker
    actor = ForeignKey(User, null=True, default=None)
    action = Varchar(length=60, index=True)
    object_type = Varchar(length=40)
    object_id = Varchar(length=60)
    detail = JSON(default={})
    at = Timestamptz(default=TimestamptzNow())


class StoreEntry(Table, tablename="store_entry"):
    """Litestar store rows: sessions and throttling counters shared by every process."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker

    key = Varchar(length=250, unique=True)  # "<namespace>:<key>"
    value = Bytea()
    expires_at = Timestamptz(null=True, default=None, index=True)


# Two-factor sign-in, sessions and sign-ins (issue 14) --------------------------


class RecoveryCode(Table, tablename="recovery_code"):
    """A single-use code that stands in for the authenticator app; only its hash is kept."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker
    user = ForeignKey(User, null=False)
    code_hash = Varchar(length=64, unique=True)
    used_at = Timestamptz(null=True, default=None)


class TrustedDevice(Table, tablename="trusted_device"):
    """A browser that need not give a security code until it expires (its cookie's hash)."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker
    user = ForeignKey(User, null=False)
    token_hash = Varchar(length=64, unique=True)
    agent = Varchar(length=60, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()


class StaffSession(Table, tablename="staff_session"):
    """Who holds which session in the store, so that it can be listed and ended."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker
    user = ForeignKey(User, null=False)
    session_id = Varchar(length=100, unique=True)
    address = Varchar(length=64, default="")
    agent = Varchar(length=60, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class SignIn(Table, tablename="sign_in"):
    """One attempt to sign in to an account that exists: when, from where, and how."""

    id: Serial  # Piccolo adds the primary key; declared for the type checker
    user = ForeignKey(User, null=False)
    at = Timestamptz(default=TimestamptzNow(), index=True)
    address = Varchar(length=64, default="")
    agent = Varchar(length=60, default="")
    success = Boolean(default=False)
    second_factor = Varchar(length=20, default="")  # "", app, recovery, device
