"""Alembic environment for notification: the service's metadata, URL from its settings."""

from mobility_platform.migrations import run_migrations
from notification.db import metadata

run_migrations(metadata, env_prefix="NOTIFICATION_")
