"""The `fair` command line, run as a real process against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from events.tables import DoorAssignment, Event
from fairground.accounts import principal_for_token
from fairground.tables import Organisation, User
from tests.factories import make_event, make_org

ROOT = Path(__file__).resolve().parents[2]


def fair(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fairground.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )


async def test_user_create_and_token_create() -> None:
    org = await make_org()
    org_name = (await Organisation.select(Organisation.name).where(Organisation.id == org).first())[
        "name"
    ]
    created = fair(
        "user",
        "create",
        "--email",
        "Olu@Example.org",
        "--name",
        "Olu",
        "--role",
        "organiser",
        "--org",
        org_name,
        "--password",
        "a long password",
    )
    assert created.returncode == 0, created.stderr
    user = await User.select().where(User.email == "olu@example.org").first()
    assert user is not None and user["role"] == "organiser" and user["organisation"] == org
    token = fair("token", "create", "--email", "olu@example.org")
    assert token.returncode == 0, token.stderr
    assert token.stdout.count("\n") == 1
    principal = await principal_for_token(token.stdout.strip())
    assert principal is not None and principal.email == "olu@example.org"


async def test_door_user_is_assigned_to_the_event() -> None:
    event = await make_event()
    result = fair(
        "user",
        "create",
        "--email",
        "door@example.org",
        "--name",
        "Dee",
        "--role",
        "door",
        "--event",
        event["slug"],
        "--password",
        "a long password",
    )
    assert result.returncode == 0, result.stderr
    assert await DoorAssignment.count().where(DoorAssignment.event == event["id"]) == 1


async def test_council_user_needs_a_known_council() -> None:
    bad = fair(
        "user",
        "create",
        "--email",
        "c@example.org",
        "--name",
        "C",
        "--role",
        "council",
        "--council",
        "E99999999",
        "--password",
        "a long password",
    )
    assert bad.returncode == 1
    assert "council" in bad.stderr.lower()
    missing = fair(
        "user",
        "create",
        "--email",
        "c@example.org",
        "--name",
        "C",
        "--role",
        "council",
        "--password",
        "a long password",
    )
    assert missing.returncode == 2 and "--council" in missing.stderr
    assert not await User.exists().where(User.email == "c@example.org")


async def test_duplicate_user_and_short_password_are_clear_errors() -> None:
    args = ["user", "create", "--email", "s@example.org", "--name", "S", "--role", "superuser"]
    assert fair(*args, "--password", "short").returncode == 1
    assert fair(*args, "--password", "long enough now").returncode == 0
    again = fair(*args, "--password", "long enough now")
    assert again.returncode == 1 and "already exists" in again.stderr


async def test_demo_is_idempotent() -> None:
    first = fair("demo")
    assert first.returncode == 0, first.stderr
    assert "organiser@example.org" in first.stdout and "door@example.org" in first.stdout
    second = fair("demo")
    assert second.returncode == 0, second.stderr
    events = await Event.select().where(Event.slug == "west-midlands-public-sector-careers-fair")
    assert len(events) == 1
    event = events[0]
    assert event["capacity"] == 2000 and event["status"] == "published"
    assert event["starts_at"].astimezone().weekday() == 3  # a Thursday
    assert (
        await User.count().where(User.email.is_in(["organiser@example.org", "door@example.org"]))
        == 2
    )


async def test_user_invite_by_organisation_name_and_reset_2fa() -> None:
    from fairground.tables import AuditLog, OutboxMessage
    from tests.factories import make_user

    await make_org("West Midlands Employers")
    invited = fair(
        "user", "invite", "--email", "ana@example.org", "--name", "Ana Pop",
        "--role", "organiser", "--org", "west midlands employers",
    )  # fmt: skip
    assert invited.returncode == 0, invited.stderr
    user = await User.select(User.password_hash).where(User.email == "ana@example.org").first()
    assert user is not None and user["password_hash"] == ""
    assert await OutboxMessage.exists().where(OutboxMessage.recipient == "ana@example.org")
    unknown = fair(
        "user", "invite", "--email", "x@example.org", "--role", "organiser", "--org", "Nope"
    )
    assert unknown.returncode != 0 and "No organisation is named" in unknown.stderr
    lost = await make_user("organiser", org=await make_org())
    reset = fair("user", "reset-2fa", "--email", lost["email"])
    assert reset.returncode == 0, reset.stderr
    row = await User.select(User.totp_enabled_at).where(User.id == lost["id"]).first()
    assert row is not None and row["totp_enabled_at"] is None
    assert await AuditLog.exists().where(AuditLog.action == "two_factor_reset")
