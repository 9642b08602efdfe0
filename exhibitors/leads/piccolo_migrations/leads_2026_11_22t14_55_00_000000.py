from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T14:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one lead per exhibitor and attendee; one delivery per lead and council"

INDEXES = {
    "lead_exhibitor_registration": "ON lead (exhibitor, registration)",
    "lead_follow_up_registration": "ON lead (registration) WHERE exhibitor IS NULL",
    "lead_delivery_lead_council": "ON lead_delivery (lead, council)",
    "routing_rule_event_rule": "ON routing_rule (event, rule)",
    "council_job_family_unique": "ON council_job_family (event, council, job_family)",
    "event_job_event_job": "ON event_job (event, job)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="leads", description=DESCRIPTION)

    async def run():
        for name, target in INDEXES.items():
            await engine_finder().run_ddl(f"CREATE UNIQUE INDEX {name} {target}")

    async def run_backwards():
        for name in INDEXES:
            await engine_finder().run_ddl(f"DROP INDEX {name}")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
