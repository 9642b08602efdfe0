from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Date
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-04T20:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "a vacancy's closing date (optional)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="exhibitors", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Vacancy",
        tablename="vacancy",
        column_name="closes_on",
        db_column_name="closes_on",
        column_class_name="Date",
        column_class=Date,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )
    return manager
