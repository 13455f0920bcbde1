"""Who hears about what, on which channel, and what happens after each send attempt. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from contracts.errors import DomainError
from contracts.types import BookingId, NotificationChannel, NotificationId, RiderContact, RiderId

Channel = NotificationChannel


class NotificationKind(StrEnum):
    """Mirrors contracts.api.notification.NotificationKind (a unit test keeps them equal)."""

    BOOKING_CONFIRMED = "booking_confirmed"
    BOOKING_CANCELLED = "booking_cancelled"
    BOOKING_EXPIRED = "booking_expired"
    BOOKING_FAILED = "booking_failed"
    PAYMENT_FAILED = "payment_failed"
    TRIP_RECEIPT = "trip_receipt"
    UNLOCK_REJECTED = "unlock_rejected"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"


class SuppressionReason(StrEnum):
    KIND_OPTED_OUT = "kind_opted_out"
    CHANNEL_OPTED_OUT = "channel_opted_out"
    PROVIDER_NOT_CONFIGURED = "provider_not_configured"
    NO_EMAIL_ADDRESS = "no_email_address"
    NO_PHONE_NUMBER = "no_phone_number"
    NO_PUSH_TARGET = "no_push_target"


# Which channels each kind goes to when the rider has not opted out. SMS only where the rider
# may be away from the app and the news is time-critical (a scheduled booking fell through).
CHANNELS_BY_KIND: Mapping[NotificationKind, tuple[Channel, ...]] = {
    NotificationKind.BOOKING_CONFIRMED: (Channel.PUSH, Channel.EMAIL),
    NotificationKind.BOOKING_CANCELLED: (Channel.PUSH, Channel.EMAIL),
    NotificationKind.BOOKING_EXPIRED: (Channel.PUSH, Channel.EMAIL),
    NotificationKind.BOOKING_FAILED: (Channel.PUSH, Channel.EMAIL, Channel.SMS),
    NotificationKind.PAYMENT_FAILED: (Channel.PUSH, Channel.EMAIL),
    NotificationKind.TRIP_RECEIPT: (Channel.EMAIL, Channel.PUSH),
    NotificationKind.UNLOCK_REJECTED: (Channel.PUSH,),
}


class DeviceNotFoundError(DomainError):
    code = "device_not_found"
    title = "Device not found"


@dataclass(frozen=True)
class Recipient:
    """How to reach a rider and what they agreed to receive."""

    rider_id: RiderId
    email: str | None = None
    name: str | None = None
    phone: str | None = None
    locale: str = "en"
    disabled_channels: frozenset[Channel] = frozenset()
    muted_kinds: frozenset[NotificationKind] = frozenset()


@dataclass(frozen=True)
class NotificationRequest:
    """Something happened that a rider should hear about (built from an inbound event)."""

    kind: NotificationKind
    rider_id: RiderId
    source_event_id: UUID
    booking_id: BookingId | None
    context: Mapping[str, Any]
    """Template variables (typed values: Money, datetimes, ...)."""
    contact: RiderContact | None = None
    """Contact data the event carried (the rider's token claims at booking time)."""


@dataclass(frozen=True)
class PlannedDelivery:
    channel: Channel
    address: str | None
    suppressed: SuppressionReason | None = None


@dataclass(frozen=True)
class Delivery:
    """One notification on one channel: a row of the delivery log."""

    id: UUID
    notification_id: NotificationId
    rider_id: RiderId
    kind: NotificationKind
    channel: Channel
    status: DeliveryStatus
    reason: str | None
    address: str | None
    content: Mapping[str, str]
    message_id: str
    source_event_id: UUID | None
    booking_id: BookingId | None
    created_at: datetime
    next_attempt_at: datetime | None


def plan_deliveries(
    kind: NotificationKind, recipient: Recipient, *, configured: frozenset[Channel]
) -> list[PlannedDelivery]:
    """One delivery per channel of this kind: pending with an address, or suppressed with why."""
    return [_plan_one(kind, channel, recipient, configured) for channel in CHANNELS_BY_KIND[kind]]


def _plan_one(
    kind: NotificationKind, channel: Channel, recipient: Recipient, configured: frozenset[Channel]
) -> PlannedDelivery:
    address = {
        Channel.EMAIL: recipient.email,
        Channel.SMS: recipient.phone,
        Channel.PUSH: str(recipient.rider_id),
    }[channel]
    if kind in recipient.muted_kinds:
        return PlannedDelivery(channel, address, SuppressionReason.KIND_OPTED_OUT)
    if channel in recipient.disabled_channels:
        return PlannedDelivery(channel, address, SuppressionReason.CHANNEL_OPTED_OUT)
    if channel not in configured:
        return PlannedDelivery(channel, address, SuppressionReason.PROVIDER_NOT_CONFIGURED)
    if not address:
        reason = (
            SuppressionReason.NO_EMAIL_ADDRESS
            if channel is Channel.EMAIL
            else SuppressionReason.NO_PHONE_NUMBER
        )
        return PlannedDelivery(channel, None, reason)
    return PlannedDelivery(channel, address)


@dataclass(frozen=True)
class RenderedNotification:
    """One notification's text for every channel (from the templates, in the rider's locale)."""

    subject: str
    text: str
    html: str
    push_title: str
    push_body: str
    sms: str

    def content_for(self, channel: Channel) -> dict[str, str]:
        if channel is Channel.EMAIL:
            return {"subject": self.subject, "text": self.text, "html": self.html}
        if channel is Channel.PUSH:
            return {"title": self.push_title, "body": self.push_body}
        return {"text": self.sms}


# --- sending ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutgoingMessage:
    """A claimed delivery, as a channel sees it."""

    delivery_id: UUID
    notification_id: NotificationId
    rider_id: RiderId
    kind: NotificationKind
    channel: Channel
    address: str | None
    content: Mapping[str, str]
    message_id: str
    booking_id: BookingId | None
    source_event_id: UUID | None
    attempts: int
    created_at: datetime


@dataclass(frozen=True)
class Sent:
    provider_id: str | None = None
    note: str | None = None
    """Partial problems worth keeping (e.g. one of two devices refused)."""


@dataclass(frozen=True)
class Suppressed:
    reason: SuppressionReason
    detail: str = ""


@dataclass(frozen=True)
class TransientFailure:
    """Worth retrying: connection refused, timeouts, 4xx SMTP, 429/5xx HTTP."""

    error: str


@dataclass(frozen=True)
class PermanentFailure:
    """Retrying cannot help: recipient refused, invalid token, 4xx HTTP."""

    error: str


SendOutcome = Sent | Suppressed | TransientFailure | PermanentFailure


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter; at most `max_attempts` sends per delivery."""

    max_attempts: int = 8
    initial_s: float = 5.0
    max_s: float = 900.0
    multiplier: float = 2.0

    def delay(self, attempts: int, jitter: float) -> timedelta:
        """Wait before attempt `attempts + 1`; `jitter` in [0, 1) spreads it over [d/2, d)."""
        base = min(self.initial_s * self.multiplier ** max(0, attempts - 1), self.max_s)
        return timedelta(seconds=base * (0.5 + jitter / 2))

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts


@dataclass(frozen=True)
class Transition:
    """What the delivery log row becomes after one attempt."""

    status: DeliveryStatus
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    provider_id: str | None = None
    reason: str | None = None
    final: bool = True
    """False while the delivery waits for another attempt."""


def after_attempt(
    outcome: SendOutcome, *, attempts: int, policy: RetryPolicy, now: datetime, jitter: float
) -> Transition:
    """The delivery's next state given what the channel said on attempt number `attempts`."""
    match outcome:
        case Sent(provider_id=provider_id, note=note):
            return Transition(DeliveryStatus.SENT, provider_id=provider_id, last_error=note)
        case Suppressed(reason=reason, detail=detail):
            text = f"{reason}: {detail}" if detail else str(reason)
            return Transition(DeliveryStatus.SUPPRESSED, reason=text)
        case PermanentFailure(error=error):
            return Transition(DeliveryStatus.FAILED, last_error=error, reason="permanent_error")
        case TransientFailure(error=error) if policy.exhausted(attempts):
            return Transition(DeliveryStatus.FAILED, last_error=error, reason="attempts_exhausted")
        case TransientFailure(error=error):
            retry_at = now + policy.delay(attempts, jitter)
            return Transition(
                DeliveryStatus.PENDING, next_attempt_at=retry_at, last_error=error, final=False
            )
    raise AssertionError(f"unknown outcome {outcome!r}")  # pragma: no cover
