"""Payment events (from payment's webhooks) reconcile what the synchronous path may have
missed: a crash after the card was charged, a 3-D Secure result arriving later."""

from __future__ import annotations

from datetime import datetime

from contracts.types import BookingId, BookingStatus, PaymentStatus

from booking.domain import Compensation
from booking.domain.tasks import Task, TaskKind
from booking.ports import UnitOfWork
from booking.usecases import views
from booking.usecases.compensation import schedule_compensation


async def payment_authorized(uow: UnitOfWork, *, booking_id: BookingId, now: datetime) -> None:
    """Record the authorisation on a waiting booking and queue its confirmation (fleet hold
    -> confirmed); void it for a booking that is no longer live."""
    async with uow:
        booking = await uow.bookings.get_for_update(booking_id)
        if booking is None or booking.payment is None:
            return
        if booking.status is BookingStatus.PENDING_PAYMENT and not booking.payment_authorized:
            booking.record_authorization(now)
            await uow.tasks.ensure(
                Task(booking_id=booking.id, kind=TaskKind.CONFIRM_BOOKING, run_at=now)
            )
            await uow.bookings.save(booking)
        elif booking.is_terminal and booking.status is not BookingStatus.COMPLETED:
            void = Compensation(release_vehicle=False, void_payment=True)
            await schedule_compensation(uow, booking, void, reason="booking_not_live", now=now)
        await uow.commit()


async def payment_failed(
    uow: UnitOfWork, *, booking_id: BookingId, code: str, max_attempts: int, now: datetime
) -> None:
    """A decline the synchronous path did not see (it records declines itself)."""
    async with uow:
        booking = await uow.bookings.get_for_update(booking_id)
        if booking is None or booking.payment is None:
            return
        if booking.status is not BookingStatus.PENDING_PAYMENT:
            return
        if booking.payment.status is not PaymentStatus.REQUIRES_PAYMENT_METHOD:
            return
        compensation = booking.record_decline(code, now, max_attempts=max_attempts)
        if booking.is_terminal:
            uow.outbox.add(views.booking_cancelled(booking))
            await schedule_compensation(
                uow, booking, compensation, reason="payment_failed", now=now
            )
        await uow.bookings.save(booking)
        await uow.commit()
