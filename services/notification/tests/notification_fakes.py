"""Fakes at notification's ports (unit tests only): clock, repositories, unit of work, senders."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self
from uuid import UUID, uuid4

from contracts.api.notification import (
    ChannelPreferences,
    DeviceRead,
    NotificationPage,
    NotificationSettingsRead,
)
from contracts.envelope import Event
from contracts.types import BookingId, RiderContact, RiderId
from mobility_platform.testing import FakeClock
from notification import domain
from notification.domain import DeliveryStatus


class FakeOutbox:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def add(self, event: Event, *, event_id: UUID | None = None) -> Any:
        self.events.append(event)
        return event


class FakeRecipients:
    def __init__(self) -> None:
        self.rows: dict[RiderId, domain.Recipient] = {}
        self.managed: set[RiderId] = set()

    async def get(self, rider_id: RiderId) -> domain.Recipient | None:
        return self.rows.get(rider_id)

    async def merge_contact(self, rider_id: RiderId, contact: RiderContact, now: datetime) -> None:
        if rider_id in self.managed:
            return
        old = self.rows.get(rider_id, domain.Recipient(rider_id=rider_id))
        self.rows[rider_id] = dataclasses.replace(
            old,
            email=contact.email or old.email,
            name=contact.name or old.name,
            phone=contact.phone or old.phone,
            locale=contact.locale,
        )

    async def save(self, recipient: domain.Recipient, now: datetime) -> None:
        self.rows[recipient.rider_id] = recipient
        self.managed.add(recipient.rider_id)

    async def read(self, rider_id: RiderId) -> NotificationSettingsRead | None:
        r = self.rows.get(rider_id)
        if r is None:
            return None
        channels = {c.value: c not in r.disabled_channels for c in domain.Channel}
        return NotificationSettingsRead(
            rider_id=r.rider_id,
            email=r.email,
            name=r.name,
            phone=r.phone,
            locale=r.locale,
            channels=ChannelPreferences(**channels),
            muted_kinds=sorted(k.value for k in r.muted_kinds),
            updated_at=datetime(2026, 1, 1, tzinfo=UTC),
        )


class FakeDevices:
    def __init__(self) -> None:
        self.rows: dict[str, tuple[UUID, RiderId, str]] = {}

    async def add(
        self, *, device_id: UUID, rider_id: RiderId, token: str, platform: str, now: datetime
    ) -> DeviceRead:
        existing = self.rows.get(token)
        device_id = existing[0] if existing else device_id
        self.rows[token] = (device_id, rider_id, platform)
        return DeviceRead(device_id=device_id, platform=platform, created_at=now)  # type: ignore[arg-type]

    async def list_for_rider(self, rider_id: RiderId) -> list[DeviceRead]:
        return []

    async def tokens(self, rider_id: RiderId) -> list[str]:
        return [t for t, (_, r, _) in self.rows.items() if r == rider_id]

    async def remove(self, rider_id: RiderId, device_id: UUID) -> bool:
        for token, (d, r, _) in list(self.rows.items()):
            if d == device_id and r == rider_id:
                del self.rows[token]
                return True
        return False

    async def remove_token(self, token: str) -> None:
        self.rows.pop(token, None)

    async def forget(self, token: str) -> None:
        await self.remove_token(token)


@dataclasses.dataclass
class Row:
    delivery: domain.Delivery
    attempts: int = 0
    last_error: str | None = None
    provider_id: str | None = None


class FakeDeliveries:
    def __init__(self) -> None:
        self.rows: dict[UUID, Row] = {}

    async def add_many(self, deliveries: Sequence[domain.Delivery]) -> None:
        for d in deliveries:
            self.rows.setdefault(d.id, Row(d))

    async def claim_due(
        self, *, now: datetime, lease_until: datetime, limit: int
    ) -> list[domain.OutgoingMessage]:
        due = [
            r
            for r in self.rows.values()
            if r.delivery.status is DeliveryStatus.PENDING
            and r.delivery.next_attempt_at is not None
            and r.delivery.next_attempt_at <= now
        ][:limit]
        out = []
        for row in due:
            row.attempts += 1
            row.delivery = dataclasses.replace(row.delivery, next_attempt_at=lease_until)
            out.append(outgoing(row.delivery, attempts=row.attempts))
        return out

    async def finish(
        self, delivery_id: UUID, transition: domain.Transition, *, attempts: int, now: datetime
    ) -> bool:
        row = self.rows[delivery_id]
        if row.delivery.status is not DeliveryStatus.PENDING or row.attempts != attempts:
            return False
        row.delivery = dataclasses.replace(
            row.delivery,
            status=transition.status,
            next_attempt_at=transition.next_attempt_at,
            reason=transition.reason,
        )
        row.last_error, row.provider_id = transition.last_error, transition.provider_id
        return True

    async def rider_for_booking(self, booking_id: BookingId) -> RiderId | None:
        for row in self.rows.values():
            if row.delivery.booking_id == booking_id:
                return row.delivery.rider_id
        return None

    async def page_for_rider(
        self, rider_id: RiderId, *, limit: int, offset: int
    ) -> NotificationPage:
        return NotificationPage(items=[], total=0, limit=limit, offset=offset)


class FakeUnitOfWork:
    def __init__(self, clock: FakeClock | None = None) -> None:
        self.recipients = FakeRecipients()
        self.devices = FakeDevices()
        self.deliveries = FakeDeliveries()
        self.outbox = FakeOutbox()
        self.clock = clock or FakeClock()
        self.commits = 0

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        self.commits += 1


def outgoing(delivery: domain.Delivery, *, attempts: int = 1) -> domain.OutgoingMessage:
    return domain.OutgoingMessage(
        delivery_id=delivery.id,
        notification_id=delivery.notification_id,
        rider_id=delivery.rider_id,
        kind=delivery.kind,
        channel=delivery.channel,
        address=delivery.address,
        content=delivery.content,
        message_id=delivery.message_id,
        booking_id=delivery.booking_id,
        source_event_id=delivery.source_event_id,
        attempts=attempts,
        created_at=delivery.created_at,
    )


class FakeSender:
    """Answers with scripted outcomes, in order (the last one repeats)."""

    def __init__(self, channel: domain.Channel, *outcomes: domain.SendOutcome) -> None:
        self.channel = channel
        self._outcomes = list(outcomes) or [domain.Sent(provider_id="fake")]
        self.sent: list[domain.OutgoingMessage] = []

    async def send(self, message: domain.OutgoingMessage) -> domain.SendOutcome:
        self.sent.append(message)
        return self._outcomes.pop(0) if len(self._outcomes) > 1 else self._outcomes[0]


class FakeLiveStreams:
    def __init__(self, listeners: int = 0) -> None:
        self.listeners = listeners
        self.published: list[Any] = []

    async def publish(self, rider_id: RiderId, message: Any) -> int:
        self.published.append(message)
        return self.listeners


def new_rider() -> RiderId:
    return RiderId(uuid4())
