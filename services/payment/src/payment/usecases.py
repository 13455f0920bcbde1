"""Payment use cases: one transaction each; the provider call happens under the row lock.

Holding the payment row (`SELECT ... FOR UPDATE`) across the provider call serialises
duplicates and webhooks for that one payment, so a retried or concurrent request never makes a
second provider call with a different key, and a webhook waits for the call's outcome. A
provider failure rolls the transaction back: the retry recomputes the same idempotency key.
"""

from __future__ import annotations

from enum import StrEnum

from contracts.envelope import Event
from contracts.events.payment import (
    PaymentAuthorized,
    PaymentCaptured,
    PaymentFailed,
    PaymentRefunded,
    PaymentVoided,
)
from contracts.types import BookingId, Money, PaymentId, RiderId

from payment import domain
from payment.domain import ProviderKeys as Keys
from payment.psp import PaymentProvider
from payment.uow import AbstractUnitOfWork


async def create_payment(
    uow: AbstractUnitOfWork,
    psp: PaymentProvider,
    *,
    booking_id: BookingId,
    rider_id: RiderId,
    amount: Money,
    rider_email: str | None = None,
    description: str = "",
) -> domain.Payment:
    """Create the booking's payment and its manual-capture intent, once per booking."""
    candidate = domain.Payment.new(
        booking_id=booking_id,
        rider_id=rider_id,
        amount=amount,
        description=description,
        now=uow.clock.now(),
    )
    async with uow:
        payment = await uow.payments.add_or_get_for_update(candidate)
        payment.check_same_request(candidate)
        if payment.provider_ref is not None:
            return payment  # the same request again: same payment, same intent
        customer_ref = await _customer_for(uow, psp, rider_id, rider_email)
        intent = await _create_intent(psp, payment, customer_ref)
        payment.attach_intent(intent, customer_ref=customer_ref, now=uow.clock.now())
        await _save(uow, payment)
    return payment


async def confirm_payment(
    uow: AbstractUnitOfWork, psp: PaymentProvider, *, payment_id: PaymentId, payment_method_id: str
) -> domain.Payment:
    """Authorise the payment with a payment method; a decline is an outcome (status failed)."""
    async with uow:
        payment = await _locked(uow, payment_id)
        if not payment.confirmation_needed(payment_method_id):
            return payment
        attempt = payment.begin_confirmation(payment_method_id)
        intent = await psp.confirm_intent(
            payment.intent_ref,
            payment_method_id=payment_method_id,
            idempotency_key=Keys.confirm(payment.id, attempt),
        )
        payment.apply_confirmation(intent, uow.clock.now())
        await _save(uow, payment)
    return payment


async def capture_payment(
    uow: AbstractUnitOfWork, psp: PaymentProvider, *, payment_id: PaymentId, amount: Money
) -> domain.Payment:
    """Capture up to the authorised amount; the rest of the hold is released."""
    async with uow:
        payment = await _locked(uow, payment_id)
        if not payment.capture_needed(amount):
            return payment
        intent = await psp.capture_intent(
            payment.intent_ref, amount=amount, idempotency_key=Keys.capture(payment.id)
        )
        captured = payment.apply_capture(intent, amount, uow.clock.now())
        await _save(uow, payment)
    if not captured:
        raise domain.InvalidPaymentStateError(f"The provider reports the payment {intent.state}.")
    return payment


async def void_payment(
    uow: AbstractUnitOfWork, psp: PaymentProvider, *, payment_id: PaymentId, reason: str
) -> domain.Payment:
    """Release the authorisation (or abandon a never-authorised payment)."""
    async with uow:
        payment = await _locked(uow, payment_id)
        if not payment.void_needed():
            return payment
        intent = await psp.cancel_intent(
            payment.intent_ref, reason=reason, idempotency_key=Keys.cancel(payment.id)
        )
        voided = payment.apply_void(intent, reason, uow.clock.now())
        await _save(uow, payment)
    if not voided:
        raise domain.InvalidPaymentStateError(f"The provider reports the payment {intent.state}.")
    return payment


async def refund_payment(
    uow: AbstractUnitOfWork,
    psp: PaymentProvider,
    *,
    payment_id: PaymentId,
    amount: Money | None,
    reason: str,
) -> domain.Payment:
    """Refund a captured payment (all of it unless an amount is given)."""
    async with uow:
        payment = await _locked(uow, payment_id)
        to_refund = payment.refund_amount(amount)
        if to_refund is None:
            return payment
        await psp.refund(
            payment.intent_ref,
            amount=to_refund,
            reason=reason,
            idempotency_key=Keys.refund(payment.id),
        )
        payment.mark_refunded(to_refund, reason, uow.clock.now())
        await _save(uow, payment)
    return payment


