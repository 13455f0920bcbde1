"""Business rejections of the payment service; `code` is the stable problem code."""

from __future__ import annotations

from contracts.errors import DomainError


class PaymentNotFoundError(DomainError):
    code = "payment_not_found"
    title = "Payment not found"


class InvalidPaymentStateError(DomainError):
    code = "invalid_payment_state"
    title = "Payment is not in a state that allows this"


class AmountExceedsAuthorizationError(DomainError):
    code = "amount_exceeds_authorization"
    title = "Amount exceeds the authorized amount"


class AmountExceedsCaptureError(DomainError):
    code = "amount_exceeds_capture"
    title = "Amount exceeds the captured amount"


class InvalidAmountError(DomainError):
    code = "invalid_amount"
    title = "Amount is not valid"


class PaymentRequestMismatchError(DomainError):
    code = "payment_request_mismatch"
    title = "This booking already has a payment with other details"


class InvalidSignatureError(DomainError):
    code = "invalid_signature"
    title = "Webhook signature is not valid"


class InvalidWebhookPayloadError(DomainError):
    code = "invalid_webhook_payload"
    title = "Webhook payload is not a valid event"


class PaymentProviderError(DomainError):
    code = "provider_error"
    title = "The payment provider refused the request"
