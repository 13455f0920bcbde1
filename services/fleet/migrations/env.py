"""Alembic environment for fleet: the service's metadata, URL from its settings."""

from fleet.db import metadata
from mobility_platform.migrations import run_migrations

run_migrations(metadata, env_prefix="FLEET_")
