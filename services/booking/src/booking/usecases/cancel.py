"""The rider cancels a booking that has not started: the hold is released and any
authorisation voided (queued compensations, run at once and retried until done)."""

from __future__ import annotations

from uuid import UUID

from contracts.types import BookingStatus, RiderId

from booking.domain import Booking
from booking.domain.tasks import TaskKind
from booking.usecases import views
from booking.usecases.compensation import schedule_compensation
from booking.usecases.context import Services
from booking.usecases.queries import owned_for_update


async def cancel_booking(svc: Services, *, rider_id: RiderId, booking_id: UUID) -> Booking:
    """Cancel a scheduled, unpaid or confirmed booking (not an active trip)."""
    now = svc.clock.now()
    async with svc.uow() as uow:
        booking = await owned_for_update(uow, rider_id, booking_id)
        if booking.status is BookingStatus.CANCELLED:
            return booking
        was_scheduled = booking.status is BookingStatus.SCHEDULED
        compensation = booking.cancel("rider_cancelled", now)
        await schedule_compensation(uow, booking, compensation, reason="cancelled", now=now)
        if was_scheduled:
            await uow.tasks.cancel(booking.id, TaskKind.PROMOTE, now)
        uow.outbox.add(views.booking_cancelled(booking))
        await uow.bookings.save(booking)
        await uow.commit()
    return booking
