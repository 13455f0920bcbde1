"""Kafka plumbing shared by the outbox relay, inbox consumers and readiness checks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from mobility_platform.settings import KafkaSettings

logger = logging.getLogger(__name__)


def topic_name(settings: KafkaSettings, base: str) -> str:
    return settings.topic_prefix + base


def make_producer(settings: KafkaSettings, *, client_id: str) -> AIOKafkaProducer:
    """Idempotent producer (acks=all, ordered retries): no duplicates from producer retries."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=2,
        request_timeout_ms=settings.request_timeout_ms,
    )


async def ensure_topics(
    settings: KafkaSettings, bases: Iterable[str], *, partitions: int = 3, with_dlq: bool = True
) -> list[str]:
    """Create the (prefixed) topics and their dead-letter topics if missing. Idempotent."""
    names = []
    for base in bases:
        names.append(topic_name(settings, base))
        if with_dlq:
            names.append(topic_name(settings, base) + ".dlq")
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.bootstrap_servers, request_timeout_ms=settings.request_timeout_ms
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [n for n in names if n not in existing]
        if missing:
            topics = [NewTopic(n, num_partitions=partitions, replication_factor=1) for n in missing]
            with contextlib.suppress(TopicAlreadyExistsError):  # created concurrently
                await admin.create_topics(topics)
            logger.info("created kafka topics %s", missing)
    finally:
        await admin.close()
    return names


class KafkaProbe:
    """Readiness check: can we fetch cluster metadata right now?"""

    def __init__(self, settings: KafkaSettings, *, timeout_s: float = 2.0) -> None:
        self._settings = settings
        self._timeout = timeout_s

    async def check(self) -> None:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self._settings.bootstrap_servers,
            request_timeout_ms=int(self._timeout * 1000),
        )
        try:
            await asyncio.wait_for(admin.start(), self._timeout)
            await asyncio.wait_for(admin.list_topics(), self._timeout)
        finally:
            await asyncio.wait_for(admin.close(), self._timeout)


async def delete_topics_with_prefix(bootstrap_servers: str, prefix: str) -> int:
    """Delete every topic whose name starts with `prefix` (test and benchmark runs clean up
    after themselves: thousands of leftover partitions make every broker restart slow)."""
    if not prefix:
        raise ValueError("refusing to delete topics without a prefix")
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        doomed = [name for name in await admin.list_topics() if name.startswith(prefix)]
        for start in range(0, len(doomed), 200):
            await admin.delete_topics(doomed[start : start + 200])
    finally:
        await admin.close()
    return len(doomed)
