"""Live push to server-sent-event streams, across replicas: Redis pub/sub, one channel per rider.

The delivery worker on any replica publishes to `notification:push:<rider_id>`; every open
`GET /me/notifications/stream` of that rider, on whichever replica, is subscribed to it. PUBLISH
answers how many streams received the message, so the delivery log can tell "shown live" from
"nobody was listening". Redis is only the pipe: the delivery log stays the source of truth.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from contracts.api.notification import PushMessage
from contracts.types import RiderId
from mobility_platform.errors import DependencyUnavailableError
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class PushHub:
    """`publisher`: short timeouts (a slow Redis must not stall the delivery worker);
    `subscriber`: the pool open streams hold their connections in (one per stream)."""

    def __init__(
        self,
        *,
        publisher: Redis,
        subscriber: Redis,
        channel_prefix: str = "notification:push:",
        idle_check_s: float = 30.0,
    ) -> None:
        self._publisher = publisher
        self._subscriber = subscriber
        self._prefix = channel_prefix
        self._idle_check_s = idle_check_s

    def channel(self, rider_id: RiderId) -> str:
        return f"{self._prefix}{rider_id}"

    async def check(self) -> None:
        """Raise DependencyUnavailableError (503) when Redis does not answer."""
        try:
            await self._subscriber.ping()
        except (RedisError, OSError) as exc:
            raise DependencyUnavailableError("redis", reason=str(exc)) from exc

    async def publish(self, rider_id: RiderId, message: PushMessage) -> int:
        """Send to the rider's open streams; returns how many received it."""
        receivers = await self._publisher.publish(self.channel(rider_id), message.model_dump_json())
        return int(receivers)

    @asynccontextmanager
    async def subscribe(self, rider_id: RiderId) -> AsyncIterator[AsyncIterator[PushMessage]]:
        """Subscribed when entered (messages published from then on arrive), until exit."""
        pubsub = self._subscriber.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self.channel(rider_id))
        try:
            yield _messages(pubsub, self._idle_check_s)
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]


async def _messages(pubsub: PubSub, idle_check_s: float) -> AsyncIterator[PushMessage]:
    """Until Redis goes away: then the stream ends and the client reconnects (SSE `retry`).

    Waking every `idle_check_s` lets the client's health check PING a silent connection.
    """
    while True:
        try:
            raw = await pubsub.get_message(ignore_subscribe_messages=True, timeout=idle_check_s)
        except (RedisError, OSError) as exc:
            logger.warning("live stream lost Redis: %s", exc)
            return
        if raw is not None and raw.get("type") == "message":
            yield PushMessage.model_validate_json(raw["data"])
