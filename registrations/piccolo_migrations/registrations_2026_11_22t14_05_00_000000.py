from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T14:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one registration per email per event"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registrations", description=DESCRIPTION)

    async def run():
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX registration_event_email ON registration (event, email)"
        )

    async def run_backwards():
        await engine_finder().run_ddl("DROP INDEX registration_event_email")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
