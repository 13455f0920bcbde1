"""Real PostgreSQL, Redis, Kafka and SMTP for the notification service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from contracts import topics
from fastapi import FastAPI
from mobility_platform.kafka import ensure_topics
from mobility_platform.settings import KafkaSettings
from mobility_platform.testing.plugin import AuthKeys, Databases, Infra
from notification.app import create_app
from notification_harness import ALEMBIC_INI, Kafka, Log, Mailbox, settings


@pytest.fixture
async def db_url(databases: Databases) -> str:
    return await databases.migrated("notification", ALEMBIC_INI)


@pytest.fixture
async def kafka(kafka_settings: KafkaSettings) -> AsyncIterator[Kafka]:
    bases = [topics.BOOKING, topics.PAYMENT, topics.IOT, topics.NOTIFICATION]
    await ensure_topics(kafka_settings, bases, partitions=3)
    client = Kafka(kafka_settings)
    yield client
    await client.close()


@pytest.fixture
def make_app(
    db_url: str,
    redis_url: str,
    kafka: Kafka,
    auth_keys: AuthKeys,
    smtp_server: Infra,
) -> Callable[..., FastAPI]:
    """The notification app on this test's database and topics (SMTP: the shared sink)."""

    def build(**overrides: Any) -> FastAPI:
        overrides.setdefault("smtp_port", smtp_server.smtp_port)
        return create_app(
            settings(
                database_url=db_url,
                redis_url=redis_url,
                kafka=kafka.settings,
                auth=auth_keys.settings(),
                **overrides,
            )
        )

    return build


@pytest.fixture(scope="session")
def shared_mailbox(smtp_server: Infra) -> Mailbox:
    return Mailbox(smtp_server.smtp_maildir)


@pytest.fixture
async def log(db_url: str) -> AsyncIterator[Log]:
    reader = Log(db_url)
    yield reader
    await reader.close()
