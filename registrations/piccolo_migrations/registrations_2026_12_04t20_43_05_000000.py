from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T20:43:05:000000"
VERSION = "1.38.0"
DESCRIPTION = "a partner is invited to a fair once"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registrations", description=DESCRIPTION)

    async def run():
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX event_partner_event_org ON event_partner (event, organisation)"
        )

    async def run_backwards():
        await engine_finder().run_ddl("DROP INDEX event_partner_event_org")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
