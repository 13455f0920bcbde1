"""Alembic environment for pricing: the service's metadata, URL from its settings."""

from mobility_platform.migrations import run_migrations
from pricing.db import metadata

run_migrations(metadata, env_prefix="PRICING_")
