"""Per-rider limit on booking creation, counted in Redis (fixed window).

Fails open: when Redis is down or slow the request is allowed and a warning logged. The limit
protects peers from floods; a cache outage must not stop riders from booking (ARCHITECTURE:
Redis holds only caches and ephemeral state, every path survives it being down).
"""

from __future__ import annotations

import logging

from contracts.clock import Clock
from contracts.types import RiderId
from redis.asyncio import Redis
from redis.exceptions import RedisError

from booking.domain.rules import RateDecision, rate_decision, rate_window

logger = logging.getLogger(__name__)
ALLOWED = RateDecision(allowed=True)


class RedisRateLimiter:
    def __init__(self, redis: Redis | None, *, limit: int, window_s: int, clock: Clock) -> None:
        self._redis = redis
        self._limit = limit
        self._window_s = window_s
        self._clock = clock

    async def hit(self, rider_id: RiderId, *, cost: int = 1) -> RateDecision:
        if self._redis is None:
            return ALLOWED
        number, remaining = rate_window(self._clock.now(), self._window_s)
        key = f"booking:ratelimit:{rider_id}:{number}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incrby(key, cost)
                pipe.expire(key, self._window_s + 5)
                count, _ = await pipe.execute()
        except (RedisError, OSError) as exc:
            logger.warning("rate limit store unavailable, allowing the request: %r", exc)
            return ALLOWED
        return rate_decision(count=int(count), limit=self._limit, window_remaining_s=remaining)
