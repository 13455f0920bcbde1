"""Pay and confirm: payment confirm -> authorised: fleet keeps the vehicle until the unlock
deadline -> booking confirmed with a confirmation code and a signed receipt.

A decline is recorded on the booking. Below `rules.payment_attempts` declines the rider may
confirm again (a new Idempotency-Key, another card) while the hold lives; at the limit the
booking is cancelled, the vehicle released and the authorisation voided. A card that needs
3-D Secure leaves the booking pending with `payment.next_action`; payment's webhook then reports the
outcome (PaymentAuthorized -> a CONFIRM_BOOKING task confirms the hold; PaymentFailed -> a
decline). Resumable: a booking whose payment is already authorised skips straight to the
fleet confirmation.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from uuid import UUID

from contracts.api.payment import PaymentRead
from contracts.types import BookingStatus, PaymentStatus, RiderId

from booking.domain import (
    Booking,
    Compensation,
    HoldExpiredError,
    InvalidBookingStateError,
    Receipt,
)
from booking.domain.rules import confirmation_code, receipt_document
from booking.domain.tasks import Task
from booking.usecases import views
from booking.usecases.compensation import schedule_compensation
from booking.usecases.context import Services
from booking.usecases.queries import get_booking, owned_for_update


async def confirm_payment(
    svc: Services, *, rider_id: RiderId, booking_id: UUID, payment_method_id: str, attempt: UUID
) -> Booking:
    """Authorise the booking's payment and confirm the booking. `attempt` (the rider request's
    idempotency key id) keys the call to payment: a resumed attempt repeats it, a new one not."""
    booking = await get_booking(svc, rider_id=rider_id, booking_id=booking_id)
    if booking.status is BookingStatus.CONFIRMED:
        return booking
    _ensure_payable(svc, booking)
    if not booking.payment_authorized:
        assert booking.payment is not None
        result = await svc.payment.confirm(
            booking.payment.payment_id,
            payment_method_id=payment_method_id,
            idempotency_key=f"booking-{booking.id}-confirm-{attempt}",
        )
        if result.status is PaymentStatus.REQUIRES_PAYMENT_METHOD and result.next_action:
            return await _record_action(svc, rider_id, booking.id, result.next_action)
        if result.status is not PaymentStatus.AUTHORIZED:
            return await _record_decline(svc, rider_id, booking.id, result)
        booking = await _record_authorization(svc, rider_id, booking.id)
    return await confirm_hold(svc, booking)


async def confirm_booking_task(svc: Services, task: Task) -> datetime | None:
    """Payment authorised by webhook (after 3-D Secure): confirm the hold and the booking."""
    async with svc.uow() as uow:
        booking = await uow.bookings.get(task.booking_id)
    if booking is None or booking.status is not BookingStatus.PENDING_PAYMENT:
        return None
    if booking.payment_authorized:
        with contextlib.suppress(HoldExpiredError):  # expired and voided by confirm_hold
            await confirm_hold(svc, booking)
    return None


def _ensure_payable(svc: Services, booking: Booking) -> None:
    if booking.status is not BookingStatus.PENDING_PAYMENT:
        raise InvalidBookingStateError(
            f"A {booking.status.value} booking cannot be paid.",
            extensions={"booking_status": booking.status.value},
        )
    if booking.is_overdue(svc.clock.now()):
        raise HoldExpiredError("The hold on this vehicle has expired; book again.")


async def _record_decline(
    svc: Services, rider_id: RiderId, booking_id: UUID, result: PaymentRead
) -> Booking:
    now = svc.clock.now()
    async with svc.uow() as uow:
        booking = await owned_for_update(uow, rider_id, booking_id)
        if booking.status is not BookingStatus.PENDING_PAYMENT:
            return booking
        code = result.failure_code or result.status.value
        compensation = booking.record_decline(code, now, max_attempts=svc.rules.payment_attempts)
        if booking.is_terminal:
            uow.outbox.add(views.booking_cancelled(booking))
            await schedule_compensation(
                uow, booking, compensation, reason="payment_failed", now=now
            )
        await uow.bookings.save(booking)
        await uow.commit()
    return booking


async def _record_action(
    svc: Services, rider_id: RiderId, booking_id: UUID, next_action: str
) -> Booking:
    async with svc.uow() as uow:
        booking = await owned_for_update(uow, rider_id, booking_id)
        if booking.status is BookingStatus.PENDING_PAYMENT:
            booking.record_payment_action(next_action, svc.clock.now())
            await uow.bookings.save(booking)
            await uow.commit()
        return booking


async def _record_authorization(svc: Services, rider_id: RiderId, booking_id: UUID) -> Booking:
    now = svc.clock.now()
    async with svc.uow() as uow:
        booking = await owned_for_update(uow, rider_id, booking_id)
        if booking.status is BookingStatus.PENDING_PAYMENT:
            booking.record_authorization(now)
            await uow.bookings.save(booking)
            await uow.commit()
            return booking
        # Cancelled or expired while the card was being charged: never keep the money.
        void = Compensation(release_vehicle=False, void_payment=True)
        await schedule_compensation(uow, booking, void, reason="booking_not_live", now=now)
        await uow.commit()
    raise InvalidBookingStateError(
        f"The booking became {booking.status.value} meanwhile; nothing was charged.",
        extensions={"booking_status": booking.status.value},
    )


async def confirm_hold(svc: Services, booking: Booking) -> Booking:
    """Fleet keeps the vehicle until the unlock deadline; the booking is confirmed, with its
    confirmation code and signed receipt."""
    rider_id = booking.rider_id
    deadline = svc.clock.now() + timedelta(seconds=svc.rules.unlock_window_s)
    try:
        await svc.fleet.confirm_reservation(
            vehicle_id=booking.vehicle_id, booking_id=booking.id, hold_until=deadline
        )
    except HoldExpiredError:
        await _expire_lost_hold(svc, rider_id, booking.id)
        raise
    now = svc.clock.now()
    async with svc.uow() as uow:
        booking = await owned_for_update(uow, rider_id, booking.id)
        if booking.status is BookingStatus.CONFIRMED:
            return booking
        booking.confirm(
            unlock_deadline=deadline, confirmation_code=confirmation_code(booking.id), now=now
        )
        document = receipt_document(booking, issued_at=now)
        booking.attach_receipt(
            Receipt(document, svc.signer.sign(document), key_id=svc.signer.key_id)
        )
        uow.outbox.add(views.booking_confirmed(booking))
        await uow.bookings.save(booking)
        await uow.commit()
    return booking


async def _expire_lost_hold(svc: Services, rider_id: RiderId, booking_id: UUID) -> None:
    """Fleet no longer holds the vehicle: the booking expires and the authorisation is voided."""
    now = svc.clock.now()
    async with svc.uow() as uow:
        booking = await owned_for_update(uow, rider_id, booking_id)
        if booking.status is not BookingStatus.PENDING_PAYMENT:
            return
        compensation = booking.expire(now, reason="hold_lost")
        uow.outbox.add(views.booking_expired(booking, BookingStatus.PENDING_PAYMENT))
        await schedule_compensation(uow, booking, compensation, reason="expired", now=now)
        await uow.bookings.save(booking)
        await uow.commit()
