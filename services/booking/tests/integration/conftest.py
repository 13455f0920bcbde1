"""Real PostgreSQL (booking's migrations), Redis and Kafka; the peers are local HTTP stubs."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from booking_integration import Env
from booking_peer_stubs import StubState, serve_stubs
from mobility_platform.settings import KafkaSettings
from mobility_platform.testing.plugin import AuthKeys, Databases
from sqlalchemy.ext.asyncio import create_async_engine

ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"


@pytest.fixture(scope="session")
async def booking_database(databases: Databases) -> str:
    """One migrated database for the run; tests use their own riders and vehicles."""
    return await databases.migrated("booking", ALEMBIC_INI)


@pytest.fixture(scope="session")
async def stubs() -> AsyncIterator[tuple[str, StubState]]:
    async with serve_stubs() as served:
        yield served


@pytest.fixture
async def env(
    booking_database: str,
    redis_url: str,
    kafka_settings: KafkaSettings,
    auth_keys: AuthKeys,
    stubs: tuple[str, StubState],
) -> AsyncIterator[Env]:
    async with _env(booking_database, redis_url, kafka_settings, auth_keys, stubs) as made:
        yield made


@pytest.fixture
async def own_env(
    databases: Databases,
    redis_url: str,
    kafka_settings: KafkaSettings,
    auth_keys: AuthKeys,
    stubs: tuple[str, StubState],
) -> AsyncIterator[Env]:
    """An Env with a database of its own: for tests where the outbox relay publishes (it
    publishes in order, so other tests' unpublished rows must not be in its way)."""
    url = await databases.migrated("booking", ALEMBIC_INI)
    async with _env(url, redis_url, kafka_settings, auth_keys, stubs) as made:
        yield made


@contextlib.asynccontextmanager
async def _env(
    database_url: str,
    redis_url: str,
    kafka_settings: KafkaSettings,
    auth_keys: AuthKeys,
    stubs: tuple[str, StubState],
) -> AsyncIterator[Env]:
    engine = create_async_engine(database_url, pool_size=2)
    url, state = stubs
    state.down.clear()
    try:
        yield Env(database_url, redis_url, kafka_settings, auth_keys, url, state, engine)
    finally:
        state.down.clear()
        await engine.dispose()
