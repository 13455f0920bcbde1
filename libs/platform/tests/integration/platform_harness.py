"""Harness for the outbox/inbox tests: a fresh database and topic prefix on real infra."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from typing import ClassVar
from uuid import UUID, uuid4

from aiokafka import AIOKafkaProducer
from contracts.clock import SystemClock
from contracts.envelope import Event
from mobility_platform.db import new_metadata
from mobility_platform.inbox import InboxConsumer
from mobility_platform.kafka import topic_name
from mobility_platform.messaging_tables import add_messaging_tables
from mobility_platform.outbox import OutboxRelay
from mobility_platform.settings import KafkaSettings, OutboxSettings
from mobility_platform.testing import read_topic
from mobility_platform.uow import SqlUnitOfWork
from sqlalchemy import Column, Integer, Table, Text, Uuid, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

TOPIC = "widget.events.v1"

metadata = new_metadata()
widget = Table("widget", metadata, Column("id", Uuid, primary_key=True), Column("value", Text))
effect = Table(
    "effect",
    metadata,
    Column("n", Integer, primary_key=True, autoincrement=True),  # processing order
    Column("event_id", Uuid, nullable=False),  # deliberately NOT unique: doubles would show
    Column("widget_id", Uuid, nullable=False),
    Column("seq", Integer, nullable=False),
)
outbox_table, inbox_table = add_messaging_tables(metadata)


class WidgetChanged(Event):
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "widget_id"

    widget_id: UUID
    seq: int
    value: str = "ok"


async def record_effect(session: AsyncSession, event: object) -> None:
    data = event.data  # type: ignore[attr-defined]
    if data.value == "poison":
        raise ValueError("this payload always breaks the handler")
    await session.execute(
        insert(effect).values(event_id=event.id, widget_id=data.widget_id, seq=data.seq)  # type: ignore[attr-defined]
    )


_names = itertools.count()


class Harness:
    """One fresh database + topic prefix, with helpers to write, relay, consume and inspect."""

    def __init__(self, url: str, kafka: KafkaSettings) -> None:
        self.url = url
        self.kafka = kafka
        self.service = f"svc{next(_names)}"
        self.engine = create_async_engine(url, pool_size=5)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.tasks: list[asyncio.Task[None]] = []

    @property
    def dsn(self) -> str:
        return self.url.replace("postgresql+asyncpg://", "postgresql://")

    @property
    def topic(self) -> str:
        return topic_name(self.kafka, TOPIC)

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(
            self.sessions,
            outbox_table=outbox_table,
            source=self.service,
            clock=SystemClock(),
            topic_prefix=self.kafka.topic_prefix,
        )

    async def write(self, widget_id: UUID, seq: int, value: str = "ok") -> None:
        """A state change and its event, committed together."""
        async with self.uow() as uow:
            await uow.session.execute(insert(widget).values(id=uuid4(), value=f"{widget_id}:{seq}"))
            uow.outbox.add(WidgetChanged(widget_id=widget_id, seq=seq, value=value))
            await uow.commit()

    def relay(self, relay_cls: type[OutboxRelay] = OutboxRelay) -> OutboxRelay:
        return relay_cls(
            service=self.service,
            dsn=self.dsn,
            kafka=self.kafka,
            settings=OutboxSettings(poll_interval_s=0.2, send_timeout_s=5),
        )

    def consumer(self, *, max_attempts: int = 3) -> InboxConsumer:
        return InboxConsumer(
            consumer=f"{self.service}-consumer",
            topics=[TOPIC],
            handlers={"WidgetChanged": record_effect},
            sessionmaker=self.sessions,
            inbox_table=inbox_table,
            kafka=self.kafka,
            max_attempts=max_attempts,
            backoff_initial_s=0.05,
            backoff_max_s=1.0,
        )

    def start(self, coro: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        task = asyncio.create_task(coro())  # type: ignore[arg-type]
        self.tasks.append(task)
        return task

    async def scalar(self, query: object) -> object:
        async with self.sessions() as session:
            return (await session.execute(query)).scalar_one()  # type: ignore[call-overload]

    async def scalar_all(self, query: object) -> list[object]:
        async with self.sessions() as session:
            return list((await session.execute(query)).scalars())  # type: ignore[call-overload]

    async def effects(self) -> list[tuple[UUID, UUID, int]]:
        async with self.sessions() as session:
            rows = await session.execute(
                select(effect.c.event_id, effect.c.widget_id, effect.c.seq).order_by(effect.c.n)
            )
            return [tuple(r) for r in rows]  # type: ignore[misc]

    async def unpublished(self) -> int:
        query = (
            select(func.count())
            .select_from(outbox_table)
            .where(outbox_table.c.published_at.is_(None))
        )
        return int(await self.scalar(query))  # type: ignore[arg-type]

    async def all_published(self) -> bool:
        return await self.unpublished() == 0

    async def read_topic(
        self, topic: str | None = None
    ) -> list[tuple[bytes | None, bytes | None, dict[str, bytes]]]:
        """Every message on the topic, from the beginning, without a consumer group."""
        records = await read_topic(self.kafka.bootstrap_servers, topic or self.topic)
        return [(r.key, r.value, dict(r.headers)) for r in records]

    async def produce_raw(self, value: bytes, key: bytes = b"raw") -> None:
        producer = AIOKafkaProducer(bootstrap_servers=self.kafka.bootstrap_servers)
        await producer.start()
        try:
            await producer.send_and_wait(self.topic, value=value, key=key)
        finally:
            await producer.stop()

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.engine.dispose()
