"""The whole platform, started once per e2e session through the same launcher as `make run`.

Its databases (`e2e_<run>_*`), topics (`e2e<run>.*`) and ports (+20000) are private to the run,
so it never collides with a developer's `make run`. Logs: .cache/e2e/<run>/<service>.log.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from e2e_clients import OVERRIDES, Platform
from mobility_platform.devstack import Stack, StackOptions
from mobility_platform.testing.plugin import Infra, require

E2E_FLEET_SIZE = 300


@pytest.fixture(scope="session")
async def platform(infra: Infra, run_id: str) -> AsyncIterator[Platform]:
    for component, port in [
        ("PostgreSQL", infra.pg_port),
        ("Redis", infra.redis_port),
        ("Kafka", infra.kafka_port),
        ("Mosquitto", infra.mqtt_port),
        ("stripe-mock", infra.stripe_mock_port),
        ("SMTP server", infra.smtp_port),
    ]:
        require(component, port)
    stack = Stack(
        StackOptions(
            repo=infra.repo_root,
            database_prefix=f"e2e_{run_id}_",
            topic_prefix=f"e2e{run_id}.",
            port_offset=20000,
            demo_fleet_size=E2E_FLEET_SIZE,
            log_dir=Path(infra.repo_root) / ".cache" / "e2e" / run_id,
            overrides=OVERRIDES,
        )
    )
    platform = Platform(stack, infra)
    try:
        await stack.up()
        yield platform
    finally:
        await platform.aclose()
        platform.remove_vehicle_credentials()
        stack.stop_all()
        await stack.drop_databases()
        await stack.drop_topics()


@pytest.fixture(scope="session")
async def fleet_ready(platform: Platform) -> Platform:
    """The platform with its demo fleet seeded, online and searchable."""
    await platform.wait_for_fleet()
    return platform
