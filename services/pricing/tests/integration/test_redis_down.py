"""Redis is a cache: with a private Redis stopped, batch prices and quotes still answer."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Iterator

import pytest
from mobility_platform.settings import KafkaSettings
from mobility_platform.testing import app_client, wait_until
from mobility_platform.testing.plugin import AuthKeys
from pricing.app import create_app
from pricing_api import PricingApi, free_port, make_settings, vehicle
from pricing_factories import unique_city
from redis.asyncio import Redis
from redis.exceptions import RedisError


@pytest.fixture
def private_redis() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Our own redis-server on a free port (never the shared one): this test stops it."""
    port = free_port()
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"redis://127.0.0.1:{port}/0", process
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
async def pricing_on_private_redis(
    private_redis: tuple[str, subprocess.Popen[bytes]],
    pricing_db: str,
    pricing_kafka: KafkaSettings,
    auth_keys: AuthKeys,
) -> AsyncIterator[PricingApi]:
    url, _ = private_redis

    async def pong() -> bool:
        client = Redis.from_url(url)
        try:
            return bool(await client.ping())
        except RedisError:
            return False
        finally:
            await client.aclose()

    await wait_until(pong, message="private redis-server up")
    settings = make_settings(
        database_url=pricing_db, redis_url=url, kafka=pricing_kafka, keys=auth_keys
    )
    async with app_client(create_app(settings)) as http:
        yield PricingApi(http, auth_keys, settings)


async def test_batch_and_quotes_answer_with_redis_down(
    pricing_on_private_redis: PricingApi, private_redis: tuple[str, subprocess.Popen[bytes]]
) -> None:
    pricing = pricing_on_private_redis
    city = unique_city()
    await pricing.add_rule(city, per_minute=25)
    items = [vehicle(city) for _ in range(20)]
    warm = await pricing.batch(*items)
    assert warm.status_code == 200
    hits = await pricing.metric("pricing_price_cache_total", outcome="hit")
    assert (await pricing.batch(*items)).json() == warm.json()
    assert await pricing.metric("pricing_price_cache_total", outcome="hit") > hits  # Redis used

    _, process = private_redis
    process.terminate()
    await asyncio.to_thread(process.wait, 10)

    for _ in range(5):  # first calls see the errors, then the breaker skips Redis entirely
        down = await pricing.batch(*items)
        assert down.status_code == 200, down.text
        assert down.json() == warm.json()
    assert (await pricing.quote(city)).status_code == 201
