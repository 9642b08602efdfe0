"""`fair user invite` and `fair user reset-2fa`: people by email and organisation name."""

from __future__ import annotations

import argparse
from typing import Any


async def _organisation(name_or_code: str) -> int:
    """By name, short code or council code (fairground.organisations), never an id."""
    from fairground.organisations import organisation_by_name_or_code

    return int((await organisation_by_name_or_code(name_or_code))["id"])


async def _invite(args: argparse.Namespace) -> int:
    from fairground import people

    org = await _organisation(args.org) if args.org else None
    user_id = await people.invite(
        None,
        email=args.email,
        name=args.name or args.email.split("@")[0],
        role=args.role,
        council_code=args.council_code or "",
        organisation_id=org,
    )
    if args.org and args.role == "council":
        from fairground.tables import User

        await User.update({User.managed_by: org}).where(User.id == user_id)
    print(f"Invited {args.email}: the email with the link is queued (fair worker sends it).")
    return 0


async def _reset_two_factor(args: argparse.Namespace) -> int:
    from fairground import accounts, people

    user_id = await accounts.user_id_by_email(args.email)
    await people.reset_two_factor(None, user_id)
    print(f"Two-factor sign-in of {args.email} is reset: they set it up at their next sign-in.")
    return 0


def add_commands(user: Any) -> None:
    """Add the people commands to `fair user`."""
    invite = user.add_parser("invite", help="invite someone by email (a link to set a password)")
    invite.add_argument("--email", required=True)
    invite.add_argument("--name", help="their full name (default: the email's local part)")
    invite.add_argument(
        "--role", required=True, choices=["organiser", "door", "exhibitor", "council", "superuser"]
    )
    invite.add_argument(
        "--org",
        help="their organisation (organiser, door), or the body that "
        "manages a council recruiter: its name or code",
    )
    invite.add_argument("--council-code", help="council recruiter: the council's code")
    invite.set_defaults(handler=_invite)
    reset = user.add_parser("reset-2fa", help="reset a lost two-factor device")
    reset.add_argument("--email", required=True)
    reset.set_defaults(handler=_reset_two_factor)
