import os

from piccolo.conf.apps import AppConfig

from exhibitors.interviews import tables

HERE = os.path.dirname(__file__)

APP_CONFIG = AppConfig(
    app_name="interviews",
    migrations_folder_path=os.path.join(HERE, "piccolo_migrations"),
    table_classes=[
        tables.InterviewPolicy,
        tables.InterviewSchedule,
        tables.InterviewSlot,
        tables.InterviewBooking,
        tables.InterviewInvitation,
    ],
    migration_dependencies=["exhibitors.leads.piccolo_app"],
    commands=[],
)
