"""Redis cache of search cells: `fleet:search:<geohash>:<type>` -> the cell's searchable vehicles.

Cache-aside with an invalidation stamp per cell (`fleet:searchinv:<geohash>:<type>`): a writer
bumps the stamp and deletes the cell after its commit; a reader fills a missed cell only if
the stamp is still what it read before querying PostGIS (one Lua script), so a fill computed
from a snapshot older than a concurrent change is never stored. Every key has a TTL.

Every call goes through a circuit breaker with short socket timeouts: Redis down or slow means
`read` answers None (the caller asks PostGIS) and writes are skipped. Invalidations that could
not be sent are kept (bounded) and replayed once Redis answers again.
"""

from __future__ import annotations

import logging
from collections import Counter as Tally
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar, cast

import orjson
from mobility_platform.breaker import CircuitBreaker, CircuitOpenError
from prometheus_client import Counter
from redis.asyncio import Redis
from redis.exceptions import RedisError

from fleet import cells
from fleet.ports import CellKey, CellRead, SpotRow

logger = logging.getLogger(__name__)

T = TypeVar("T")

CACHE_LOOKUPS = Counter(
    "fleet_search_cache_lookups", "Search cell lookups in Redis by outcome", ["outcome"]
)
CACHE_UNAVAILABLE = Counter(
    "fleet_search_cache_unavailable", "Cache calls skipped or failed (Redis down, slow, open)"
)

_FILL_IF_UNCHANGED = """
local ttl = ARGV[1]
for i = 1, #KEYS, 2 do
  local expected = ARGV[i + 1]
  local stamp = redis.call('GET', KEYS[i + 1]) or ''
  if stamp == expected then
    redis.call('SET', KEYS[i], ARGV[i + 2], 'EX', ttl)
  end
end
return 0
"""
_FORMAT = 1
"""Cached values are `[format, rows]`: a value written by another version reads as a miss."""
_PENDING_MAX = 10_000
_HOT_MAX = 50_000


class RedisCellCache:
    def __init__(
        self,
        redis: Redis,
        *,
        breaker: CircuitBreaker,
        prefix: str,
        precision: int,
        ttl_s: int,
    ) -> None:
        self._redis = redis
        self._breaker = breaker
        self._prefix = prefix
        self.precision = precision
        self._ttl = ttl_s
        self._stamp_ttl = max(300, ttl_s * 10)
        self._fill = redis.register_script(_FILL_IF_UNCHANGED)
        self._pending: set[CellKey] = set()
        self._flush_all = False
        self._hot: Tally[CellKey] = Tally()

    def key(self, cell: CellKey) -> str:
        return f"{self._prefix}:search:{cell.geohash}:{cell.type}"

    def stamp_key(self, cell: CellKey) -> str:
        return f"{self._prefix}:searchinv:{cell.geohash}:{cell.type}"

    async def read(self, keys: Sequence[CellKey], *, record: bool = True) -> CellRead | None:
        names = [self.key(k) for k in keys] + [self.stamp_key(k) for k in keys]
        raw = cast("list[bytes | None] | None", await self._call(lambda: self._redis.mget(names)))
        if raw is None:
            return None
        n = len(keys)
        found: dict[CellKey, list[SpotRow] | None] = {}
        hits = 0
        for key, value in zip(keys, raw[:n], strict=True):
            found[key] = _rows(value)
            hits += found[key] is not None
        if record:
            CACHE_LOOKUPS.labels("hit").inc(hits)
            CACHE_LOOKUPS.labels("miss").inc(n - hits)
            self._touch(keys)
        return CellRead(cells=found, stamps=dict(zip(keys, raw[n:], strict=True)))

    async def write(self, contents: Mapping[CellKey, list[SpotRow]], read: CellRead) -> None:
        if not contents:
            return
        keys: list[str] = []
        args: list[Any] = [self._ttl]
        for cell, spots in contents.items():
            keys += [self.key(cell), self.stamp_key(cell)]
            rows = [tuple(s) for s in spots]
            args += [read.stamps.get(cell) or b"", orjson.dumps([_FORMAT, rows])]
        await self._call(lambda: self._fill(keys=keys, args=args))

    async def invalidate(self, points: Iterable[tuple[str, float, float]]) -> None:
        targets = {CellKey(cells.cell_of(lat, lon, self.precision), t) for t, lat, lon in points}
        if targets and await self._call(lambda: self._drop(targets)) is None:
            self._remember(targets)

    def hottest(self, n: int) -> list[CellKey]:
        top = [key for key, _ in self._hot.most_common(n)]
        self._hot.clear()
        return top

    # --- internals ---------------------------------------------------------------------------

    async def _drop(self, targets: Iterable[CellKey]) -> bool:
        async with self._redis.pipeline(transaction=True) as pipe:
            for cell in targets:
                pipe.incr(self.stamp_key(cell))
                pipe.expire(self.stamp_key(cell), self._stamp_ttl)
                pipe.delete(self.key(cell))
            await pipe.execute()
        return True

    async def _call(self, op: Callable[[], Awaitable[T]]) -> T | None:
        """Run one Redis operation behind the breaker; None when Redis cannot answer."""
        try:
            self._breaker.before_call()
        except CircuitOpenError:
            CACHE_UNAVAILABLE.inc()
            return None
        try:
            result = await op()
        except (RedisError, OSError, TimeoutError) as exc:
            self._breaker.record_failure()
            CACHE_UNAVAILABLE.inc()
            logger.warning("search cache unavailable: %r", exc)
            return None
        self._breaker.record_success()
        if self._pending or self._flush_all:
            await self._replay()
        return result

    def _remember(self, targets: set[CellKey]) -> None:
        if len(self._pending) + len(targets) > _PENDING_MAX:
            self._pending.clear()
            self._flush_all = True
        else:
            self._pending |= targets

    async def _replay(self) -> None:
        """Send the invalidations Redis missed while it was unreachable."""
        pending, flush_all = self._pending, self._flush_all
        self._pending, self._flush_all = set(), False
        try:
            if flush_all:
                async for name in self._redis.scan_iter(match=f"{self._prefix}:search:*"):
                    await self._redis.delete(name)
            else:
                await self._drop(pending)
        except (RedisError, OSError, TimeoutError) as exc:
            logger.warning("replaying cache invalidations failed: %r", exc)
            self._pending |= pending
            self._flush_all = self._flush_all or flush_all

    def _touch(self, keys: Sequence[CellKey]) -> None:
        if len(self._hot) < _HOT_MAX:
            self._hot.update(keys)
        else:
            for key in keys:
                if key in self._hot:
                    self._hot[key] += 1


def _rows(value: bytes | None) -> list[SpotRow] | None:
    if value is None:
        return None
    decoded = orjson.loads(value)
    if not isinstance(decoded, list) or len(decoded) != 2 or decoded[0] != _FORMAT:
        return None
    rows: list[SpotRow] = decoded[1]
    return rows


class UnavailableCache:
    """No Redis configured: every search goes to PostGIS."""

    async def read(self, keys: Sequence[CellKey], *, record: bool = True) -> CellRead | None:
        return None

    async def write(self, contents: Mapping[CellKey, list[SpotRow]], read: CellRead) -> None:
        return None

    async def invalidate(self, points: Iterable[tuple[str, float, float]]) -> None:
        return None

    def hottest(self, n: int) -> list[CellKey]:
        return []
