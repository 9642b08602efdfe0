from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.engine.finder import engine_finder

ID = "2026-12-03T13:42:33:821448"
VERSION = "1.38.0"
DESCRIPTION = "a registration's email is optional (walk-ups at the door)"

# SQLite has no ALTER COLUMN. Dropping a NOT NULL changes nothing stored, which is
# the case SQLite's documentation allows to edit in the schema text itself
# (https://www.sqlite.org/lang_altertable.html, "otherwise alter table").
# The unique index (event, email) stays: both engines let NULLs repeat in it.
SQLITE_OLD = "\"email\" VARCHAR(254) NOT NULL DEFAULT ''"
SQLITE_NEW = '"email" VARCHAR(254) DEFAULT null'


async def _sqlite_drop_not_null() -> None:
    engine = engine_finder()
    version = (await engine.run_ddl("PRAGMA schema_version"))[0]["schema_version"]
    await engine.run_ddl("PRAGMA writable_schema = ON")
    await engine.run_ddl(
        "UPDATE sqlite_master SET sql = replace(sql, '"
        + SQLITE_OLD.replace("'", "''")
        + "', '"
        + SQLITE_NEW
        + "') WHERE type = 'table' AND name = 'registration'"
    )
    await engine.run_ddl(f"PRAGMA schema_version = {int(version) + 1}")
    await engine.run_ddl("PRAGMA writable_schema = OFF")


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="registrations", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="Registration",
        tablename="registration",
        column_name="email",
        db_column_name="email",
        params={"default": None, "null": True},
        old_params={"default": "", "null": False},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    if engine_finder().engine_type == "sqlite":

        async def alter_on_sqlite(backwards: bool = False) -> None:
            if not backwards:
                await _sqlite_drop_not_null()

        manager._run_alter_columns = alter_on_sqlite  # the Postgres DDL SQLite lacks

    return manager
