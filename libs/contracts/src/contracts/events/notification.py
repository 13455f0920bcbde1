"""Events of the notification service on `notification.events.v1`, keyed by notification id."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from contracts import topics
from contracts.base import UtcDatetime
from contracts.envelope import Event
from contracts.types import (
    BookingId,
    NotificationChannel,
    NotificationId,
    NotificationStatus,
    RiderId,
)


class NotificationSent(Event):
    topic: ClassVar[str] = topics.NOTIFICATION
    key_field: ClassVar[str] = "notification_id"

    notification_id: NotificationId
    rider_id: RiderId
    channel: NotificationChannel
    kind: str
    status: NotificationStatus
    booking_id: BookingId | None = None
    source_event_id: UUID | None = None
    provider_id: str | None = None
    reason: str | None = None
    sent_at: UtcDatetime
