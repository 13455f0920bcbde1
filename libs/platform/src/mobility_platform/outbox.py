"""Transactional outbox: the writer (inside the caller's transaction) and the relay.

Writer: the unit of work hands it contracts events; on commit it inserts them into
`outbox_message` in the same transaction as the state change, plus a NOTIFY (delivered only if
the transaction commits) that wakes the relay.

Relay: one active per service (a session-level advisory lock held on a dedicated connection;
standbys retry). It publishes unpublished rows in `seq` order with an idempotent producer and
marks them. Kafka down: rows wait and the relay backs off; nothing is lost. A crash between
publish and mark re-publishes on restart (at-least-once); consumers dedupe by event id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
from aiokafka import AIOKafkaProducer
from contracts.envelope import CloudEvent, Event
from prometheus_client import Counter, Gauge
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from mobility_platform.kafka import ensure_topics, make_producer, topic_name
from mobility_platform.messaging_tables import OUTBOX, notify_channel
from mobility_platform.observability import current_traceparent
from mobility_platform.settings import KafkaSettings, OutboxSettings

logger = logging.getLogger(__name__)

REPORT_EVERY_S = 1.0
PURGE_EVERY_S = 600.0

OUTBOX_PENDING = Gauge("outbox_pending_messages", "Unpublished outbox rows", ["service"])
OUTBOX_LAG = Gauge("outbox_lag_seconds", "Age of the oldest unpublished outbox row", ["service"])
OUTBOX_PUBLISHED = Counter("outbox_published_total", "Outbox rows published", ["service"])
OUTBOX_ERRORS = Counter("outbox_publish_errors_total", "Failed publish rounds", ["service"])
OUTBOX_LEADER = Gauge("outbox_relay_leader", "1 while this relay holds the lock", ["service"])


class OutboxWriter:
    """Collects events during a unit of work and writes them at commit, in one statement."""

    def __init__(self, *, source: str, topic_prefix: str, now: Callable[[], datetime]) -> None:
        self._source = source
        self._prefix = topic_prefix
        self._now = now
        self.events: list[CloudEvent[Any]] = []

    def add(self, event: Event, *, event_id: UUID | None = None) -> CloudEvent[Any]:
        envelope = CloudEvent.wrap(
            event,
            source=self._source,
            time=self._now(),
            id=event_id,
            traceparent=current_traceparent(),
        )
        self.events.append(envelope)
        return envelope

    async def flush(self, session: AsyncSession, table: Any) -> None:
        if not self.events:
            return
        rows = [
            {
                "id": envelope.id,
                "topic": self._prefix + envelope.data.topic,
                "key": envelope.subject,
                "type": envelope.type,
                "payload": envelope.model_dump(mode="json"),
            }
            for envelope in self.events
        ]
        await session.execute(insert(table), rows)
        await session.execute(select(_notify(notify_channel(self._source))))
        self.events = []


def _notify(channel: str) -> Any:
    from sqlalchemy import func

    return func.pg_notify(channel, "")


class OutboxRelay:
    def __init__(
        self,
        *,
        service: str,
        dsn: str,
        kafka: KafkaSettings,
        settings: OutboxSettings,
        producer_factory: Callable[[], AIOKafkaProducer] | None = None,
    ) -> None:
        self.service = service
        self._dsn = dsn
        self._kafka = kafka
        self._s = settings
        self._producer_factory = producer_factory or (
            lambda: make_producer(kafka, client_id=f"{service}-outbox")
        )
        self._producer: AIOKafkaProducer | None = None
        self._known_topics: set[str] = set()
        self._wake = asyncio.Event()
        self.is_leader = False

    async def run(self) -> None:
        """Run until cancelled: compete for leadership, then publish whenever woken or polled."""
        while True:
            conn = None
            try:
                conn = await asyncpg.connect(self._dsn, timeout=5)
                await self._lead(conn)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                logger.warning("outbox relay lost its database connection: %s", exc)
                await asyncio.sleep(self._s.poll_interval_s)
            finally:
                self._set_leader(False)
                await self._close_producer()
                if conn is not None and not conn.is_closed():
                    await conn.close(timeout=2)

    async def _lead(self, conn: asyncpg.Connection) -> None:
        while not await conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", self._lock()):
            await asyncio.sleep(self._s.poll_interval_s)  # standby: another replica publishes
        self._set_leader(True)
        await conn.add_listener(notify_channel(self.service), lambda *_: self._wake.set())
        next_report = next_purge = 0.0
        while True:
            drained = await self.publish_pending(conn)
            now = time.monotonic()
            if now >= next_report:  # gauges: once a second, not after every wake-up
                await self._report(conn)
                next_report = now + REPORT_EVERY_S
            if now >= next_purge:
                await self._purge(conn)
                next_purge = now + PURGE_EVERY_S
            if drained:
                # asyncio.timeout, not wait_for: on 3.11 wait_for swallows a cancellation that
                # races with the wake-up (a NOTIFY at shutdown), and the relay never stops
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._s.poll_interval_s):
                        await self._wake.wait()
                self._wake.clear()

    def _lock(self) -> str:
        return f"outbox-relay:{self.service}"

    def _set_leader(self, value: bool) -> None:
        self.is_leader = value
        OUTBOX_LEADER.labels(self.service).set(1 if value else 0)

    async def publish_pending(self, conn: asyncpg.Connection) -> bool:
        """Publish one batch in order. True when nothing is left (or Kafka is down: wait)."""
        rows = await conn.fetch(
            f"SELECT id, topic, key, type, payload::text AS payload FROM {OUTBOX} "
            "WHERE published_at IS NULL ORDER BY seq LIMIT $1",
            self._s.batch_size,
        )
        if not rows:
            return True
        sent, error = await self._send(rows)
        if sent:
            await self._mark_published(conn, [row["id"] for row in rows[:sent]])
            OUTBOX_PUBLISHED.labels(self.service).inc(sent)
        if error is not None:
            OUTBOX_ERRORS.labels(self.service).inc()
            await conn.execute(
                f"UPDATE {OUTBOX} SET attempts = attempts + 1, last_error = $2 WHERE id = $1",
                rows[sent]["id"],
                error[:1000],
            )
            return True
        return len(rows) < self._s.batch_size

    async def _send(self, rows: Sequence[asyncpg.Record]) -> tuple[int, str | None]:
        """Send rows in order; returns how many leading rows are durably published."""
        try:
            await self._ensure_topics({row["topic"] for row in rows})
            producer = await self._ensure_producer()
            futures = [
                await producer.send(
                    row["topic"],
                    value=row["payload"].encode(),
                    key=row["key"].encode(),
                    headers=[("ce_type", row["type"].encode()), ("ce_id", str(row["id"]).encode())],
                )
                for row in rows
            ]
        except Exception as exc:  # noqa: BLE001 - Kafka unreachable: keep rows, back off
            await self._close_producer()
            return 0, f"{type(exc).__name__}: {exc}"
        done, _ = await asyncio.wait(futures, timeout=self._s.send_timeout_s)
        sent = 0
        for future in futures:
            if future not in done or future.exception() is not None:
                break
            sent += 1
        if sent < len(rows):
            await self._close_producer()
            failed = futures[sent]
            reason = "timeout" if failed not in done else repr(failed.exception())
            return sent, f"publish failed: {reason}"
        return sent, None

    async def _ensure_topics(self, topics: set[str]) -> None:
        """Create a topic this service produces to before its first send (auto-create is off):
        one row for a missing topic would otherwise block every later row."""
        missing = topics - self._known_topics
        if missing:
            plain = KafkaSettings(bootstrap_servers=self._kafka.bootstrap_servers)
            await ensure_topics(plain, sorted(missing))
            self._known_topics |= missing

    async def _mark_published(self, conn: asyncpg.Connection, ids: list[UUID]) -> None:
        await conn.execute(
            f"UPDATE {OUTBOX} SET published_at = now() WHERE id = ANY($1::uuid[])", ids
        )

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = self._producer_factory()
            try:
                await asyncio.wait_for(producer.start(), self._s.send_timeout_s)
            except BaseException:
                await _stop_quietly(producer)
                raise
            self._producer = producer
        return self._producer

    async def _close_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await _stop_quietly(producer)

    async def _report(self, conn: asyncpg.Connection) -> None:
        row = await conn.fetchrow(
            f"SELECT count(*) AS n, extract(epoch FROM now() - min(created_at)) AS lag "
            f"FROM {OUTBOX} WHERE published_at IS NULL"
        )
        OUTBOX_PENDING.labels(self.service).set(row["n"])
        OUTBOX_LAG.labels(self.service).set(float(row["lag"] or 0.0))

    async def _purge(self, conn: asyncpg.Connection) -> None:
        await conn.execute(
            f"DELETE FROM {OUTBOX} WHERE published_at < now() - make_interval(hours => $1)",
            self._s.retention_h,
        )


async def _stop_quietly(producer: AIOKafkaProducer) -> None:
    try:
        await asyncio.wait_for(producer.stop(), 5)
    except Exception as exc:  # noqa: BLE001 - best effort while Kafka is down
        logger.debug("producer stop failed: %s", exc)


__all__ = ["OutboxRelay", "OutboxWriter", "topic_name"]