async def get_payment(uow: AbstractUnitOfWork, *, payment_id: PaymentId) -> domain.Payment:
    """One payment by id."""
    async with uow:
        payment = await uow.payments.get(payment_id)
    if payment is None:
        raise domain.PaymentNotFoundError(f"No payment {payment_id}.")
    return payment


async def get_payment_for_booking(
    uow: AbstractUnitOfWork, *, booking_id: BookingId
) -> domain.Payment:
    """The payment of a booking."""
    async with uow:
        payment = await uow.payments.get_by_booking(booking_id)
    if payment is None:
        raise domain.PaymentNotFoundError(f"No payment for booking {booking_id}.")
    return payment


class WebhookOutcome(StrEnum):
    APPLIED = "applied"
    IGNORED = "ignored"  # not about one of our payments, or stale/repeated news (never backwards)
    DUPLICATE = "duplicate"  # this event id was applied before: no second effect


async def apply_provider_event(
    uow: AbstractUnitOfWork, *, event: domain.ProviderEvent
) -> WebhookOutcome:
    """Apply a verified provider webhook at most once, recording its id with its effect."""
    async with uow:
        if not await uow.webhook_events.record(event.event_id, event.event_type):
            return WebhookOutcome.DUPLICATE
        outcome = WebhookOutcome.IGNORED
        intent = event.intent
        if intent is not None:
            payment = await uow.payments.get_by_provider_ref_for_update(intent.ref)
            if payment is not None and payment.follow(intent, uow.clock.now()):
                await uow.payments.save(payment)
                _emit(uow, payment)
                outcome = WebhookOutcome.APPLIED
        await uow.commit()
    return outcome


# --- helpers ----------------------------------------------------------------------------------


async def _locked(uow: AbstractUnitOfWork, payment_id: PaymentId) -> domain.Payment:
    payment = await uow.payments.get_for_update(payment_id)
    if payment is None:
        raise domain.PaymentNotFoundError(f"No payment {payment_id}.")
    return payment


async def _customer_for(
    uow: AbstractUnitOfWork, psp: PaymentProvider, rider_id: RiderId, email: str | None
) -> str:
    known = await uow.customers.get(rider_id)
    if known is not None:
        return known
    created = await psp.create_customer(
        rider_id=rider_id, email=email, idempotency_key=Keys.customer(rider_id)
    )
    return await uow.customers.add(rider_id, created)


async def _create_intent(
    psp: PaymentProvider, payment: domain.Payment, customer_ref: str
) -> domain.Intent:
    return await psp.create_intent(
        amount=payment.amount,
        customer_ref=customer_ref,
        booking_id=payment.booking_id,
        payment_id=payment.id,
        rider_id=payment.rider_id,
        description=payment.description,
        idempotency_key=Keys.create(payment.booking_id),
    )


async def _save(uow: AbstractUnitOfWork, payment: domain.Payment) -> None:
    """State and its events in one transaction."""
    await uow.payments.save(payment)
    _emit(uow, payment)
    await uow.commit()


def _emit(uow: AbstractUnitOfWork, payment: domain.Payment) -> None:
    for change in payment.pull_changes():
        uow.outbox.add(to_event(payment, change))


def to_event(payment: domain.Payment, change: domain.Change) -> Event:
    """A recorded change as the contracts event published on payment.events.v1."""
    ids = {
        "payment_id": payment.id,
        "booking_id": payment.booking_id,
        "rider_id": payment.rider_id,
    }
    match change:
        case domain.Authorized(at=at):
            return PaymentAuthorized(
                **ids, amount=payment.amount, provider_ref=payment.intent_ref, authorized_at=at
            )
        case domain.Failed(code=code, message=message, at=at):
            return PaymentFailed(
                **ids, amount=payment.amount, code=code, message=message, failed_at=at
            )
        case domain.Captured(amount=amount, at=at):
            return PaymentCaptured(
                **ids, amount=amount, authorized_amount=payment.amount, captured_at=at
            )
        case domain.Voided(reason=reason, at=at):
            return PaymentVoided(**ids, amount=payment.amount, reason=reason, voided_at=at)
        case domain.Refunded(amount=amount, reason=reason, at=at):
            return PaymentRefunded(**ids, amount=amount, reason=reason, refunded_at=at)
    raise AssertionError(f"unmapped change {change!r}")
