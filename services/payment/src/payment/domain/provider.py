"""What the payment provider tells us, in provider-neutral words, and the keys we send it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from contracts.types import BookingId, PaymentId, RiderId


class IntentState(StrEnum):
    """A provider intent's state in our words (Stripe's names in brackets)."""

    REQUIRES_PAYMENT_METHOD = "requires_payment_method"  # new, or the last attempt was declined
    REQUIRES_ACTION = "requires_action"  # the customer must authenticate (3-D Secure)
    PROCESSING = "processing"
    AUTHORIZED = "authorized"  # funds held [requires_capture]
    CAPTURED = "captured"  # [succeeded]
    CANCELED = "canceled"  # voided by us, or the authorisation expired
    REFUNDED = "refunded"  # [charge.refunded]


@dataclass(frozen=True)
class Intent:
    ref: str
    state: IntentState
    client_secret: str | None = None
    next_action: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    amount_minor: int | None = None
    """Capturable, received or refunded amount, depending on `state`."""
    payment_method_id: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ProviderEvent:
    """A verified webhook: its id (dedupe key), type, and the intent it reports, if any."""

    event_id: str
    event_type: str
    intent: Intent | None


class ProviderKeys:
    """Provider idempotency keys, derived from our own durable ids (never the caller's key)."""

    @staticmethod
    def customer(rider_id: RiderId) -> str:
        return f"pay-rider-{rider_id}-customer"

    @staticmethod
    def create(booking_id: BookingId) -> str:
        return f"pay-{booking_id}-create"

    @staticmethod
    def confirm(payment_id: PaymentId, attempt: int) -> str:
        return f"pay-{payment_id}-confirm-{attempt}"

    @staticmethod
    def capture(payment_id: PaymentId) -> str:
        return f"pay-{payment_id}-capture"

    @staticmethod
    def cancel(payment_id: PaymentId) -> str:
        return f"pay-{payment_id}-cancel"

    @staticmethod
    def refund(payment_id: PaymentId) -> str:
        return f"pay-{payment_id}-refund"
