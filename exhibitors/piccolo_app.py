import os

from piccolo.conf.apps import AppConfig

from exhibitors import tables

HERE = os.path.dirname(__file__)

APP_CONFIG = AppConfig(
    app_name="exhibitors",
    migrations_folder_path=os.path.join(HERE, "piccolo_migrations"),
    table_classes=[
        tables.Exhibitor,
        tables.ExhibitorStaff,
        tables.Vacancy,
        tables.Stand,
        tables.StandAllocation,
    ],
    migration_dependencies=["registrations.piccolo_app"],
    commands=[],
)
