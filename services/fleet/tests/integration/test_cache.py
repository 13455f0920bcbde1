"""The Redis cell cache on a real redis-server: TTLs, the stale-fill guard, the breaker, and
invalidations replayed after Redis hung."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from fleet import cells
from fleet.cache import RedisCellCache
from fleet.ports import CellKey
from fleet_testing import PrivateRedis
from mobility_platform.breaker import CircuitBreaker
from mobility_platform.runtime import make_redis
from mobility_platform.testing import wait_until
from redis.asyncio import Redis

LAT, LON = 50.11, 8.68
KEY = CellKey(cells.cell_of(LAT, LON, 6), "scooter")
ROW = (str(uuid.uuid4()), "scooter", LAT, LON, 80, "Frankfurt", "fra-c")


def _cache(redis: Redis, **breaker: float) -> RedisCellCache:
    return RedisCellCache(
        redis,
        breaker=CircuitBreaker(f"test-{uuid.uuid4().hex[:6]}", **breaker),  # type: ignore[arg-type]
        prefix=f"fleet-test-{uuid.uuid4().hex[:8]}",
        precision=6,
        ttl_s=30,
    )


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = make_redis(redis_url)
    yield client
    await client.aclose()


async def test_a_filled_cell_is_read_back_and_every_key_has_a_ttl(redis: Redis) -> None:
    cache = _cache(redis)
    read = await cache.read([KEY])
    assert read is not None
    assert read.cells == {KEY: None}
    await cache.write({KEY: [ROW]}, read)
    again = await cache.read([KEY])
    assert again is not None
    assert again.cells == {KEY: [list(ROW)]}
    await cache.invalidate([("scooter", LAT, LON)])
    for name in (cache.key(KEY), cache.stamp_key(KEY)):
        ttl = await redis.ttl(name)
        assert ttl == -2 or 0 < ttl <= 300, (name, ttl)  # gone, or expiring


async def test_a_fill_read_before_an_invalidation_is_not_stored(redis: Redis) -> None:
    cache = _cache(redis)
    read = await cache.read([KEY])  # a reader misses, then queries PostGIS...
    assert read is not None
    await cache.invalidate([("scooter", LAT, LON)])  # ...while a reservation commits
    await cache.write({KEY: [ROW]}, read)  # the reader's (stale) fill arrives late
    after = await cache.read([KEY])
    assert after is not None
    assert after.cells[KEY] is None


async def test_a_value_in_another_format_reads_as_a_miss(redis: Redis) -> None:
    cache = _cache(redis)
    await redis.set(cache.key(KEY), b'[["old", "layout"]]', ex=30)
    read = await cache.read([KEY])
    assert read is not None
    assert read.cells[KEY] is None


async def test_invalidations_missed_while_redis_hung_are_replayed_when_it_answers() -> None:
    server = PrivateRedis()
    await server.start()
    client = make_redis(server.url, timeout_s=0.05)
    try:
        cache = _cache(client, threshold=1, reset_after_s=0.2)
        read = await cache.read([KEY])
        assert read is not None
        await cache.write({KEY: [ROW]}, read)

        server.pause()
        await cache.invalidate([("scooter", LAT, LON)])  # times out: kept for later
        assert await cache.read([KEY]) is None  # circuit open: callers go to PostGIS
        server.resume()

        async def dropped() -> bool:
            current = await cache.read([KEY])
            return current is not None and current.cells[KEY] is None

        await wait_until(dropped, timeout=10, message="stale cell dropped after recovery")
    finally:
        await client.aclose()
        await server.close()
