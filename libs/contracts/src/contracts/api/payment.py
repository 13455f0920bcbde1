"""Payment service internal API (booking -> payment). Amounts are integer minor units."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contracts.base import ContractModel, RequestModel, UtcDatetime
from contracts.types import BookingId, Money, PaymentId, PaymentStatus, RiderId


class PaymentCreate(RequestModel):
    """Create (idempotently per booking) a manual-capture authorisation request."""

    booking_id: BookingId
    rider_id: RiderId
    amount: Money
    rider_email: str | None = None
    description: str = Field(default="MobilityCorp ride", max_length=200)


class PaymentConfirm(RequestModel):
    payment_method_id: str = Field(min_length=1, max_length=255)


class PaymentCapture(RequestModel):
    amount: Money


class PaymentVoid(RequestModel):
    reason: str = Field(default="requested", max_length=200)


class PaymentRefund(RequestModel):
    amount: Money | None = None
    reason: str = Field(default="requested_by_customer", max_length=200)


class PaymentRead(ContractModel):
    payment_id: PaymentId
    booking_id: BookingId
    rider_id: RiderId
    status: PaymentStatus
    amount: Money
    captured_amount: Money | None = None
    refunded_amount: Money | None = None
    provider_ref: str | None = None
    client_secret: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    next_action: str | None = None
    """Set while the customer must act (3-D Secure: Stripe `next_action.type`, e.g.
    `use_stripe_sdk`); status stays `requires_payment_method` and the client completes it with
    `client_secret`. The outcome then arrives by webhook as PaymentAuthorized / PaymentFailed."""


class WebhookAck(ContractModel):
    """What `POST /webhooks/stripe` answers to an accepted (signature-verified) event."""

    event_id: str
    outcome: Literal["applied", "ignored", "duplicate"]
