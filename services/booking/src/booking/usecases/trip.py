"""The trip: VehicleUnlocked starts it; ending it locks the vehicle, prices the ride and
captures the fare.

Ending is split at the lock. Before it, a failure leaves the trip running (503, retry). Once
fleet has locked the vehicle the end is recorded with a FINISH_TRIP task in the same
transaction; fare and capture then run at once and, if pricing or payment is down, the task
retries them until the booking completes. Capture is idempotent at payment and the fare is
deterministic, so the rider is charged exactly once and the trip is never lost.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from uuid import UUID

from contracts.api.pricing import FareCreate
from contracts.types import (
    BookingId,
    BookingStatus,
    GeoPoint,
    Money,
    PaymentStatus,
    RiderId,
    VehicleId,
)

from booking.domain import Booking, Fare, Receipt, TripNotActiveError
from booking.domain.rules import receipt_document
from booking.domain.tasks import Task, TaskKind
from booking.ports import UnitOfWork
from booking.usecases import translate, views
from booking.usecases.context import Services
from booking.usecases.queries import get_booking, owned_for_update

logger = logging.getLogger(__name__)


async def start_trip(
    uow: UnitOfWork,
    *,
    booking_id: BookingId,
    vehicle_id: VehicleId,
    started_at: datetime,
    position: GeoPoint | None,
    now: datetime,
) -> None:
    """VehicleUnlocked: confirmed -> active + TripStarted (a repeat changes nothing)."""
    async with uow:
        booking = await uow.bookings.get_for_update(booking_id)
        if booking is None or booking.vehicle_id != vehicle_id:
            logger.warning("unlock for unknown booking %s / vehicle %s", booking_id, vehicle_id)
            return
        if booking.status is not BookingStatus.CONFIRMED:
            if booking.status not in (BookingStatus.ACTIVE, BookingStatus.COMPLETED):
                logger.error("vehicle unlocked for a %s booking %s", booking.status, booking.id)
            return
        booking.start_trip(started_at=started_at, position=position, now=now)
        uow.outbox.add(views.trip_started(booking))
        await uow.bookings.save(booking)
        await uow.commit()


async def end_trip(svc: Services, *, rider_id: RiderId, booking_id: UUID) -> Booking:
    """Lock the vehicle, then bill: completed when capture worked, else billing continues."""
    booking = await get_booking(svc, rider_id=rider_id, booking_id=booking_id)
    if booking.status is BookingStatus.COMPLETED:
        return booking
    if booking.status is not BookingStatus.ACTIVE:
        raise TripNotActiveError(extensions={"booking_status": booking.status.value})
    if not booking.trip_ended:
        lock = await svc.fleet.lock_trip(vehicle_id=booking.vehicle_id, booking_id=booking.id)
        now = svc.clock.now()
        async with svc.uow() as uow:
            booking = await owned_for_update(uow, rider_id, booking.id)
            booking.record_trip_end(
                ended_at=lock.locked_at,
                position=lock.position,
                distance_m=lock.distance_m,
                vehicle_flagged=not lock.acknowledged,
                now=now,
            )
            lease = now + timedelta(seconds=svc.workers.task_lease_s)
            await uow.tasks.ensure(
                Task(booking_id=booking.id, kind=TaskKind.FINISH_TRIP, run_at=lease)
            )
            await uow.bookings.save(booking)
            await uow.commit()
    try:
        return await finish_trip(svc, booking.id)
    except Exception as exc:  # noqa: BLE001 - the FINISH_TRIP task retries it
        logger.warning("billing of trip %s deferred: %r", booking.id, exc)
        return await get_booking(svc, rider_id=rider_id, booking_id=booking.id)


async def finish_trip_task(svc: Services, task: Task) -> datetime | None:
    await finish_trip(svc, task.booking_id)
    return None


async def finish_trip(svc: Services, booking_id: BookingId) -> Booking:
    """Fare (once, deterministic) -> capture (idempotent) -> completed + TripEnded."""
    async with svc.uow() as uow:
        booking = await uow.bookings.get(booking_id)
    assert booking is not None
    assert booking.quote is not None
    assert booking.payment is not None
    if booking.status is BookingStatus.COMPLETED:
        return booking
    if booking.trip.fare is None:
        assert booking.trip.started_at is not None
        assert booking.trip.ended_at is not None
        fare = await svc.pricing.fare(
            FareCreate(
                quote_id=booking.quote.quote_id,
                booking_id=booking.id,
                started_at=booking.trip.started_at,
                ended_at=booking.trip.ended_at,
                distance_m=booking.trip.distance_m or 0,
            )
        )
        booking = await _record_fare(svc, booking_id, translate.fare(fare))
    captured = await _settle(svc, booking)
    return await _complete(svc, booking_id, captured)


async def _record_fare(svc: Services, booking_id: BookingId, fare: Fare) -> Booking:
    async with svc.uow() as uow:
        booking = await uow.bookings.get_for_update(booking_id)
        assert booking is not None
        if booking.trip.fare is None:
            booking.record_fare(fare, svc.clock.now())
            await uow.bookings.save(booking)
            await uow.commit()
        return booking


async def _settle(svc: Services, booking: Booking) -> Money:
    """Capture the fare (a free ride voids the authorisation instead)."""
    assert booking.payment is not None
    assert booking.trip.fare is not None
    total = booking.trip.fare.total
    if total.amount_minor == 0:
        await svc.payment.void(booking.payment.payment_id, reason="free_ride")
        return total
    read = await svc.payment.capture(booking.payment.payment_id, amount=total)
    return read.captured_amount or total


async def _complete(svc: Services, booking_id: BookingId, captured: Money) -> Booking:
    now = svc.clock.now()
    async with svc.uow() as uow:
        booking = await uow.bookings.get_for_update(booking_id)
        assert booking is not None
        if booking.status is BookingStatus.COMPLETED:
            return booking
        booking.complete(captured=captured, now=now)
        if captured.amount_minor == 0:
            booking.record_payment_status(PaymentStatus.VOIDED, now)
        document = receipt_document(booking, issued_at=now)
        booking.attach_receipt(Receipt(document, svc.signer.sign(document), svc.signer.key_id))
        uow.outbox.add(views.trip_ended(booking, now))
        await uow.tasks.cancel(booking.id, TaskKind.FINISH_TRIP, now)
        await uow.bookings.save(booking)
        await uow.commit()
    return booking
