"""Inbox consumer: at-least-once Kafka delivery turned into exactly-once effects.

For each message: decode the CloudEvent, then in ONE database transaction insert
`(consumer, event_id)` into `processed_message` and run the handler. A duplicate id means the
effect already happened: skip. Offsets are committed only after the transaction. A handler
that keeps failing (not because the database is down) is retried `max_attempts` times and
then the message goes to `<topic>.dlq` with the error in its headers, and the consumer moves on.
Undecodable messages go straight to the dead-letter topic. Unknown event types are skipped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from contracts.envelope import (
    CloudEvent,
    Event,
    UndecodableEventError,
    UnknownEventTypeError,
    decode_event,
)
from prometheus_client import Counter, Gauge
from sqlalchemy import Table, delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mobility_platform.db import is_db_unavailable
from mobility_platform.kafka import make_producer, topic_name
from mobility_platform.settings import KafkaSettings

logger = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, CloudEvent[Any]], Awaitable[None]]

CONSUMED = Counter("inbox_messages_total", "Messages by outcome", ["consumer", "outcome"])
CONSUMER_LAG = Gauge("kafka_consumer_lag", "Messages behind", ["consumer", "topic", "partition"])


def _header(record: ConsumerRecord[bytes, bytes], name: str) -> str | None:
    for key, value in record.headers or ():
        if key == name:
            return str(value.decode(errors="replace"))
    return None


class InboxConsumer:
    def __init__(
        self,
        *,
        consumer: str,
        topics: Sequence[str],
        handlers: Mapping[str, Handler],
        sessionmaker: async_sessionmaker[AsyncSession],
        inbox_table: Table,
        kafka: KafkaSettings,
        max_attempts: int = 5,
        backoff_initial_s: float = 0.2,
        backoff_max_s: float = 10.0,
        retention: timedelta = timedelta(days=14),
    ) -> None:
        self.consumer = consumer
        self.group_id = kafka.topic_prefix + consumer
        """Prefixed like the topics, so stacks sharing a broker never share a group."""
        self._topics = [topic_name(kafka, t) for t in topics]
        self._handlers = dict(handlers)
        self._sessions = sessionmaker
        self._inbox = inbox_table
        self._kafka = kafka
        self._max_attempts = max_attempts
        self._backoff = (backoff_initial_s, backoff_max_s)
        self._retention = retention
        self._next_purge = 0.0
        self.ready = asyncio.Event()
        """Set once partitions are assigned (tests wait on it before producing)."""

    async def run(self) -> None:
        """Consume until cancelled, reconnecting with backoff when Kafka is unreachable."""
        delay = self._backoff[0]
        while True:
            try:
                await self._consume()
            except (KafkaError, OSError) as exc:
                logger.warning("consumer %s lost Kafka: %s", self.consumer, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._backoff[1])

    async def _consume(self) -> None:
        consumer = AIOKafkaConsumer(
            *self._topics,
            bootstrap_servers=self._kafka.bootstrap_servers,
            group_id=self.group_id,
            client_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
        )
        producer = make_producer(self._kafka, client_id=f"{self.consumer}-dlq")
        try:
            await consumer.start()
            await producer.start()
            while True:
                batches = await consumer.getmany(timeout_ms=500, max_records=200)
                if consumer.assignment():
                    self.ready.set()
                for tp, records in batches.items():
                    for record in records:
                        await self._process(record, producer)
                    await self._commit(consumer, tp, records[-1].offset + 1)
                    self._report_lag(consumer, tp, records[-1].offset + 1)
                await self._purge_if_due()
        finally:
            self.ready.clear()
            for client in (consumer, producer):
                try:
                    await asyncio.wait_for(client.stop(), 10)
                except Exception as exc:  # noqa: BLE001 - shutting down anyway
                    logger.debug("stop failed: %s", exc)

    async def _purge_if_due(self) -> None:
        """Forget processed ids long after Kafka could redeliver them (retention >> topic's)."""
        now = time.monotonic()
        if now < self._next_purge:
            return
        self._next_purge = now + 3600
        cutoff = datetime.now(UTC) - self._retention
        async with self._sessions() as session, session.begin():
            await session.execute(
                delete(self._inbox).where(
                    self._inbox.c.consumer == self.consumer, self._inbox.c.processed_at < cutoff
                )
            )

    async def _commit(self, consumer: AIOKafkaConsumer, tp: TopicPartition, offset: int) -> None:
        try:
            await consumer.commit({tp: offset})
        except CommitFailedError as exc:  # partition moved to another member: it redelivers
            logger.info("commit after rebalance failed for %s: %s", tp, exc)

    def _report_lag(self, consumer: AIOKafkaConsumer, tp: TopicPartition, position: int) -> None:
        highwater = consumer.highwater(tp)
        if highwater is not None:
            CONSUMER_LAG.labels(self.consumer, tp.topic, str(tp.partition)).set(
                max(0, highwater - position)
            )

    async def _process(
        self, record: ConsumerRecord[bytes, bytes], producer: AIOKafkaProducer
    ) -> None:
        if _header(record, "ce_type") not in (None, *self._handlers):
            CONSUMED.labels(self.consumer, "ignored").inc()
            return  # typed by the producer and not ours: skip without decoding
        try:
            event = decode_event(record.value or b"")
        except UnknownEventTypeError:
            CONSUMED.labels(self.consumer, "unknown_type").inc()
            return
        except UndecodableEventError as exc:
            await self._dead_letter(record, producer, exc, attempts=0)
            return
        handler = self._handlers.get(event.type)
        if handler is None:
            CONSUMED.labels(self.consumer, "ignored").inc()
            return
        await self._handle_with_retries(record, producer, event, handler)

    async def _handle_with_retries(
        self,
        record: ConsumerRecord[bytes, bytes],
        producer: AIOKafkaProducer,
        event: CloudEvent[Event],
        handler: Handler,
    ) -> None:
        attempts, delay = 0, self._backoff[0]
        while True:
            try:
                outcome = await self.handle_once(event, handler)
                CONSUMED.labels(self.consumer, outcome).inc()
                return
            except Exception as exc:  # noqa: BLE001 - classified below
                if not is_db_unavailable(exc):
                    attempts += 1
                    logger.warning(
                        "consumer %s failed on %s (%s/%s): %r",
                        self.consumer,
                        event.id,
                        attempts,
                        self._max_attempts,
                        exc,
                    )
                    if attempts >= self._max_attempts:
                        await self._dead_letter(record, producer, exc, attempts=attempts)
                        return
                else:
                    logger.warning("consumer %s waiting for the database: %s", self.consumer, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._backoff[1])

    async def handle_once(self, event: CloudEvent[Event], handler: Handler) -> str:
        """Record the event and run the handler in one transaction. 'processed' or 'duplicate'."""
        async with self._sessions() as session, session.begin():
            recorded = await session.execute(
                insert(self._inbox)
                .values(consumer=self.consumer, event_id=event.id)
                .on_conflict_do_nothing()
                .returning(self._inbox.c.event_id)
            )
            if recorded.first() is None:
                return "duplicate"
            await handler(session, event)
        return "processed"

    async def _dead_letter(
        self,
        record: ConsumerRecord[bytes, bytes],
        producer: AIOKafkaProducer,
        error: BaseException,
        *,
        attempts: int,
    ) -> None:
        headers = [
            *(record.headers or ()),
            ("dlq_error", f"{type(error).__name__}: {error}"[:2000].encode()),
            ("dlq_consumer", self.consumer.encode()),
            ("dlq_source_topic", record.topic.encode()),
            ("dlq_source_partition", str(record.partition).encode()),
            ("dlq_source_offset", str(record.offset).encode()),
            ("dlq_attempts", str(attempts).encode()),
        ]
        await producer.send_and_wait(
            record.topic + ".dlq", value=record.value, key=record.key, headers=headers
        )
        CONSUMED.labels(self.consumer, "dead_lettered").inc()
        logger.error(
            "dead-lettered %s[%s]@%s: %s", record.topic, record.partition, record.offset, error
        )
