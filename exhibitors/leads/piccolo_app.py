import os

from piccolo.conf.apps import AppConfig

from exhibitors.leads import tables

HERE = os.path.dirname(__file__)

APP_CONFIG = AppConfig(
    app_name="leads",
    migrations_folder_path=os.path.join(HERE, "piccolo_migrations"),
    table_classes=[
        tables.Lead,
        tables.RoutingRule,
        tables.CouncilJobFamily,
        tables.LeadDelivery,
        tables.CouncilWebhook,
        tables.WebhookSend,
        tables.DigestLog,
        tables.EventJob,
    ],
    migration_dependencies=["exhibitors.piccolo_app"],
    commands=[],
)
