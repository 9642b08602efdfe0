import os

from piccolo.conf.apps import AppConfig

from events import tables

HERE = os.path.dirname(__file__)

APP_CONFIG = AppConfig(
    app_name="events",
    migrations_folder_path=os.path.join(HERE, "piccolo_migrations"),
    table_classes=[tables.Event, tables.Slot, tables.DoorAssignment],
    migration_dependencies=["fairground.piccolo_app"],
    commands=[],
)
