from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T14:46:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one stand code per event"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="exhibitors", description=DESCRIPTION)

    async def run():
        await engine_finder().run_ddl("CREATE UNIQUE INDEX stand_event_code ON stand (event, code)")

    async def run_backwards():
        await engine_finder().run_ddl("DROP INDEX stand_event_code")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
