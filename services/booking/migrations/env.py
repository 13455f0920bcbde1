"""Alembic environment for booking: the service's metadata, URL from its settings."""

from mobility_platform.migrations import run_migrations

from booking.db import metadata

run_migrations(metadata, env_prefix="BOOKING_")
