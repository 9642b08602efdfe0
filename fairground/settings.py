"""Settings, read once from the environment.

Every setting has a default that makes the demo run on a fresh machine. A bad
value stops start-up with a message that names the variable.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email

from fairground.diskcheck import plain_reason, probe_directory


class SettingsError(Exception):
    """A setting from the environment has a value we cannot use."""

    def __init__(self, variable: str, message: str) -> None:
        super().__init__(f"{variable}: {message}")
        self.variable = variable


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    secret_key: str
    base_url: str
    port: int
    smtp_url: str | None
    mail_from: str
    timezone: str
    var_dir: Path
    rate_limit_per_minute: int
    max_body_bytes: int
    reminder_hours_before: int
    secure_cookies: bool
    outbox_lease_seconds: int
    # `?lang=qps` shows every message of the catalogue as ⟦…⟧ (for translators and
    # developers: words outside gettext stand out). Off in production.
    pseudo_locale: bool = False

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"


def _int(env: dict[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(name, f"must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise SettingsError(name, f"must be at least {minimum}, not {value}")
    return value


def _database_url(env: dict[str, str], var_dir: Path) -> str:
    raw = env.get("DATABASE_URL", "").strip()
    if not raw:
        return f"sqlite:///{var_dir / 'fairground.sqlite3'}"
    scheme = urlsplit(raw).scheme
    if scheme == "sqlite":
        if not raw.startswith("sqlite:///") or len(raw) <= len("sqlite:///"):
            raise SettingsError("DATABASE_URL", "an SQLite URL looks like sqlite:///var/app.db")
        return raw
    if scheme in ("postgres", "postgresql"):
        if not urlsplit(raw).hostname and "host=" not in raw:
            raise SettingsError("DATABASE_URL", "a PostgreSQL URL needs a host")
        return raw
    raise SettingsError(
        "DATABASE_URL", f"must start with sqlite:/// or postgres://, not {scheme or raw!r}"
    )


def _url(env: dict[str, str], name: str, default: str, schemes: tuple[str, ...]) -> str:
    raw = env.get(name, "").strip() or default
    parts = urlsplit(raw)
    if parts.scheme not in schemes or not parts.hostname:
        raise SettingsError(name, f"must be a URL starting with {' or '.join(schemes)}://")
    return raw.rstrip("/")


def _smtp_url(env: dict[str, str]) -> str | None:
    raw = env.get("SMTP_URL", "").strip()
    if not raw:
        return None
    _url(env, "SMTP_URL", raw, ("smtp", "smtps"))
    try:
        urlsplit(raw).port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise SettingsError("SMTP_URL", "the port must be a number") from None
    return raw


def _mail_from(env: dict[str, str]) -> str:
    raw = env.get("MAIL_FROM", "").strip() or "Fairground <fairground@example.org>"
    address = raw.rsplit("<", 1)[-1].rstrip(">").strip()
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise SettingsError("MAIL_FROM", f"is not an email address ({exc})") from None
    return raw


def _timezone(env: dict[str, str]) -> str:
    raw = env.get("TIMEZONE", "").strip() or "Europe/London"
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError("TIMEZONE", f"{raw!r} is not a time zone name") from None
    return raw


def _secret_key(env: dict[str, str], var_dir: Path) -> str:
    raw = env.get("SECRET_KEY", "").strip()
    if raw:
        if len(raw) < 32:
            raise SettingsError("SECRET_KEY", "must be at least 32 characters long")
        return raw
    path = var_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def _writable(directory: Path, variable: str) -> None:
    """A read-only mount or a full disk stops start-up here, naming the directory."""
    try:
        probe_directory(directory)
    except OSError as exc:
        target = "a file in a directory" if variable == "DATABASE_URL" else "a directory"
        raise SettingsError(
            variable,
            f"cannot write to {directory} ({plain_reason(exc)}); "
            f"set {variable} to {target} that can be written to",
        ) from None


def _var_dir(env: dict[str, str]) -> Path:
    var_dir = Path(env.get("VAR_DIR", "").strip() or "var").resolve()
    _writable(var_dir, "VAR_DIR")
    return var_dir


def _check_directories(env: dict[str, str], settings: Settings) -> None:
    """Every other directory we write to: the SQLite file's, the mail files', the keys'."""
    if settings.is_sqlite:
        path = Path(unquote(settings.database_url.removeprefix("sqlite:///")))
        _writable(path.resolve().parent, "DATABASE_URL" if env.get("DATABASE_URL") else "VAR_DIR")
    if settings.smtp_url is None:
        _writable(settings.mail_dir, "VAR_DIR")
    keys = env.get("TICKET_SIGNING_KEY_DIR", "").strip()
    if keys:
        _writable(Path(keys).resolve(), "TICKET_SIGNING_KEY_DIR")
    else:
        _writable(settings.var_dir / "keys", "VAR_DIR")


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read and check every setting; raise SettingsError naming the bad variable."""
    env = dict(os.environ if env is None else env)
    var_dir = _var_dir(env)
    port = _int(env, "PORT", 8000, minimum=1)
    if port > 65535:
        raise SettingsError("PORT", f"must be at most 65535, not {port}")
    base_url = _url(env, "BASE_URL", f"http://localhost:{port}", ("http", "https"))
    settings = Settings(
        database_url=_database_url(env, var_dir),
        secret_key=_secret_key(env, var_dir),
        base_url=base_url,
        port=port,
        smtp_url=_smtp_url(env),
        mail_from=_mail_from(env),
        timezone=_timezone(env),
        var_dir=var_dir,
        rate_limit_per_minute=_int(env, "RATE_LIMIT_PER_MINUTE", 60),
        max_body_bytes=_int(env, "MAX_BODY_BYTES", 1_000_000, minimum=1024),
        reminder_hours_before=_int(env, "REMINDER_HOURS_BEFORE", 24, minimum=1),
        secure_cookies=base_url.startswith("https://"),
        outbox_lease_seconds=_int(env, "OUTBOX_LEASE_SECONDS", 120, minimum=4),
        pseudo_locale=_int(env, "PSEUDO_LOCALE", 0, minimum=0) == 1,
    )
    _check_directories(env, settings)
    return settings


def check_worker_environment(env: dict[str, str] | None = None) -> None:
    """The worker writes the links in every email and invite, so it must know the public
    address. It cannot work it out from PORT: honcho (`make run`) gives each process of
    the Procfile its own (the worker PORT+100), which nothing serves. Without BASE_URL
    and PORT both fall back to the web's default address."""
    env = dict(os.environ if env is None else env)
    if env.get("PORT", "").strip() and not env.get("BASE_URL", "").strip():
        raise SettingsError(
            "BASE_URL",
            "must be set for the worker: the address people reach the web process at "
            "(e.g. http://localhost:8000); PORT is this process's own port, not the web's",
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
