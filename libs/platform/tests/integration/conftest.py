"""Real PostgreSQL + Kafka fixtures for the outbox/inbox tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from mobility_platform.kafka import ensure_topics
from mobility_platform.settings import KafkaSettings
from mobility_platform.testing.plugin import Databases
from platform_harness import TOPIC, Harness, metadata
from sqlalchemy.ext.asyncio import create_async_engine


@pytest.fixture
async def harness(databases: Databases, kafka_settings: KafkaSettings) -> AsyncIterator[Harness]:
    url = await databases.create("outbox")
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await engine.dispose()
    await ensure_topics(kafka_settings, [TOPIC], partitions=3)
    h = Harness(url, kafka_settings)
    yield h
    await h.close()
