"""Staff users, roles, passwords, API tokens, login throttling and role guards.

Object-level guards (organiser of *this* event, door staff of *this* event,
staff of *this* exhibitor) live beside the objects, in each app's guards.py;
this module gives them the principal and the role checks.
"""

from __future__ import annotations

import gzip
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.stores.base import Store

from fairground.errors import Conflict, Invalid, NotFound, Throttled
from fairground.tables import ApiToken, Organisation, PasswordReset, User
from fairground.text import check_line, has_forbidden

ROLES = ("organiser", "door", "exhibitor", "council", "partner", "superuser")
# Roles that must sign in with a second factor (fairground.twofactor).
TWO_FACTOR_ROLES = frozenset({"organiser", "council", "superuser"})
_hasher = PasswordHasher()
# A hash of a random password: checking it costs what a real check costs, so
# an unknown email answers as slowly as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1000
MAX_EMAIL_LENGTH = 254
MAX_TOKEN_LABEL = 100
RESET_LIFETIME = timedelta(hours=2)
INVITE_LIFETIME = timedelta(days=3)  # a link to set the first password (fairground.people)
THROTTLE_WINDOW = 15 * 60
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in staff member, as guards see them."""

    id: int
    email: str
    name: str
    role: str
    organisation_id: int | None
    council_code: str | None
    via_token: bool = False
    two_factor: bool = False  # enrolled in two-factor sign-in (fairground.twofactor)

    @property
    def is_superuser(self) -> bool:
        return self.role == "superuser"

    @property
    def needs_enrolment(self) -> bool:
        """Two-factor sign-in is required for this role but not yet set up."""
        return self.role in TWO_FACTOR_ROLES and not self.two_factor


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def normalise_email(raw: str, field: str = "email") -> str:
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise Invalid(
            "Enter an email address in the correct format, like name@example.org",
            fields={field: "Enter an email address in the correct format, like name@example.org"},
        ) from None


@cache
def common_passwords() -> frozenset[str]:
    """The 20,000 commonest passwords (Django's list, fairground/data/NOTICE), lower case."""
    path = Path(__file__).parent / "data" / "common-passwords.txt.gz"
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip().lower() for line in lines if line.strip())


def hash_password(password: str) -> str:
    """As the NCSC advises: length, not complexity. 10 to 1,000 characters, any but
    control characters (fairground.text), and not one of the commonest passwords."""
    message = None
    if len(password) < MIN_PASSWORD_LENGTH:
        message = f"Password must be {MIN_PASSWORD_LENGTH} characters or more"
    elif len(password) > MAX_PASSWORD_LENGTH:
        message = f"Password must be {MAX_PASSWORD_LENGTH:,} characters or fewer"
    elif has_forbidden(password):
        message = "Password must not contain control characters"
    elif password.strip().lower() in common_passwords():
        message = (
            "This password is too common and easy to guess: choose another, "
            "for example three random words"
        )
    if message:
        raise Invalid(message, fields={"password": message})
    return _hasher.hash(password)


def _could_be_login(email: str, password: str) -> bool:
    """What no account can have (an email too long or with control characters, a
    password too long) is a failed sign-in without a query: no lookup with a NUL, no
    hashing of a megabyte. (Passwords set before control characters were refused
    still work: only their length is checked here.)"""
    return not (
        len(email) > MAX_EMAIL_LENGTH or len(password) > MAX_PASSWORD_LENGTH or has_forbidden(email)
    )


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


async def _principal(row: dict[str, Any], via_token: bool = False) -> Principal:
    return Principal(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        role=row["role"],
        organisation_id=row["organisation"],
        council_code=row.get("organisation.code"),
        via_token=via_token,
        two_factor=row.get("totp_enabled_at") is not None,
    )


_PRINCIPAL_COLUMNS = (
    User.id,
    User.email,
    User.name,
    User.role,
    User.organisation,
    User.organisation.code,
    User.totp_enabled_at,
)


async def get_principal(user_id: int) -> Principal | None:
    row = (
        await User.select(*_PRINCIPAL_COLUMNS)
        .where((User.id == user_id) & (User.active.eq(True)))
        .first()
    )
    return await _principal(row) if row else None


async def create_user(
    *,
    email: str,
    name: str,
    role: str,
    password: str | None = None,
    organisation_id: int | None = None,
) -> int:
    """Create a staff user; the email is unique and the role one of ROLES."""
    if role not in ROLES:
        raise Invalid(f"Role must be one of {', '.join(ROLES)}", fields={"role": "Unknown role"})
    errors: dict[str, str] = {}
    name = check_line(name, "name", "The name", 200, errors)
    if errors or not name:
        raise Invalid("Enter a name", fields=errors or {"name": "Enter a name"})
    email = normalise_email(email)
    if await User.exists().where(User.email == email):
        raise Conflict(f"A user with the email {email} already exists", code="user_exists")
    password_hash = hash_password(password) if password else ""
    rows = await User.insert(
        User(
            email=email,
            name=name,
            role=role,
            password_hash=password_hash,
            organisation=organisation_id,
        )
    ).returning(User.id)
    return int(rows[0]["id"])


async def organisation_id_for_council(code: str) -> int:
    row = await Organisation.select(Organisation.id).where(Organisation.code == code).first()
    if row is None:
        raise NotFound(f"No council has the code {code}", fields={"council": "Unknown council"})
    return int(row["id"])


