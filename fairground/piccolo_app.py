import os

from piccolo.conf.apps import AppConfig

from fairground import tables

HERE = os.path.dirname(__file__)

APP_CONFIG = AppConfig(
    app_name="fairground",
    migrations_folder_path=os.path.join(HERE, "piccolo_migrations"),
    table_classes=[
        tables.Organisation,
        tables.JobFamily,
        tables.User,
        tables.ApiToken,
        tables.PasswordReset,
        tables.OutboxMessage,
        tables.AuditLog,
        tables.StoreEntry,
        tables.RecoveryCode,
        tables.TrustedDevice,
        tables.StaffSession,
        tables.SignIn,
    ],
    migration_dependencies=[],
    commands=[],
)
