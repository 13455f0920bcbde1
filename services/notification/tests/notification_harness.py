"""Integration helpers: settings on real infra, Kafka in/out, the Maildir, the delivery log."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import uvicorn
from aiokafka import AIOKafkaProducer
from contracts.envelope import CloudEvent, Event
from contracts.events.booking import BookingConfirmed
from contracts.types import (
    BookingId,
    Money,
    RiderContact,
    RiderId,
    VehicleId,
    VehicleType,
)
from fastapi import FastAPI
from mobility_platform.kafka import topic_name
from mobility_platform.settings import AuthSettings, KafkaSettings, OutboxSettings
from mobility_platform.testing import read_topic, wait_until
from notification.settings import (
    ConsumerSettings,
    DeliverySettings,
    Settings,
    SmtpSettings,
)
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"


def settings(
    *,
    database_url: str,
    redis_url: str,
    kafka: KafkaSettings,
    auth: AuthSettings,
    smtp_port: int,
    **overrides: Any,
) -> Settings:
    """Fast retries and polling, so the tests wait for milliseconds, not minutes."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "redis_url": redis_url,
        "kafka": kafka,
        "auth": auth,
        "smtp": SmtpSettings(host="127.0.0.1", port=smtp_port, timeout_s=5),
        "delivery": DeliverySettings(
            max_attempts=50,
            backoff_initial_s=0.05,
            backoff_max_s=0.3,
            poll_interval_s=0.05,
            lease_s=30,
        ),
        "consumer": ConsumerSettings(max_attempts=2, backoff_initial_s=0.05, backoff_max_s=0.1),
        "outbox": OutboxSettings(poll_interval_s=0.1, send_timeout_s=5),
        "log_json": False,
        "readiness_requires": frozenset({"db"}),
    }
    values.update(overrides)
    return Settings(**values)


def booking_confirmed(
    *,
    email_address: str | None,
    rider_id: RiderId | None = None,
    code: str | None = None,
    amount_minor: int = 1250,
    locale: str = "en",
) -> BookingConfirmed:
    now = datetime.now(UTC)
    contact = (
        None
        if email_address is None
        else RiderContact(email=email_address, name="Test Rider", locale=locale)
    )
    return BookingConfirmed(
        booking_id=BookingId(uuid4()),
        rider_id=rider_id or RiderId(uuid4()),
        vehicle_id=VehicleId(uuid4()),
        vehicle_type=VehicleType.EBIKE,
        confirmation_code=code or uuid4().hex[:6].upper(),
        authorized_amount=Money(amount_minor=amount_minor, currency="EUR"),
        unlock_deadline=now + timedelta(minutes=10),
        rider_contact=contact,
        confirmed_at=now,
    )


def unique_address(label: str) -> str:
    return f"{label}-{uuid4().hex[:10]}@riders.example"


class Kafka:
    """Produce real CloudEvents (or raw bytes) to the test's prefixed topics, read them back."""

    def __init__(self, settings: KafkaSettings) -> None:
        self.settings = settings
        self._producer: AIOKafkaProducer | None = None

    def topic(self, base: str) -> str:
        return topic_name(self.settings, base)

    async def publish(self, event: Event, *, envelope: CloudEvent[Any] | None = None) -> UUID:
        envelope = envelope or CloudEvent.wrap(event, source="test", time=datetime.now(UTC))
        await self.publish_raw(
            event.topic, envelope.model_dump_json().encode(), key=event.key().encode()
        )
        return envelope.id

    async def publish_raw(self, base_topic: str, value: bytes, *, key: bytes = b"k") -> None:
        if self._producer is None:
            self._producer = AIOKafkaProducer(bootstrap_servers=self.settings.bootstrap_servers)
            await self._producer.start()
        await self._producer.send_and_wait(self.topic(base_topic), value=value, key=key)

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()

    async def read_all(self, topic: str) -> list[tuple[bytes | None, dict[str, bytes]]]:
        """Every message on a (full) topic name, from the beginning, without a group."""
        records = await read_topic(self.settings.bootstrap_servers, topic)
        return [(r.value, dict(r.headers)) for r in records]


@dataclass
class Mailbox:
    """Reads a Maildir (the shared SMTP sink's, or a private one); filter by recipient."""

    root: Path
    _seen: dict[str, EmailMessage] = field(default_factory=dict)

    def messages_to(self, address: str) -> list[EmailMessage]:
        for sub in ("new", "cur"):
            folder = self.root / sub
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                if path.name not in self._seen:
                    with contextlib.suppress(FileNotFoundError):
                        self._seen[path.name] = _parse(path.read_bytes())
        return [m for m in self._seen.values() if address in str(m.get("To", ""))]


def _parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def body_html(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


class Log:
    """Reads the delivery log straight from the service's database."""

    def __init__(self, database_url: str) -> None:
        self.engine = create_async_engine(database_url, pool_size=2)

    async def deliveries(self, source_event_id: UUID) -> dict[str, dict[str, Any]]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT * FROM delivery WHERE source_event_id = :id"), {"id": source_event_id}
            )
            return {row.channel: dict(row._mapping) for row in rows}

    async def close(self) -> None:
        await self.engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """Run the app under a real uvicorn (streaming responses need a real server)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await wait_until(lambda: server.started or task.done(), timeout=30, message="uvicorn")
        if task.done():
            task.result()  # startup failed: raise its error
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)
        sock.close()
