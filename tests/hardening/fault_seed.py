"""Migrate a private database and seed a fair for the database-fault tests.

Run as `python -m tests.hardening.fault_seed <tickets> <out.json>` with
DATABASE_URL and VAR_DIR naming the private database (the test process's own
engine is bound to the run's shared database). Writes {slug, event_id,
door_token, organiser_token, door_email, organiser_email,
tickets: [{id, code, reference}]}.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import secrets
import sys
from pathlib import Path
from typing import Any


async def seed(tickets: int) -> dict[str, Any]:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from fairground.db import start_engine, stop_engine
    from fairground.seed import seed_reference_data
    from registrations.services import RegistrationInput, register_attendee
    from registrations.tables import Registration
    from tests.factories import add_door, make_open_event, make_org, make_user, token_for

    with contextlib.redirect_stdout(io.StringIO()):
        result = await run_forwards(app_name="all")
    assert result.success, result.message
    await start_engine()
    try:
        await seed_reference_data()
        org = await make_org("Fault test council")
        organiser = await make_user("organiser", org=org)
        door = await make_user("door")
        event = await make_open_event(org=org, capacity=tickets)
        await add_door(event["id"], door["id"])
        # One through the service, the rest written in bulk the same way (a
        # registration at a time takes seconds on a busy machine).
        await register_attendee(event["slug"], RegistrationInput(name="First", email="f@x.org"))
        await _bulk_confirmed(event["id"], tickets - 1)
        rows = await Registration.select(
            Registration.id, Registration.ticket_code, Registration.reference
        ).order_by(Registration.id)
        return {
            "slug": event["slug"],
            "event_id": event["id"],
            "door_token": await token_for(door),
            "organiser_token": await token_for(organiser),
            "door_email": door["email"],
            "organiser_email": organiser["email"],
            "organiser_totp_secret": organiser["totp_secret"],  # the second step
            "tickets": [
                {"id": r["id"], "code": r["ticket_code"], "reference": r["reference"]} for r in rows
            ],
        }
    finally:
        await stop_engine()


async def _bulk_confirmed(event_id: int, count: int) -> None:
    from fairground.db import write_transaction
    from registrations.services import new_reference
    from registrations.tables import Registration
    from registrations.tickets import sign_ticket

    async with write_transaction():
        people = [
            Registration(
                event=event_id,
                reference=new_reference(),
                manage_token=secrets.token_urlsafe(32),
                name=f"Person {n}",
                email=f"p{n}@example.org",
                status="confirmed",
            )
            for n in range(count)
        ]
        for row in await Registration.insert(*people).returning(Registration.id):
            code = sign_ticket(row["id"], event_id)
            await Registration.update({Registration.ticket_code: code}).where(
                Registration.id == row["id"]
            )


if __name__ == "__main__":
    world = asyncio.run(seed(int(sys.argv[1])))
    Path(sys.argv[2]).write_text(json.dumps(world))
