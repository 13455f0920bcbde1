"""Redis stopped mid-run: search keeps answering correctly from PostGIS; Redis back: the cache
is used again. A PRIVATE redis-server is stopped, never the shared one."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fleet.app import create_app
from fleet_testing import (
    FleetDb,
    MakeSettings,
    PrivateRedis,
    Row,
    assert_correct_answer,
    bearer,
    expected_search,
    new_region,
    offset,
)
from mobility_platform.testing import app_client, wait_until
from mobility_platform.testing.plugin import AuthKeys
from redis.asyncio import Redis


@pytest.fixture
async def private_redis() -> AsyncIterator[PrivateRedis]:
    server = PrivateRedis()
    await server.start()
    yield server
    await server.close()


async def _cached_cells(redis_url: str, prefix: str) -> int:
    client = Redis.from_url(redis_url)
    try:
        return len([k async for k in client.scan_iter(match=f"{prefix}:search:*")])
    finally:
        await client.aclose()


async def _metric(http: httpx.AsyncClient, name: str) -> float:
    text = (await http.get("/metrics")).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name))


async def test_search_survives_redis_going_away_and_uses_it_again_when_back(
    make_settings: MakeSettings,
    fleet_db: FleetDb,
    auth_keys: AuthKeys,
    private_redis: PrivateRedis,
) -> None:
    lat, lon = new_region()
    await fleet_db.add_zone(lat, lon, 1_500)
    rows = [
        Row(uuid.uuid4(), "scooter", *offset(lat, lon, 97 * i - 700, 53 * i - 350))
        for i in range(16)
    ]
    await fleet_db.add_vehicles(rows)
    searchable = {r.id for r in rows}
    expected = expected_search(rows, searchable, lat=lat, lon=lon, radius_m=800, vtype=None)
    settings = make_settings(
        redis_url=private_redis.url, cache_breaker_reset_s=0.3, search_cache_timeout_s=0.05
    )
    params = {"lat": lat, "lon": lon, "radius_m": 800, "limit": 10}
    headers = bearer(auth_keys.rider_token())

    async with app_client(create_app(settings)) as http:

        async def search() -> list[dict[str, object]]:
            response = await http.get("/vehicles/search", params=params, headers=headers)
            assert response.status_code == 200, response.text
            items: list[dict[str, object]] = response.json()["items"]
            return items

        with_cache = await search()
        assert_correct_answer(with_cache, expected, radius_m=800, limit=10)
        assert await _cached_cells(private_redis.url, settings.cache_prefix) > 0

        unavailable = await _metric(http, "fleet_search_cache_unavailable_total")
        await private_redis.stop()
        for _ in range(5):  # failures open the breaker on the way; never a 500
            assert await search() == with_cache
        assert await _metric(http, "fleet_search_cache_unavailable_total") >= unavailable + 5

        await private_redis.start()  # empty, like a restarted cache

        async def cache_filled_again() -> bool:
            assert await search() == with_cache
            return await _cached_cells(private_redis.url, settings.cache_prefix) > 0

        await wait_until(cache_filled_again, timeout=10, message="cache used again")
        hits = await _metric(http, 'fleet_search_cache_lookups_total{outcome="hit"}')
        assert await search() == with_cache
        assert await _metric(http, 'fleet_search_cache_lookups_total{outcome="hit"}') > hits
