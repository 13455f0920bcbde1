"""Alembic environment for booking: the service's metadata, URL from its settings."""

from booking.db import metadata
from mobility_platform.migrations import run_migrations

run_migrations(metadata, env_prefix="BOOKING_")
