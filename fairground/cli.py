"""`fair`: the command line. Every command runs without prompts when given its options."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Coroutine
from typing import Any

from fairground.settings import SettingsError, check_worker_environment, get_settings


def _run(coro: Coroutine[Any, Any, int]) -> int:
    async def run_and_close() -> int:
        from fairground.db import stop_engine

        try:
            return await coro
        finally:
            await stop_engine()  # kept-open SQLite connections would keep the process alive

    return asyncio.run(run_and_close())


async def _migrate() -> int:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = await run_forwards(app_name="all")
    if not result.success:
        print(f"Migrations failed: {result.message}", file=sys.stderr)
        return 1
    from fairground.seed import seed_reference_data

    await seed_reference_data()
    return 0


async def _scope_organisation(args: argparse.Namespace) -> int | None:
    from fairground.accounts import organisation_id_for_council
    from fairground.errors import Invalid
    from fairground.organisations import organisation_by_name_or_code

    if args.council:
        return await organisation_id_for_council(args.council)
    if args.org:
        org = await organisation_by_name_or_code(args.org)
        if args.role == "partner" and org["kind"] != "partner":
            raise Invalid(f"{org['name']} is not a partner", fields={"org": "Not a partner"})
        return int(org["id"])
    return None


async def _grant(args: argparse.Namespace, user_id: int) -> None:
    from events.services import assign_door_staff, get_event

    if args.event:
        event = await get_event(args.event)
        await assign_door_staff(event["id"], user_id)
    if args.exhibitor is not None:
        from exhibitors.services import add_exhibitor_staff

        await add_exhibitor_staff(args.exhibitor, user_id)


def _check_scope(args: argparse.Namespace) -> str | None:
    needs = {
        "organiser": "org",
        "door": "event",
        "exhibitor": "exhibitor",
        "council": "council",
        "partner": "org",
    }
    wanted = needs.get(args.role)
    if wanted and getattr(args, wanted) in (None, ""):
        return f"--role {args.role} needs --{wanted}"
    return None


async def _user_create(args: argparse.Namespace) -> int:
    from fairground.accounts import create_user
    from fairground.db import write_transaction

    problem = _check_scope(args)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    password = args.password
    if password is None and sys.stdin.isatty():
        password = getpass.getpass("Password (leave empty to send a reset link later): ") or None
    async with write_transaction():
        user_id = await create_user(
            email=args.email,
            name=args.name,
            role=args.role,
            password=password,
            organisation_id=await _scope_organisation(args),
        )
        await _grant(args, user_id)
    print(f"Created {args.role} {args.email} (id {user_id})")
    return 0


async def _partner_create(args: argparse.Namespace) -> int:
    from fairground.organisations import create_partner

    org = await create_partner(args.name, args.kind, args.code)
    print(f"Created partner {org['name']} (short code {org['short_code']})")
    return 0


async def _partner_invite(args: argparse.Namespace) -> int:
    from events.services import get_event
    from registrations.partners import invite_partner

    event = await get_event(args.event)
    org = await invite_partner(event["id"], args.partner, actor_id=None)
    print(f"Invited {org['name']} to {event['slug']}: ?via={org['short_code']}")
    return 0


async def _token_create(args: argparse.Namespace) -> int:
    from fairground.accounts import create_token, user_id_by_email

    print(await create_token(await user_id_by_email(args.email), args.label or "cli"))
    return 0


async def _demo(_: argparse.Namespace) -> int:
    from fairground.demo import seed_demo

    for line in await seed_demo():
        print(line)
    return 0


async def _worker(args: argparse.Namespace) -> int:
    from fairground.worker import run_forever, run_once

    if args.once:
        from fairground.db import start_engine, stop_engine

        await start_engine()
        try:
            print(f"Did {await run_once()} things")
        finally:
            await stop_engine()
        return 0
    await run_forever()
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fair", description="Fairground administration")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="run migrations and load reference data").set_defaults(
        handler=lambda a: _migrate()
    )
    user = sub.add_parser("user", help="staff users").add_subparsers(dest="action", required=True)
    create = user.add_parser("create", help="create a staff user")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument(
        "--role",
        required=True,
        choices=["organiser", "door", "exhibitor", "council", "partner", "superuser"],
    )
    create.add_argument("--password")
    scope = create.add_mutually_exclusive_group()
    scope.add_argument("--event", help="door staff: the event's slug")
    scope.add_argument(
        "--org", help="organiser or partner staff: the organisation's name or short code"
    )
    scope.add_argument("--exhibitor", type=int, help="exhibitor staff: the exhibitor's id")
    scope.add_argument("--council", help="council recruiter: the council's code")
    create.set_defaults(handler=_user_create)
    partner = sub.add_parser("partner", help="employability partners").add_subparsers(
        dest="action", required=True
    )
    partner_create = partner.add_parser("create", help="create a partner organisation")
    partner_create.add_argument("--name", required=True)
    partner_create.add_argument(
        "--kind", required=True, choices=["jobcentre", "refugee", "college", "charity", "other"]
    )
    partner_create.add_argument(
        "--code", help="its short (referral) code; from the name if left out"
    )
    partner_create.set_defaults(handler=_partner_create)
    partner_invite = partner.add_parser("invite", help="invite a partner to a fair")
    partner_invite.add_argument("--event", required=True, help="the event's slug")
    partner_invite.add_argument("--partner", required=True, help="the partner's name or short code")
    partner_invite.set_defaults(handler=_partner_invite)
    from fairground.cli_people import add_commands

    add_commands(user)  # invite, reset-2fa
    token = sub.add_parser("token", help="API tokens").add_subparsers(dest="action", required=True)
    token_create = token.add_parser("create", help="create a token; prints it alone")
    token_create.add_argument("--email", required=True)
    token_create.add_argument("--label", default="")
    token_create.set_defaults(handler=_token_create)
    sub.add_parser("demo", help="seed the demo fair (idempotent)").set_defaults(handler=_demo)
    worker = sub.add_parser("worker", help="send email and run scheduled jobs")
    worker.add_argument("--once", action="store_true", help="one pass, then exit")
    worker.set_defaults(handler=_worker)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    from fairground.errors import DomainError

    try:
        if args.command == "worker":
            check_worker_environment()
        get_settings()  # every setting and writable directory checked before any work
        return _run(args.handler(args))
    except SettingsError as exc:
        print(f"Fairground cannot start: {exc}", file=sys.stderr)
        return 2
    except DomainError as exc:
        details = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
        print(f"Error: {exc.detail}" + (f" ({details})" if details else ""), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
