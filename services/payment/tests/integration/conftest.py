"""Integration fixtures: a migrated payment database, Kafka prefix, real stripe-mock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from mobility_platform.settings import KafkaSettings, OutboxSettings
from mobility_platform.testing import app_client
from mobility_platform.testing.plugin import AuthKeys, Databases
from payment.app import create_app
from payment.settings import Settings, StripeSettings
from payment_support import WEBHOOK_SECRET, Peek
from sqlalchemy.ext.asyncio import create_async_engine

ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"


@pytest.fixture(scope="session")
async def payment_db(databases: Databases) -> str:
    """One database at `alembic upgrade head` per run; tests use unique booking ids."""
    return await databases.migrated("payment", ALEMBIC_INI)


@pytest.fixture
def stripe_settings(stripe_mock_url: str) -> StripeSettings:
    return StripeSettings(
        api_key="sk_test_123",  # type: ignore[arg-type]
        webhook_secret=WEBHOOK_SECRET,  # type: ignore[arg-type]
        api_base=stripe_mock_url,  # type: ignore[arg-type]
        stateless_mock=True,
        timeout_s=5,
    )


@pytest.fixture
def settings(
    payment_db: str,
    kafka_settings: KafkaSettings,
    auth_keys: AuthKeys,
    stripe_settings: StripeSettings,
) -> Settings:
    return Settings(
        database_url=payment_db,  # type: ignore[arg-type]
        kafka=kafka_settings,
        auth=auth_keys.settings(),
        stripe=stripe_settings,
        # The relay is off here: every test shares one database, and a relay would publish
        # other tests' rows to their (uncreated) prefixed topics. The Kafka test turns it on
        # over a database of its own.
        outbox=OutboxSettings(enabled=False),
        log_json=False,
        environment="test",
    )


@pytest.fixture
async def client(settings: Settings, auth_keys: AuthKeys) -> AsyncIterator[httpx.AsyncClient]:
    """The payment app (lifespan running) with booking's service token on every request."""
    async with app_client(create_app(settings)) as http:
        http.headers["Authorization"] = f"Bearer {auth_keys.service_token('booking')}"
        yield http


@pytest.fixture
async def peek(payment_db: str) -> AsyncIterator[Peek]:
    engine = create_async_engine(payment_db)
    yield Peek(engine)
    await engine.dispose()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """stripe-python's HTTPXClient passes the form body as `data=` (httpx prefers `content=`)."""
    here = Path(__file__).parent
    stripe_httpx = pytest.mark.filterwarnings(
        "ignore:Use 'content=<...>' to upload raw bytes/text content:DeprecationWarning"
    )
    for item in items:
        if here in item.path.parents:
            item.add_marker(stripe_httpx)
