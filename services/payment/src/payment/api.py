"""Payment HTTP API: contracts models in, use cases, contracts models out."""

from __future__ import annotations

from typing import Annotated

from contracts.api.payment import (
    PaymentCapture,
    PaymentConfirm,
    PaymentCreate,
    PaymentRead,
    PaymentRefund,
    PaymentVoid,
    WebhookAck,
)
from contracts.errors import DomainError
from contracts.types import BookingId, PaymentId
from fastapi import APIRouter, Header, Request
from mobility_platform.auth import internal_router

from payment import domain, usecases
from payment.deps import ProviderDep, UowDep

router = APIRouter()
internal = internal_router(tags=["payments"])
webhooks = APIRouter(tags=["webhooks"])

ERROR_STATUS: dict[type[DomainError], int] = {
    domain.PaymentNotFoundError: 404,
    domain.InvalidPaymentStateError: 409,
    domain.PaymentRequestMismatchError: 409,
    domain.AmountExceedsAuthorizationError: 422,
    domain.AmountExceedsCaptureError: 422,
    domain.InvalidAmountError: 422,
    domain.InvalidSignatureError: 400,
    domain.InvalidWebhookPayloadError: 400,
    domain.PaymentProviderError: 502,
}


def to_read(p: domain.Payment) -> PaymentRead:
    return PaymentRead(
        payment_id=p.id,
        booking_id=p.booking_id,
        rider_id=p.rider_id,
        status=p.status,
        amount=p.amount,
        captured_amount=p.captured_amount,
        refunded_amount=p.refunded_amount,
        provider_ref=p.provider_ref,
        client_secret=p.client_secret,
        failure_code=p.failure_code,
        failure_message=p.failure_message,
        created_at=p.created_at,
        updated_at=p.updated_at,
        next_action=p.next_action,
    )


@internal.post("/payments", status_code=201)
async def create_payment(body: PaymentCreate, uow: UowDep, psp: ProviderDep) -> PaymentRead:
    """Create the booking's manual-capture payment; idempotent per booking_id."""
    payment = await usecases.create_payment(
        uow,
        psp,
        booking_id=body.booking_id,
        rider_id=body.rider_id,
        amount=body.amount,
        rider_email=body.rider_email,
        description=body.description,
    )
    return to_read(payment)


@internal.post("/payments/{payment_id}/confirm")
async def confirm_payment(
    payment_id: PaymentId, body: PaymentConfirm, uow: UowDep, psp: ProviderDep
) -> PaymentRead:
    """Authorise with a payment method; a decline answers 200 with status failed."""
    payment = await usecases.confirm_payment(
        uow, psp, payment_id=payment_id, payment_method_id=body.payment_method_id
    )
    return to_read(payment)


@internal.post("/payments/{payment_id}/capture")
async def capture_payment(
    payment_id: PaymentId, body: PaymentCapture, uow: UowDep, psp: ProviderDep
) -> PaymentRead:
    """Capture up to the authorised amount (partial capture releases the rest)."""
    payment = await usecases.capture_payment(uow, psp, payment_id=payment_id, amount=body.amount)
    return to_read(payment)


@internal.post("/payments/{payment_id}/void")
async def void_payment(
    payment_id: PaymentId, body: PaymentVoid, uow: UowDep, psp: ProviderDep
) -> PaymentRead:
    """Release the authorisation; idempotent."""
    payment = await usecases.void_payment(uow, psp, payment_id=payment_id, reason=body.reason)
    return to_read(payment)


@internal.post("/payments/{payment_id}/refund")
async def refund_payment(
    payment_id: PaymentId, body: PaymentRefund, uow: UowDep, psp: ProviderDep
) -> PaymentRead:
    """Refund a captured payment (in full unless an amount is given); idempotent."""
    payment = await usecases.refund_payment(
        uow, psp, payment_id=payment_id, amount=body.amount, reason=body.reason
    )
    return to_read(payment)


@internal.get("/payments/{payment_id}")
async def get_payment(payment_id: PaymentId, uow: UowDep) -> PaymentRead:
    """One payment by id."""
    return to_read(await usecases.get_payment(uow, payment_id=payment_id))


@internal.get("/payments")
async def get_payment_for_booking(booking_id: BookingId, uow: UowDep) -> PaymentRead:
    """The payment of a booking (`?booking_id=`)."""
    return to_read(await usecases.get_payment_for_booking(uow, booking_id=booking_id))


@webhooks.post("/webhooks/stripe")
async def receive_stripe_webhook(
    request: Request,
    uow: UowDep,
    psp: ProviderDep,
    stripe_signature: Annotated[str | None, Header()] = None,
) -> WebhookAck:
    """Stripe webhook: signature checked on the raw body, each event applied at most once."""
    event = psp.parse_event(await request.body(), stripe_signature)
    outcome = await usecases.apply_provider_event(uow, event=event)
    return WebhookAck(event_id=event.event_id, outcome=outcome.value)


router.include_router(internal)
router.include_router(webhooks)
