"""Reads, and the ownership rule every rider action shares: another rider's booking does not
exist for you (404, never 403)."""

from __future__ import annotations

from uuid import UUID

from contracts.api.booking import BookingPage
from contracts.types import RiderId

from booking.domain import Booking, BookingNotFoundError
from booking.ports import UnitOfWork
from booking.usecases import views
from booking.usecases.context import Services


def ensure_owner(booking: Booking | None, rider_id: RiderId) -> Booking:
    if booking is None or booking.rider_id != rider_id:
        raise BookingNotFoundError("No such booking.")
    return booking


async def owned_for_update(uow: UnitOfWork, rider_id: RiderId, booking_id: UUID) -> Booking:
    return ensure_owner(await uow.bookings.get_for_update(booking_id), rider_id)


async def get_booking(svc: Services, *, rider_id: RiderId, booking_id: UUID) -> Booking:
    """One of the rider's own bookings."""
    async with svc.uow() as uow:
        return ensure_owner(await uow.bookings.get(booking_id), rider_id)


async def list_bookings(
    svc: Services, *, rider_id: RiderId, limit: int, offset: int
) -> BookingPage:
    """The rider's own bookings, newest first."""
    async with svc.uow() as uow:
        bookings, total = await uow.bookings.list_for_rider(rider_id, limit=limit, offset=offset)
    return BookingPage(
        items=[views.booking_read(b) for b in bookings], total=total, limit=limit, offset=offset
    )