async def authenticate(email: str, password: str) -> Principal | None:
    """The principal for a correct email and password, else None (same cost either way)."""
    if not _could_be_login(email, password):
        password_matches("", password[:MAX_PASSWORD_LENGTH])
        return None
    row = (
        await User.select(User.id, User.password_hash)
        .where((User.email == email.strip().lower()) & (User.active.eq(True)))
        .first()
    )
    if not password_matches(row["password_hash"] if row else "", password) or row is None:
        return None
    await User.update({User.last_login_at: datetime.now(UTC)}).where(User.id == row["id"])
    return await get_principal(row["id"])


class LoginThrottle:
    """Counts failed logins per account and per client address in a shared store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _keys(self, email: str, address: str) -> list[tuple[str, int]]:
        return [
            (f"email:{sha256(email.strip().lower())}", MAX_FAILURES_PER_ACCOUNT),
            (f"addr:{address}", MAX_FAILURES_PER_ADDRESS),
        ]

    async def check(self, email: str, address: str) -> None:
        """Raise Throttled when either counter is at its limit."""
        for key, limit in self._keys(email, address):
            raw = await self.store.get(key)
            if raw is not None and int(raw) >= limit:
                retry = await self.store.expires_in(key) or THROTTLE_WINDOW
                raise Throttled(
                    "Too many failed sign-in attempts. Wait 15 minutes and try again.",
                    retry_after=retry,
                )

    async def failed(self, email: str, address: str) -> None:
        for key, _ in self._keys(email, address):
            raw = await self.store.get(key)
            expires = await self.store.expires_in(key) if raw else THROTTLE_WINDOW
            await self.store.set(key, str(int(raw or 0) + 1), expires_in=expires or 1)

    async def succeeded(self, email: str) -> None:
        await self.store.delete(self._keys(email, "")[0][0])


async def create_token(user_id: int, label: str = "") -> str:
    """A new bearer token; only its hash is stored, so it is shown once. The label is
    a line of up to 100 characters (fairground.text)."""
    errors: dict[str, str] = {}
    label = check_line(label, "label", "The label", MAX_TOKEN_LABEL, errors)
    if errors:
        raise Invalid(errors["label"], fields=errors)
    raw = "fg_" + secrets.token_urlsafe(32)
    await ApiToken.insert(ApiToken(user=user_id, token_hash=sha256(raw), label=label))
    return raw


async def principal_for_token(raw: str) -> Principal | None:
    token = (
        await ApiToken.select(ApiToken.id, ApiToken.user)
        .where(ApiToken.token_hash == sha256(raw))
        .first()
    )
    if token is None:
        return None
    principal = await get_principal(token["user"])
    if principal is None:
        return None
    return Principal(**{**_as_dict(principal), "via_token": True})


def _as_dict(principal: Principal) -> dict[str, Any]:
    return {name: getattr(principal, name) for name in Principal.__slots__}


async def user_id_by_email(email: str) -> int:
    row = None
    if len(email) <= MAX_EMAIL_LENGTH and not has_forbidden(email):
        row = await User.select(User.id).where(User.email == email.strip().lower()).first()
    if row is None:
        raise NotFound(f"No user has the email {email[:254]}", fields={"email": "Unknown user"})
    return int(row["id"])


async def start_password_reset(
    email: str, lifetime: timedelta = RESET_LIFETIME
) -> tuple[int, str] | None:
    """A reset token for an active user (None for an unknown email: we say nothing);
    an invitation's link lasts longer (INVITE_LIFETIME)."""
    row = (
        await User.select(User.id)
        .where((User.email == email.strip().lower()) & (User.active.eq(True)))
        .first()
    )
    if row is None:
        return None
    raw = secrets.token_urlsafe(32)
    await PasswordReset.insert(
        PasswordReset(
            user=row["id"], token_hash=sha256(raw), expires_at=datetime.now(UTC) + lifetime
        )
    )
    return int(row["id"]), raw


async def is_first_password(raw: str) -> bool:
    """Whether a reset link is an invitation: its user has never had a password."""
    row = (
        await PasswordReset.select(PasswordReset.user.password_hash.as_alias("hash"))
        .where(PasswordReset.token_hash == sha256(raw[:200]))
        .first()
    )
    return row is not None and not row["hash"]


async def finish_password_reset(raw: str, password: str) -> int:
    """Set a new password from an unused, unexpired reset token (used once)."""
    password_hash = hash_password(password)
    now = datetime.now(UTC)
    used = (
        await PasswordReset.update({PasswordReset.used_at: now})
        .where(
            (PasswordReset.token_hash == sha256(raw))
            & PasswordReset.used_at.is_null()
            & (PasswordReset.expires_at > now)
        )
        .returning(PasswordReset.user)
    )
    if not used:
        raise Invalid(
            "This reset link has expired or was already used. Ask for a new one.",
            code="reset_link_invalid",
        )
    user_id = int(used[0]["user"])
    await User.update({User.password_hash: password_hash}).where(User.id == user_id)
    return user_id


# Guards ---------------------------------------------------------------------


def current_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The signed-in principal, or 401."""
    user = connection.scope.get("user")
    if not isinstance(user, Principal):
        raise NotAuthorizedException("Sign in to continue")
    return user


def require_roles(*roles: str) -> Any:
    """A guard allowing these roles (and the superuser)."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = current_principal(connection)
        if principal.role not in roles and not principal.is_superuser:
            raise PermissionDeniedException("Your account cannot do this")

    return guard


async def council_recruiter_guard(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Recruiters of the council named by the `code` path parameter (and the superuser,
    for whom a code that names no council is not found)."""
    principal = current_principal(connection)
    code = connection.path_params["code"]
    if principal.is_superuser:
        if not await Organisation.exists().where(Organisation.code == code):
            raise NotFound("No council has this code", code="council_not_found")
        return
    if principal.role != "council" or principal.council_code != code:
        raise PermissionDeniedException("You can only see your own council's leads")
