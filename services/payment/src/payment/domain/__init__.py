"""Payment's domain (pure: stdlib + contracts types): the aggregate, its errors, provider news.

A package since it outgrew one module; callers keep importing `payment.domain`.
"""

from payment.domain.errors import (
    AmountExceedsAuthorizationError,
    AmountExceedsCaptureError,
    InvalidAmountError,
    InvalidPaymentStateError,
    InvalidSignatureError,
    InvalidWebhookPayloadError,
    PaymentNotFoundError,
    PaymentProviderError,
    PaymentRequestMismatchError,
)
from payment.domain.payment import (
    ALLOWED_TRANSITIONS,
    Authorized,
    Captured,
    Change,
    Failed,
    Payment,
    Refunded,
    Voided,
    check_transition,
    payment_id_for,
)
from payment.domain.provider import Intent, IntentState, ProviderEvent, ProviderKeys

__all__ = [
    "ALLOWED_TRANSITIONS",
    "AmountExceedsAuthorizationError",
    "AmountExceedsCaptureError",
    "Authorized",
    "Captured",
    "Change",
    "Failed",
    "Intent",
    "IntentState",
    "InvalidAmountError",
    "InvalidPaymentStateError",
    "InvalidSignatureError",
    "InvalidWebhookPayloadError",
    "Payment",
    "PaymentNotFoundError",
    "PaymentProviderError",
    "PaymentRequestMismatchError",
    "ProviderEvent",
    "ProviderKeys",
    "Refunded",
    "Voided",
    "check_transition",
    "payment_id_for",
]
