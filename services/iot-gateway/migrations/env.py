"""Alembic environment for iot-gateway: the service's metadata, URL from its settings."""

from iot_gateway.db import metadata
from mobility_platform.migrations import run_migrations

run_migrations(metadata, env_prefix="IOT_GATEWAY_")
