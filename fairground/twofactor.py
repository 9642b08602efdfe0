"""Two-factor sign-in (TOTP, RFC 6238), recovery codes, remembered devices, the
sessions a person holds and their sign-ins.

Required for organisers, council recruiters and superusers; optional for door and
exhibitor staff. A code is accepted once: the time step it was made for is kept,
and a code for that step or an earlier one is refused (a replay). API bearer
tokens are not affected: they are a credential of their own.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import qrcode
from qrcode.constants import ERROR_CORRECT_M

from fairground import qrsvg
from fairground.accounts import TWO_FACTOR_ROLES, sha256
from fairground.tables import (
    RecoveryCode,
    SignIn,
    StaffSession,
    StoreEntry,
    TrustedDevice,
    User,
)

REQUIRED_ROLES = TWO_FACTOR_ROLES
ISSUER = "Fairground"
STEP = 30  # seconds (RFC 6238's default, what every authenticator app uses)
WINDOW = 1  # a step either side: a phone's clock may be a little out
RECOVERY_CODES = 10
DEVICE_LIFETIME = timedelta(days=30)
DEVICE_COOKIE = "fg_device"
SESSION_NAMESPACE = "session"  # the "sessions" store's rows: "session:<id>"
SESSION_MAX_AGE = 12 * 3600  # fairground.sessions
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


def required_for(role: str) -> bool:
    return role in REQUIRED_ROLES


def new_secret() -> str:
    return pyotp.random_base32()


def grouped(secret: str) -> str:
    """The setup key in groups of four, as authenticator apps let people type it."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(text: str) -> str:
    """The otpauth:// address as an inline SVG (fairground/qrsvg.py)."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    qr.add_data(text.encode("utf-8"))
    qr.make(fit=True)
    return qrsvg.svg(qr.get_matrix(), 5, "QR code for your authenticator app")


def clean_code(raw: str) -> str:
    """What people type: spaces and dashes are allowed, as GOV.UK advises."""
    return re.sub(r"[\s\-]", "", raw)[:40]


def _step(now: datetime) -> int:
    return int(now.timestamp()) // STEP


def code_error(raw: str) -> str | None:
    """The GOV.UK security-code messages for a code of the wrong shape."""
    code = clean_code(raw)
    if not code:
        return "Enter the security code"
    if not code.isascii() or not code.isdigit():
        return "The security code must only include numbers 0 to 9"
    if len(code) < 6:
        return "You’ve not entered enough numbers, the code must be 6 numbers"
    if len(code) > 6:
        return "You’ve entered too many numbers, the code must be 6 numbers"
    return None


def matching_step(secret: str, raw: str, now: datetime | None = None) -> int | None:
    """The time step (within the window) whose code this is, else None."""
    code = clean_code(raw)
    totp = pyotp.TOTP(secret)
    current = _step(now or datetime.now(UTC))
    for step in range(current - WINDOW, current + WINDOW + 1):
        if hmac.compare_digest(totp.at(step * STEP), code):
            return step
    return None


async def check_code(secret: str, user_id: int, raw: str, now: datetime | None = None) -> str:
    """'ok', 'wrong' or 'replayed' for a 6-digit code from the app. An accepted code
    moves the user's last step on, in one conditional update (two requests with the
    same code: only one wins)."""
    step = matching_step(secret, raw, now)
    if step is None:
        return "wrong"
    updated = (
        await User.update({User.totp_last_step: step})
        .where(
            (User.id == user_id) & (User.totp_last_step.is_null() | (User.totp_last_step < step))
        )
        .returning(User.id)
    )
    return "ok" if updated else "replayed"


async def enrolment(user_id: int) -> dict[str, Any] | None:
    row = (
        await User.select(User.totp_secret, User.totp_enabled_at, User.email)
        .where(User.id == user_id)
        .first()
    )
    return row


async def enable(user_id: int, secret: str, step: int) -> list[str]:
    """Turn two-factor sign-in on with a confirmed secret; the recovery codes, once."""
    await User.update(
        {
            User.totp_secret: secret,
            User.totp_enabled_at: datetime.now(UTC),
            User.totp_last_step: step,
        }
    ).where(User.id == user_id)
    return await new_recovery_codes(user_id)


async def disable(user_id: int) -> None:
    """Off (turned off by its owner, or reset by a manager for a lost device): the
    secret, recovery codes and remembered devices go."""
    await User.update(
        {User.totp_secret: "", User.totp_enabled_at: None, User.totp_last_step: None}
    ).where(User.id == user_id)
    await RecoveryCode.delete().where(RecoveryCode.user == user_id)
    await TrustedDevice.delete().where(TrustedDevice.user == user_id)


def _recovery_hash(user_id: int, code: str) -> str:
    return sha256(f"{user_id}:{clean_code(code).lower()}")


async def new_recovery_codes(user_id: int) -> list[str]:
    await RecoveryCode.delete().where(RecoveryCode.user == user_id)
    codes = [
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        for _ in range(RECOVERY_CODES)
    ]
    await RecoveryCode.insert(
        *[RecoveryCode(user=user_id, code_hash=_recovery_hash(user_id, code)) for code in codes]
    )
    return [f"{code[:5]}-{code[5:]}" for code in codes]


async def use_recovery_code(user_id: int, raw: str) -> bool:
    used = (
        await RecoveryCode.update({RecoveryCode.used_at: datetime.now(UTC)})
        .where(
            (RecoveryCode.user == user_id)
            & (RecoveryCode.code_hash == _recovery_hash(user_id, raw))
            & RecoveryCode.used_at.is_null()
        )
        .returning(RecoveryCode.id)
    )
    return bool(used)


async def recovery_codes_left(user_id: int) -> int:
    return await RecoveryCode.count().where(
        (RecoveryCode.user == user_id) & RecoveryCode.used_at.is_null()
    )


# Remembered devices ----------------------------------------------------------


async def remember_device(user_id: int, agent: str) -> str:
    raw = secrets.token_urlsafe(32)
    await TrustedDevice.insert(
        TrustedDevice(
            user=user_id,
            token_hash=sha256(raw),
            agent=agent,
            expires_at=datetime.now(UTC) + DEVICE_LIFETIME,
        )
    )
    return raw


async def device_is_remembered(user_id: int, raw: str) -> bool:
    if not raw or len(raw) > 100:
        return False
    return await TrustedDevice.exists().where(
        (TrustedDevice.user == user_id)
        & (TrustedDevice.token_hash == sha256(raw))
        & (TrustedDevice.expires_at > datetime.now(UTC))
    )


async def devices(user_id: int) -> list[dict[str, Any]]:
    return await (
        TrustedDevice.select(
            TrustedDevice.id,
            TrustedDevice.agent,
            TrustedDevice.created_at,
            TrustedDevice.expires_at,
        )
        .where((TrustedDevice.user == user_id) & (TrustedDevice.expires_at > datetime.now(UTC)))
        .order_by(TrustedDevice.created_at, ascending=False)
    )


async def forget_device(user_id: int, device_id: int) -> bool:
    gone = (
        await TrustedDevice.delete()
        .where((TrustedDevice.user == user_id) & (TrustedDevice.id == device_id))
        .returning(TrustedDevice.id)
    )
    return bool(gone)


# Sessions and sign-ins ---------------------------------------------------------


def agent_family(user_agent: str) -> str:
    """A browser and system in a few words ("Firefox on Windows"), never the whole string."""
    ua = user_agent[:500]
    browser = next(
        (
            name
            for token, name in (
                ("Edg/", "Edge"),
                ("OPR/", "Opera"),
                ("SamsungBrowser", "Samsung Internet"),
                ("Firefox/", "Firefox"),
                ("Chrome/", "Chrome"),
                ("Chromium/", "Chromium"),
                ("Safari/", "Safari"),
                ("curl/", "curl"),
                ("python-httpx", "httpx"),
            )
            if token in ua
        ),
        "Unknown browser",
    )
    system = next(
        (
            name
            for token, name in (
                ("Android", "Android"),
                ("iPhone", "iPhone"),
                ("iPad", "iPad"),
                ("Windows", "Windows"),
                ("Mac OS X", "macOS"),
                ("CrOS", "ChromeOS"),
                ("Linux", "Linux"),
            )
            if token in ua
        ),
        "",
    )
    return f"{browser} on {system}" if system else browser


async def record_sign_in(
    user_id: int, address: str, agent: str, success: bool, second_factor: str = ""
) -> None:
    await SignIn.insert(
        SignIn(
            user=user_id,
            address=address[:64],
            agent=agent[:60],
            success=success,
            second_factor=second_factor,
        )
    )


async def recent_sign_ins(user_id: int, limit: int = 20) -> list[dict[str, Any]]:
    return await (
        SignIn.select(SignIn.at, SignIn.address, SignIn.agent, SignIn.success, SignIn.second_factor)
        .where(SignIn.user == user_id)
        .order_by(SignIn.at, ascending=False)
        .limit(limit)
    )


async def register_session(session_id: str, user_id: int, address: str, agent: str) -> None:
    await StaffSession.insert(
        StaffSession(user=user_id, session_id=session_id, address=address[:64], agent=agent[:60])
    ).on_conflict(target=StaffSession.session_id, action="DO NOTHING")


async def sessions_of(user_id: int) -> list[dict[str, Any]]:
    """The person's live sessions; last seen is when the store last renewed the
    session (at most every 10 minutes: fairground.sessions)."""
    rows = await StaffSession.select(
        StaffSession.id,
        StaffSession.session_id,
        StaffSession.address,
        StaffSession.agent,
        StaffSession.created_at,
    ).where(StaffSession.user == user_id)
    if not rows:
        return []
    keys = {f"{SESSION_NAMESPACE}:{row['session_id']}": row for row in rows}
    live = await StoreEntry.select(StoreEntry.key, StoreEntry.expires_at).where(
        StoreEntry.key.is_in(list(keys))
    )
    now = datetime.now(UTC)
    out: list[dict[str, Any]] = []
    expiries = {entry["key"]: entry["expires_at"] for entry in live}
    for key, row in keys.items():
        expires = expiries.get(key)
        if expires is None or expires <= now:
            continue
        last_seen = max(row["created_at"], expires - timedelta(seconds=SESSION_MAX_AGE))
        out.append({**row, "last_seen": last_seen})
    stale = [row["id"] for key, row in keys.items() if key not in {k for k in expiries}]
    if stale:
        await StaffSession.delete().where(StaffSession.id.is_in(stale))
    return sorted(out, key=lambda row: row["last_seen"], reverse=True)


async def end_session(user_id: int, row_id: int) -> bool:
    row = (
        await StaffSession.select(StaffSession.session_id)
        .where((StaffSession.user == user_id) & (StaffSession.id == row_id))
        .first()
    )
    if row is None:
        return False
    await StoreEntry.delete().where(StoreEntry.key == f"{SESSION_NAMESPACE}:{row['session_id']}")
    await StaffSession.delete().where(StaffSession.id == row_id)
    return True


async def end_all_sessions(user_id: int, keep: str | None = None) -> int:
    """End every session of this user but `keep` (the one in use): those listed in
    staff_session, and any other in the store that names them (a rare, whole scan:
    deactivation, two-factor reset, a password change)."""
    prefix = f"{SESSION_NAMESPACE}:"
    entries = await StoreEntry.select(StoreEntry.key, StoreEntry.value).where(
        StoreEntry.key.like(f"{prefix}%")
    )
    doomed = [
        entry["key"]
        for entry in entries
        if entry["key"] != f"{prefix}{keep}" and _session_uid(entry["value"]) == user_id
    ]
    if doomed:
        await StoreEntry.delete().where(StoreEntry.key.is_in(doomed))
    rows = StaffSession.delete().where(StaffSession.user == user_id)
    if keep:
        rows = rows.where(StaffSession.session_id != keep)
    await rows
    return len(doomed)


def _session_uid(value: Any) -> int | None:
    try:
        data = json.loads(bytes(value))
    except (ValueError, TypeError):
        return None
    uid = data.get("uid") if isinstance(data, dict) else None
    return uid if isinstance(uid, int) else None
