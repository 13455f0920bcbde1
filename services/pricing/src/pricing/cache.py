"""Redis: cached current prices (per-city version key) and per-minute search counters.

Keys (all with a TTL):
    <prefix>:version:<city>                        random token; a new one invalidates the city
    <prefix>:price:<city>:<z=zone|none>:<type>:<tod>   "<version>|<PriceRead JSON>"
    <prefix>:searches:<epoch minute>               hash "<city>|<zone>|<type>" -> searches

A cached price counts only while its embedded version is the city's current one, so a lookup
is ONE pipelined round trip: the versions, the prices and the search counters together.

Redis is never the source of truth: every call degrades to "nothing cached / not counted" when
Redis is down, and a circuit breaker stops us waiting on a dead Redis on every request.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from contracts.api.common import PriceRead
from contracts.types import VehicleType
from mobility_platform.breaker import CircuitBreaker, CircuitOpenError
from prometheus_client import Counter
from redis.asyncio import Redis
from redis.exceptions import RedisError

from pricing import domain
from pricing.usecases.ports import CachedPrices

logger = logging.getLogger(__name__)
T = TypeVar("T")

CACHE_LOOKUPS = Counter("pricing_price_cache_total", "Batch price cache lookups", ["outcome"])
VERSION_TTL_S = 24 * 3600


class RedisPriceCache:
    def __init__(
        self,
        redis: Redis | None,
        *,
        prefix: str,
        ttl_s: int,
        demand_window_s: int,
        breaker: CircuitBreaker,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl_s = ttl_s
        self._demand_ttl_s = demand_window_s + 120
        self._breaker = breaker

    async def lookup(
        self, keys: Collection[domain.PriceKey], *, tods: Mapping[str, Decimal], now: datetime
    ) -> CachedPrices:
        """Cached prices, counting one search per zone in the same round trip."""
        cached = await self._guarded(lambda r: self._lookup(r, keys, tods, now), CachedPrices())
        CACHE_LOOKUPS.labels("hit").inc(len(cached.hits))
        CACHE_LOOKUPS.labels("miss").inc(len(keys) - len(cached.hits))
        return cached

    async def _lookup(
        self,
        redis: Redis,
        keys: Collection[domain.PriceKey],
        tods: Mapping[str, Decimal],
        now: datetime,
    ) -> CachedPrices:
        cities, ordered = list({key.city for key in keys}), list(keys)
        demand_key = self._searches_key(_minute(now))
        async with redis.pipeline(transaction=False) as pipe:
            for city in cities:  # create the version if missing (evicted, fresh Redis)
                pipe.set(self._version_key(city), _token(), nx=True, ex=VERSION_TTL_S)
                pipe.get(self._version_key(city))
            pipe.mget([self._price_key(key, tods[key.city]) for key in ordered])
            for zone in {zone for key in ordered if (zone := key.zone) is not None}:
                pipe.hincrby(demand_key, _field(zone), 1)
            pipe.expire(demand_key, self._demand_ttl_s)
            results = await pipe.execute()
        versions: dict[str, bytes] = {c: results[2 * i + 1] or b"" for i, c in enumerate(cities)}
        hits = {}
        for key, value in zip(ordered, results[2 * len(cities)], strict=True):
            version, _, price = (value or b"").partition(b"|")
            if price and version and version == versions[key.city]:
                hits[key] = PriceRead.model_validate_json(price)
        return CachedPrices(hits=hits, versions={c: v.decode() for c, v in versions.items() if v})

    async def store(
        self,
        prices: Mapping[domain.PriceKey, PriceRead],
        *,
        tods: Mapping[str, Decimal],
        cached: CachedPrices,
        valid_for: timedelta | None = None,
    ) -> None:
        """Cache prices under the versions the lookup read: a concurrent invalidation wins."""
        if not cached.versions:  # the lookup found Redis down: nothing to write under
            return
        ttl_ms = self._ttl_s * 1000
        if valid_for is not None:
            ttl_ms = max(1, min(ttl_ms, valid_for // timedelta(milliseconds=1)))

        async def store(redis: Redis) -> None:
            async with redis.pipeline(transaction=False) as pipe:
                for key, price in prices.items():
                    if (version := cached.versions.get(key.city)) is not None:
                        value = f"{version}|{price.model_dump_json()}"
                        pipe.set(self._price_key(key, tods[key.city]), value, px=ttl_ms)
                await pipe.execute()

        await self._guarded(store, None)

    async def invalidate(self, city_keys: Collection[str]) -> None:
        if not city_keys:
            return

        async def bump(redis: Redis) -> None:
            async with redis.pipeline(transaction=False) as pipe:
                for city in city_keys:
                    pipe.set(self._version_key(city), _token(), ex=VERSION_TTL_S)
                await pipe.execute()

        await self._guarded(bump, None)

    async def search_counts(self, since: datetime, until: datetime) -> domain.ZoneCounts:
        async def read(redis: Redis) -> domain.ZoneCounts:
            async with redis.pipeline(transaction=False) as pipe:
                for minute in range(_minute(since), _minute(until) + 1):
                    pipe.hgetall(self._searches_key(minute))
                buckets = await pipe.execute()
            counts: domain.ZoneCounts = {}
            for bucket in buckets:
                for field, value in bucket.items():
                    zone = _zone(field.decode())
                    counts[zone] = counts.get(zone, 0) + int(value)
            return counts

        return await self._guarded(read, {})

    async def _guarded(self, call: Callable[[Redis], Awaitable[T]], fallback: T) -> T:
        if self._redis is None:
            return fallback
        try:
            self._breaker.before_call()
        except CircuitOpenError:
            return fallback
        try:
            result = await call(self._redis)
        except (RedisError, OSError) as exc:
            self._breaker.record_failure()
            logger.warning("redis unavailable, pricing without the cache: %r", exc)
            return fallback
        self._breaker.record_success()
        return result

    def _version_key(self, city: str) -> str:
        return f"{self._prefix}:version:{city}"

    def _price_key(self, key: domain.PriceKey, tod: Decimal) -> str:
        zone = "none" if key.zone_id is None else f"z={key.zone_id}"
        return f"{self._prefix}:price:{key.city}:{zone}:{key.vehicle_type.value}:{tod}"

    def _searches_key(self, minute: int) -> str:
        return f"{self._prefix}:searches:{minute}"


def _token() -> str:
    return uuid.uuid4().hex[:16]


def _minute(at: datetime) -> int:
    return int(at.timestamp()) // 60


def _field(zone: domain.ZoneKey) -> str:
    return f"{zone.city}|{zone.zone_id}|{zone.vehicle_type.value}"


def _zone(field: str) -> domain.ZoneKey:
    city, rest = field.split("|", 1)
    zone_id, vehicle_type = rest.rsplit("|", 1)
    return domain.ZoneKey(city, zone_id, VehicleType(vehicle_type))
