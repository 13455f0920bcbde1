"""Alembic environment for fleet: the service's metadata, URL from its settings."""

from mobility_platform.migrations import run_migrations

from fleet.db import metadata

run_migrations(metadata, env_prefix="FLEET_")
