from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-04T21:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "organisations: a short code (a partner's referral code) and a kind of partner"


def _params(length, default, null):
    return {
        "length": length,
        "default": default,
        "null": null,
        "primary_key": False,
        "unique": False,  # short_code's unique index comes with its backfill (next migration)
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="fairground", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Organisation",
        tablename="organisation",
        column_name="short_code",
        db_column_name="short_code",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_params(40, None, True),
        schema=None,
    )
    manager.add_column(
        table_class_name="Organisation",
        tablename="organisation",
        column_name="partner_kind",
        db_column_name="partner_kind",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_params(20, "", False),
        schema=None,
    )
    return manager
