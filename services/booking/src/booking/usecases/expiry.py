"""Expiry: unpaid bookings past their hold and confirmed bookings never unlocked in time.

The sweeper claims overdue bookings with FOR UPDATE SKIP LOCKED (safe with several replicas),
expires them and queues the compensations (release the vehicle, void the authorisation) in the
same transaction; the task runner carries those out and retries while a peer is down.
"""

from __future__ import annotations

from datetime import datetime

from contracts.types import BookingId, BookingStatus

from booking.domain import HOLDING, Compensation
from booking.ports import UnitOfWork
from booking.usecases import views
from booking.usecases.compensation import schedule_compensation
from booking.usecases.context import Services

REASONS = {
    BookingStatus.PENDING_PAYMENT: "hold_expired",
    BookingStatus.CONFIRMED: "unlock_window_passed",
}


async def expire_overdue(svc: Services) -> int:
    """One sweep: expire what is overdue now. Returns how many bookings expired."""
    now = svc.clock.now()
    async with svc.uow() as uow:
        bookings = await uow.bookings.claim_overdue(now, limit=svc.workers.batch_size)
        for booking in bookings:
            previous = booking.status
            compensation = booking.expire(now, reason=REASONS[previous])
            await schedule_compensation(uow, booking, compensation, reason="expired", now=now)
            uow.outbox.add(views.booking_expired(booking, previous))
            await uow.bookings.save(booking)
        await uow.commit()
    return len(bookings)


async def expire_released_hold(uow: UnitOfWork, *, booking_id: BookingId, now: datetime) -> None:
    """VehicleReleased(hold_expired): fleet dropped the hold itself; a booking still waiting
    on it expires (the vehicle is already free: only the authorisation is voided)."""
    async with uow:
        booking = await uow.bookings.get_for_update(booking_id)
        if booking is None or booking.status not in HOLDING:
            return
        previous = booking.status
        compensation = booking.expire(now, reason="hold_expired")
        void_only = Compensation(release_vehicle=False, void_payment=compensation.void_payment)
        await schedule_compensation(uow, booking, void_only, reason="expired", now=now)
        uow.outbox.add(views.booking_expired(booking, previous))
        await uow.bookings.save(booking)
        await uow.commit()
