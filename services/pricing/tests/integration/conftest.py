"""One migrated database and one running pricing app (real PostgreSQL, Redis, Kafka) per run."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from contracts import topics
from mobility_platform.kafka import ensure_topics
from mobility_platform.settings import KafkaSettings
from mobility_platform.testing import app_client
from mobility_platform.testing.plugin import AuthKeys, Databases
from pricing.app import create_app
from pricing_api import ALEMBIC_INI, PricingApi, ShiftableClock, make_settings
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


@pytest.fixture(scope="session")
async def pricing_db(databases: Databases) -> str:
    return await databases.migrated("pricing", ALEMBIC_INI)


@pytest.fixture(scope="session")
async def pricing_kafka(kafka_bootstrap: str, run_id: str) -> KafkaSettings:
    """Topics exist before any consumer subscribes (the broker does not auto-create them)."""
    settings = KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=f"t{run_id}.pricing.")
    await ensure_topics(settings, [topics.BOOKING], partitions=1)
    return settings


@pytest.fixture(scope="session")
def clock() -> ShiftableClock:
    return ShiftableClock()


@pytest.fixture(scope="session")
async def pricing(
    pricing_db: str,
    redis_url: str,
    pricing_kafka: KafkaSettings,
    auth_keys: AuthKeys,
    clock: ShiftableClock,
) -> AsyncIterator[PricingApi]:
    settings = make_settings(
        database_url=pricing_db, redis_url=redis_url, kafka=pricing_kafka, keys=auth_keys
    )
    async with app_client(create_app(settings, clock=clock)) as http:
        yield PricingApi(http, auth_keys, settings)


@pytest.fixture(scope="session")
async def pricing_engine(pricing_db: str) -> AsyncIterator[AsyncEngine]:
    """Direct database access, for asserting that nothing was written."""
    engine = create_async_engine(pricing_db, pool_size=2)
    yield engine
    await engine.dispose()
