"""Trips: the rider unlocks a confirmed reservation; booking locks the vehicle at the end.

Commands go to the iot-gateway outside any transaction (a vehicle may take seconds); the
state change and its event commit afterwards, after re-reading the row under a lock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from contracts.events.fleet import VehicleLocked, VehicleStatusChanged, VehicleUnlocked
from contracts.types import BookingId, RiderId, VehicleId, VehicleStatus

from fleet.domain import (
    CommandFailedError,
    Reservation,
    ReservationNotFoundError,
    TripEnd,
    TripNotActiveError,
    TripStart,
    Vehicle,
    VehicleNotFoundError,
    VehicleReport,
    end_of_trip,
    new_reservation,
)
from fleet.ports import AbstractUnitOfWork, VehicleCommands

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Unlocked:
    vehicle_id: VehicleId
    booking_id: BookingId
    unlocked_at: datetime


@dataclass(frozen=True)
class TripLocked:
    vehicle_id: VehicleId
    booking_id: BookingId
    trip: TripEnd


async def unlock_vehicle(
    uow: AbstractUnitOfWork, commands: VehicleCommands, *, vehicle_id: VehicleId, rider_id: RiderId
) -> Unlocked:
    """Unlock for the rider holding the confirmed reservation; the hold survives failures."""
    async with uow:
        vehicle = await uow.vehicles.get(vehicle_id)
        if vehicle is None:
            raise VehicleNotFoundError(f"Vehicle {vehicle_id} does not exist.")
        done = await _unlocked_already(uow, vehicle, rider_id)
    if done is not None:
        return done
    booking_id = vehicle.booking_unlockable_by(rider_id, uow.clock.now())
    report = await commands.unlock(vehicle_id, booking_id)
    try:
        return await _start_trip(uow, vehicle_id, booking_id, report)
    except ReservationNotFoundError:
        await _lock_quietly(commands, vehicle_id, booking_id)
        raise


async def _unlocked_already(
    uow: AbstractUnitOfWork, vehicle: Vehicle, rider_id: RiderId
) -> Unlocked | None:
    """A repeated unlock (double tap, retry after a lost response) answers the first result."""
    booking_id = vehicle.reserved_booking_id
    if vehicle.status is not VehicleStatus.IN_USE or vehicle.reserved_rider_id != rider_id:
        return None
    assert booking_id is not None
    reservation = await uow.reservations.get(vehicle.id, booking_id)
    if reservation is None or reservation.trip_start is None:
        return None
    return Unlocked(vehicle.id, booking_id, reservation.trip_start.unlocked_at)


async def _start_trip(
    uow: AbstractUnitOfWork, vehicle_id: VehicleId, booking_id: BookingId, report: VehicleReport
) -> Unlocked:
    now = uow.clock.now()
    async with uow:
        vehicle = await uow.vehicles.get_for_update(vehicle_id)
        if vehicle is None or not vehicle.is_held_by(booking_id):
            raise ReservationNotFoundError("The reservation ended while the vehicle unlocked.")
        await uow.vehicles.save(vehicle.trip_started(report), moved=True)
        reservation = await _reservation(uow, vehicle, booking_id, now)
        start = TripStart(unlocked_at=now, position=report.position, odometer_m=report.odometer_m)
        await uow.reservations.save(reservation.start_trip(start))
        uow.outbox.add(
            VehicleUnlocked(
                vehicle_id=vehicle_id,
                booking_id=booking_id,
                rider_id=reservation.rider_id,
                unlocked_at=now,
                position=report.position,
                battery_pct=report.battery_pct,
            )
        )
        await uow.commit()  # reserved -> in_use: search showed it in neither state
    return Unlocked(vehicle_id, booking_id, now)


async def lock_trip(
    uow: AbstractUnitOfWork,
    commands: VehicleCommands,
    *,
    vehicle_id: VehicleId,
    booking_id: BookingId,
) -> TripLocked:
    """End a trip: lock, then available where it stands (no ack: maintenance). Idempotent."""
    async with uow:
        reservation = await uow.reservations.get(vehicle_id, booking_id)
        vehicle = await uow.vehicles.get(vehicle_id)
    if reservation is not None and reservation.trip_end is not None:
        return TripLocked(vehicle_id, booking_id, reservation.trip_end)
    if vehicle is None or vehicle.status is not VehicleStatus.IN_USE:
        raise TripNotActiveError("The vehicle is not in use by this booking.")
    if not vehicle.is_held_by(booking_id):
        raise TripNotActiveError("The vehicle is not in use by this booking.")
    report = await _lock_quietly(commands, vehicle_id, booking_id)
    return await _end_trip(uow, vehicle_id, booking_id, report)


async def _end_trip(
    uow: AbstractUnitOfWork,
    vehicle_id: VehicleId,
    booking_id: BookingId,
    report: VehicleReport | None,
) -> TripLocked:
    now = uow.clock.now()
    async with uow:
        vehicle = await uow.vehicles.get_for_update(vehicle_id)
        reservation = await uow.reservations.get(vehicle_id, booking_id, for_update=True)
        if reservation is not None and reservation.trip_end is not None:
            return TripLocked(vehicle_id, booking_id, reservation.trip_end)  # a concurrent call won
        if vehicle is None or vehicle.status is not VehicleStatus.IN_USE:
            raise TripNotActiveError("The vehicle is not in use by this booking.")
        reservation = reservation or new_reservation(vehicle, now)
        ended, trip = end_of_trip(reservation, vehicle, report, now)
        ended = await uow.vehicles.save(ended, moved=report is not None)
        await uow.reservations.save(reservation.end_trip(trip))
        _trip_events(uow, vehicle, booking_id, trip)
        uow.invalidate(ended)  # in_use was never in a cell; where it now stands may be
        await uow.commit()
    return TripLocked(vehicle_id, booking_id, trip)


def _trip_events(
    uow: AbstractUnitOfWork, vehicle: Vehicle, booking_id: BookingId, trip: TripEnd
) -> None:
    uow.outbox.add(
        VehicleLocked(
            vehicle_id=vehicle.id,
            booking_id=booking_id,
            locked_at=trip.locked_at,
            position=trip.position,
            battery_pct=trip.battery_pct,
            acknowledged=trip.acknowledged,
        )
    )
    if not trip.acknowledged:
        uow.outbox.add(
            VehicleStatusChanged(
                vehicle_id=vehicle.id,
                status="maintenance",
                previous_status="in_use",
                reason="lock_not_acknowledged",
                changed_at=trip.locked_at,
            )
        )


async def _reservation(
    uow: AbstractUnitOfWork, vehicle: Vehicle, booking_id: BookingId, now: datetime
) -> Reservation:
    found = await uow.reservations.get(vehicle.id, booking_id, for_update=True)
    return found or new_reservation(vehicle, now)


async def _lock_quietly(
    commands: VehicleCommands, vehicle_id: VehicleId, booking_id: BookingId
) -> VehicleReport | None:
    """Lock; a vehicle that does not ack (or cannot be reached) answers None."""
    try:
        return await commands.lock(vehicle_id, booking_id)
    except CommandFailedError as exc:
        logger.warning("lock of %s for %s not acknowledged: %s", vehicle_id, booking_id, exc.code)
        return None
