"""Unlock and trip lock against a fake of the vehicle-commands port."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from uuid import uuid4

import pytest
from contracts.events.fleet import VehicleLocked, VehicleStatusChanged, VehicleUnlocked
from contracts.types import BookingId, RiderId, VehicleStatus
from fleet.domain import (
    CommandRejectedError,
    GatewayUnavailableError,
    NotYourBookingError,
    TripNotActiveError,
    Vehicle,
    VehicleTimeoutError,
    new_reservation,
)
from fleet.usecases import lock_trip, unlock_vehicle
from fleet_fakes import T0, FakeCommands, FakeUnitOfWork, a_vehicle, held, report_at


def _confirmed() -> tuple[FakeUnitOfWork, FakeCommands, Vehicle]:
    uow, commands = FakeUnitOfWork(), FakeCommands()
    vehicle = held(a_vehicle(), confirmed=True)
    uow.vehicles.add(vehicle)
    uow.reservations.rows[(vehicle.id, vehicle.reserved_booking_id)] = new_reservation(vehicle, T0)  # type: ignore[index]
    return uow, commands, vehicle


def _rider(vehicle: Vehicle) -> RiderId:
    assert vehicle.reserved_rider_id is not None
    return vehicle.reserved_rider_id


async def test_holder_of_the_confirmed_reservation_unlocks_and_the_trip_starts() -> None:
    uow, commands, vehicle = _confirmed()
    commands.unlock_outcome = report_at(50.1101, 8.6801, battery=77, odometer=12_000)

    done = await unlock_vehicle(uow, commands, vehicle_id=vehicle.id, rider_id=_rider(vehicle))

    assert done.booking_id == vehicle.reserved_booking_id
    stored = uow.vehicles.rows[vehicle.id]
    assert stored.status is VehicleStatus.IN_USE
    assert stored.battery_pct == 77
    [event] = uow.outbox.events
    assert isinstance(event, VehicleUnlocked)
    assert event.rider_id == vehicle.reserved_rider_id
    reservation = uow.reservations.rows[(vehicle.id, done.booking_id)]
    assert reservation.state == "in_trip"
    assert reservation.trip_start is not None
    assert reservation.trip_start.odometer_m == 12_000


async def test_repeated_unlock_answers_the_first_result_without_a_second_command() -> None:
    uow, commands, vehicle = _confirmed()
    commands.unlock_outcome = report_at(50.11, 8.68)
    first = await unlock_vehicle(uow, commands, vehicle_id=vehicle.id, rider_id=_rider(vehicle))
    again = await unlock_vehicle(uow, commands, vehicle_id=vehicle.id, rider_id=_rider(vehicle))
    assert again == first
    assert len(commands.sent) == 1


async def test_other_rider_or_unconfirmed_reservation_gets_not_your_booking() -> None:
    uow, commands, vehicle = _confirmed()
    with pytest.raises(NotYourBookingError):
        await unlock_vehicle(uow, commands, vehicle_id=vehicle.id, rider_id=RiderId(uuid4()))
    uow.vehicles.add(replace(vehicle, reservation_confirmed=False))
    with pytest.raises(NotYourBookingError):
        await unlock_vehicle(uow, commands, vehicle_id=vehicle.id, rider_id=_rider(vehicle))
    assert commands.sent == []


@pytest.mark.parametrize(
    "failure",
    [VehicleTimeoutError(), GatewayUnavailableError(retry_after_s=2), CommandRejectedError()],
)
async def test_failed_unlock_leaves_the_reservation_intact_and_retryable(
    failure: Exception,
) -> None:
    uow, commands, vehicle = _confirmed()
    commands.unlock_outcome = failure  # type: ignore[assignment]
    with pytest.raises(type(failure)):
        await unlock_vehicle(uow, commands, vehicle_id=vehicle.id, rider_id=_rider(vehicle))
    assert uow.vehicles.rows[vehicle.id] == vehicle
    assert not uow.outbox.events

    commands.unlock_outcome = report_at(50.11, 8.68)
    await unlock_vehicle(uow, commands, vehicle_id=vehicle.id, rider_id=_rider(vehicle))
    assert uow.vehicles.rows[vehicle.id].status is VehicleStatus.IN_USE


async def _in_trip() -> tuple[FakeUnitOfWork, FakeCommands, Vehicle, BookingId]:
    uow, commands, vehicle = _confirmed()
    commands.unlock_outcome = report_at(50.11, 8.68, odometer=10_000)
    done = await unlock_vehicle(uow, commands, vehicle_id=vehicle.id, rider_id=_rider(vehicle))
    uow.outbox.events.clear()
    uow.clock.advance(minutes=12)
    return uow, commands, vehicle, done.booking_id


async def test_acked_lock_ends_the_trip_available_at_the_new_position() -> None:
    uow, commands, vehicle, booking = await _in_trip()
    commands.lock_outcome = report_at(50.12, 8.69, battery=60, odometer=13_250)

    done = await lock_trip(uow, commands, vehicle_id=vehicle.id, booking_id=booking)

    assert done.trip.acknowledged
    assert done.trip.distance_m == 3_250
    stored = uow.vehicles.rows[vehicle.id]
    assert stored.status is VehicleStatus.AVAILABLE
    assert stored.reserved_booking_id is None
    assert (stored.position.lat, stored.position.lon, stored.battery_pct) == (50.12, 8.69, 60)
    assert uow.event_types() == ["VehicleLocked"]
    assert ("scooter", 50.12, 8.69) in uow.invalidated


async def test_lock_without_ack_still_ends_the_trip_and_flags_the_vehicle() -> None:
    uow, commands, vehicle, booking = await _in_trip()
    commands.lock_outcome = VehicleTimeoutError()

    done = await lock_trip(uow, commands, vehicle_id=vehicle.id, booking_id=booking)

    assert not done.trip.acknowledged
    assert done.trip.vehicle_status is VehicleStatus.MAINTENANCE
    assert uow.vehicles.rows[vehicle.id].status is VehicleStatus.MAINTENANCE
    locked, changed = uow.outbox.events
    assert isinstance(locked, VehicleLocked)
    assert not locked.acknowledged
    assert isinstance(changed, VehicleStatusChanged)
    assert changed.status == "maintenance"


async def test_second_lock_returns_the_same_result_without_a_second_command() -> None:
    uow, commands, vehicle, booking = await _in_trip()
    commands.lock_outcome = report_at(50.12, 8.69)
    first = await lock_trip(uow, commands, vehicle_id=vehicle.id, booking_id=booking)
    uow.clock.advance(minutes=1)
    again = await lock_trip(uow, commands, vehicle_id=vehicle.id, booking_id=booking)
    assert again == first
    assert [c[0] for c in commands.sent] == ["unlock", "lock"]


async def test_lock_for_a_booking_without_a_trip_is_trip_not_active() -> None:
    uow, commands, vehicle = _confirmed()
    assert vehicle.reserved_booking_id is not None
    with pytest.raises(TripNotActiveError):
        await lock_trip(
            uow, commands, vehicle_id=vehicle.id, booking_id=vehicle.reserved_booking_id
        )
    with pytest.raises(TripNotActiveError):
        await lock_trip(uow, commands, vehicle_id=vehicle.id, booking_id=BookingId(uuid4()))
    assert commands.sent == []


async def test_unlock_after_the_hold_was_released_meanwhile_relocks_and_reports() -> None:
    uow, _, vehicle = _confirmed()

    class ReleasedDuringUnlock(FakeCommands):
        async def unlock(self, vehicle_id, booking_id):  # type: ignore[no-untyped-def]
            uow.vehicles.rows[vehicle_id] = vehicle.released()
            return report_at(50.11, 8.68, at=T0 + timedelta(seconds=1))

    relocking = ReleasedDuringUnlock()
    relocking.lock_outcome = report_at(50.11, 8.68)
    with pytest.raises(Exception, match="reservation ended"):
        await unlock_vehicle(uow, relocking, vehicle_id=vehicle.id, rider_id=_rider(vehicle))
    assert [c[0] for c in relocking.sent] == ["lock"]
