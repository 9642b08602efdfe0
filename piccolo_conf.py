"""Piccolo's configuration: the engine comes from DATABASE_URL."""

from piccolo.conf.apps import AppRegistry

from fairground.db import make_engine
from fairground.settings import get_settings

DB = make_engine(get_settings().database_url)

APP_REGISTRY = AppRegistry(
    apps=[
        "fairground.piccolo_app",
        "events.piccolo_app",
        "registrations.piccolo_app",
        "exhibitors.piccolo_app",
        "exhibitors.leads.piccolo_app",
        "exhibitors.interviews.piccolo_app",
    ]
)
