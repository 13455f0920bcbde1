"""Alembic environment for payment: the service's metadata, URL from its settings."""

from mobility_platform.migrations import run_migrations
from payment.db import metadata

run_migrations(metadata, env_prefix="PAYMENT_")
