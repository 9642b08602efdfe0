import os

from piccolo.conf.apps import AppConfig

from registrations import tables

HERE = os.path.dirname(__file__)

APP_CONFIG = AppConfig(
    app_name="registrations",
    migrations_folder_path=os.path.join(HERE, "piccolo_migrations"),
    table_classes=[
        tables.Registration,
        tables.AccessRequest,
        tables.EqualityResponse,
        tables.CheckIn,
        tables.EventPartner,
    ],
    migration_dependencies=["events.piccolo_app"],
    commands=[],
)
