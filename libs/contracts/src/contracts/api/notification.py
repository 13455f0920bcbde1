"""Notification service API (rider-facing): preferences, device tokens, history, live stream."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field, StringConstraints

from contracts.base import ContractModel, RequestModel, UtcDatetime
from contracts.types import BookingId, NotificationChannel, NotificationId, RiderId


class NotificationKind(StrEnum):
    """What a notification is about; riders mute kinds by these names."""

    BOOKING_CONFIRMED = "booking_confirmed"
    BOOKING_CANCELLED = "booking_cancelled"
    BOOKING_EXPIRED = "booking_expired"
    BOOKING_FAILED = "booking_failed"
    PAYMENT_FAILED = "payment_failed"
    TRIP_RECEIPT = "trip_receipt"
    UNLOCK_REJECTED = "unlock_rejected"


DeliveryState = Literal["pending", "sent", "failed", "suppressed"]
DevicePlatform = Literal["android", "ios", "web"]

EmailAddress = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=254, pattern=r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>]+$"
    ),
]
PhoneNumber = Annotated[str, StringConstraints(pattern=r"^\+[1-9][0-9]{6,14}$")]
"""E.164, as SMS providers expect it."""
Locale = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}([-_][A-Za-z]{2,4})?$")]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ChannelPreferences(ContractModel):
    """Which channels the rider accepts at all (opt-out per channel)."""

    email: bool = True
    push: bool = True
    sms: bool = True


class NotificationSettingsRead(ContractModel):
    rider_id: RiderId
    email: str | None = None
    name: str | None = None
    phone: str | None = None
    locale: str = "en"
    channels: ChannelPreferences
    muted_kinds: list[NotificationKind] = Field(default_factory=list)
    """Kinds the rider opted out of, on every channel."""
    updated_at: UtcDatetime


class NotificationSettingsUpdate(RequestModel):
    """The whole settings document (PUT replaces it; omitted fields take their defaults)."""

    email: EmailAddress | None = None
    name: DisplayName | None = None
    phone: PhoneNumber | None = None
    locale: Locale = "en"
    channels: ChannelPreferences = ChannelPreferences()
    muted_kinds: list[NotificationKind] = Field(default_factory=list, max_length=32)


class DeviceCreate(RequestModel):
    """Register a push token (FCM registration token) for this rider's app install."""

    token: Annotated[str, StringConstraints(min_length=8, max_length=4096, pattern=r"^\S+$")]
    platform: DevicePlatform


class DeviceRead(ContractModel):
    device_id: UUID
    platform: DevicePlatform
    created_at: UtcDatetime


class DevicePage(ContractModel):
    items: list[DeviceRead]


class NotificationRead(ContractModel):
    """One notification on one channel, as the delivery log has it."""

    delivery_id: UUID
    notification_id: NotificationId
    kind: NotificationKind
    channel: NotificationChannel
    status: DeliveryState
    reason: str | None = None
    title: str | None = None
    booking_id: BookingId | None = None
    attempts: int = Field(ge=0)
    created_at: UtcDatetime
    sent_at: UtcDatetime | None = None


class NotificationPage(ContractModel):
    items: list[NotificationRead]
    total: int = Field(ge=0)
    limit: int
    offset: int


class PushMessage(ContractModel):
    """What `GET /me/notifications/stream` sends as the `data` of a `notification` event."""

    delivery_id: UUID
    notification_id: NotificationId
    kind: NotificationKind
    title: str
    body: str
    booking_id: BookingId | None = None
    data: dict[str, str] = Field(default_factory=dict)
    created_at: UtcDatetime
