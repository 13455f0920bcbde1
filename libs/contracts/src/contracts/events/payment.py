"""Events produced by the payment service on `payment.events.v1`, keyed by payment id."""

from __future__ import annotations

from typing import ClassVar

from contracts import topics
from contracts.base import UtcDatetime
from contracts.envelope import Event
from contracts.types import BookingId, Money, PaymentId, RiderId


class PaymentEvent(Event):
    abstract: ClassVar[bool] = True
    topic: ClassVar[str] = topics.PAYMENT
    key_field: ClassVar[str] = "payment_id"

    payment_id: PaymentId
    booking_id: BookingId
    rider_id: RiderId


class PaymentAuthorized(PaymentEvent):
    amount: Money
    provider_ref: str
    authorized_at: UtcDatetime


class PaymentFailed(PaymentEvent):
    amount: Money
    code: str
    message: str
    failed_at: UtcDatetime


class PaymentCaptured(PaymentEvent):
    amount: Money
    authorized_amount: Money
    captured_at: UtcDatetime


class PaymentVoided(PaymentEvent):
    """An authorisation was released without capture."""

    amount: Money
    reason: str
    voided_at: UtcDatetime


class PaymentRefunded(PaymentEvent):
    amount: Money
    reason: str
    refunded_at: UtcDatetime
