"""Reserve, confirm, release and the hold sweeper, on fakes."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from uuid import uuid4

import pytest
from contracts.events.fleet import VehicleReleased, VehicleReserved
from contracts.types import BookingId, RiderId, VehicleId, VehicleStatus
from fleet.domain import (
    InvalidHoldError,
    ReservationNotFoundError,
    VehicleNotFoundError,
    VehicleUnavailableError,
)
from fleet.usecases import (
    AlternativesPolicy,
    NearbyVehicles,
    Search,
    SearchPolicy,
    confirm_reservation,
    release_expired_holds,
    release_reservation,
    reserve_vehicle,
)
from fleet_fakes import (
    T0,
    FakeCellCache,
    FakePrices,
    FakeSnapshots,
    FakeUnitOfWork,
    a_vehicle,
    offset,
)

HOLD = T0 + timedelta(minutes=5)


def _setup(*extra_nearby: int) -> tuple[FakeUnitOfWork, Search, VehicleId]:
    uow = FakeUnitOfWork()
    vehicle = a_vehicle()
    others = [
        a_vehicle(lat=lat, lon=lon)
        for lat, lon in (offset(50.11, 8.68, m, 0) for m in extra_nearby)
    ]
    uow.vehicles.add(vehicle, *others)
    snapshots = FakeSnapshots(list(uow.vehicles.rows.values()))
    search = Search(NearbyVehicles(FakeCellCache(), snapshots, SearchPolicy()), FakePrices())
    return uow, search, vehicle.id


async def _reserve(uow: FakeUnitOfWork, search: Search, vehicle_id: VehicleId, booking: BookingId):
    return await reserve_vehicle(
        uow,
        search,
        vehicle_id=vehicle_id,
        booking_id=booking,
        rider_id=RiderId(uuid4()),
        hold_until=HOLD,
        alternatives=AlternativesPolicy(count=5, radius_m=1_000),
    )


async def test_reserving_an_available_vehicle_holds_it_and_emits_vehicle_reserved() -> None:
    uow, search, vehicle_id = _setup()
    booking = BookingId(uuid4())

    view = await _reserve(uow, search, vehicle_id, booking)

    assert view.vehicle.status is VehicleStatus.RESERVED
    assert view.vehicle.reserved_booking_id == booking
    assert view.vehicle.hold_until == HOLD
    assert view.reservation is not None
    assert view.reservation.state == "held"
    [event] = uow.outbox.events
    assert isinstance(event, VehicleReserved)
    assert event.booking_id == booking
    assert uow.committed == 1
    assert uow.invalidated == [("scooter", 50.11, 8.68)]


async def test_same_booking_reserving_again_gets_the_same_reservation_and_no_new_event() -> None:
    uow, search, vehicle_id = _setup()
    booking = BookingId(uuid4())
    first = await _reserve(uow, search, vehicle_id, booking)
    again = await _reserve(uow, search, vehicle_id, booking)
    assert again == first
    assert len(uow.outbox.events) == 1


async def test_second_booking_gets_vehicle_unavailable_with_nearby_alternatives() -> None:
    uow, search, vehicle_id = _setup(50, 120, 2_000)
    await _reserve(uow, search, vehicle_id, BookingId(uuid4()))
    with pytest.raises(VehicleUnavailableError) as caught:
        await _reserve(uow, search, vehicle_id, BookingId(uuid4()))
    alternatives = caught.value.extensions["alternatives"]
    assert [a["distance_m"] for a in alternatives] == [50, 120]  # 2 km is beyond the radius
    assert all(a["id"] != str(vehicle_id) for a in alternatives)
    assert len(uow.outbox.events) == 1


async def test_unknown_vehicle_and_past_hold_are_rejected_without_writes() -> None:
    uow, search, _ = _setup()
    with pytest.raises(VehicleNotFoundError):
        await _reserve(uow, search, VehicleId(uuid4()), BookingId(uuid4()))
    with pytest.raises(InvalidHoldError):
        await reserve_vehicle(
            uow,
            search,
            vehicle_id=VehicleId(uuid4()),
            booking_id=BookingId(uuid4()),
            rider_id=RiderId(uuid4()),
            hold_until=T0,
            alternatives=AlternativesPolicy(),
        )
    assert uow.committed == 0
    assert not uow.outbox.events


async def test_confirm_extends_the_hold_and_is_idempotent() -> None:
    uow, search, vehicle_id = _setup()
    booking = BookingId(uuid4())
    await _reserve(uow, search, vehicle_id, booking)
    deadline = T0 + timedelta(minutes=15)
    first = await confirm_reservation(
        uow, vehicle_id=vehicle_id, booking_id=booking, hold_until=deadline
    )
    again = await confirm_reservation(
        uow, vehicle_id=vehicle_id, booking_id=booking, hold_until=deadline
    )
    assert first.vehicle.reservation_confirmed
    assert first.vehicle.hold_until == deadline
    assert again.vehicle.hold_until == deadline
    assert again.reservation == first.reservation


async def test_confirm_after_the_hold_expired_is_reservation_not_found() -> None:
    uow, search, vehicle_id = _setup()
    booking = BookingId(uuid4())
    await _reserve(uow, search, vehicle_id, booking)
    uow.clock.advance(minutes=6)
    with pytest.raises(ReservationNotFoundError):
        await confirm_reservation(
            uow, vehicle_id=vehicle_id, booking_id=booking, hold_until=T0 + timedelta(minutes=20)
        )


async def test_release_frees_the_vehicle_once_and_never_another_bookings_hold() -> None:
    uow, search, vehicle_id = _setup()
    booking = BookingId(uuid4())
    await _reserve(uow, search, vehicle_id, booking)

    stranger = await release_reservation(
        uow, vehicle_id=vehicle_id, booking_id=BookingId(uuid4()), reason="cancelled"
    )
    assert stranger.vehicle.status is VehicleStatus.RESERVED

    released = await release_reservation(
        uow, vehicle_id=vehicle_id, booking_id=booking, reason="payment_failed"
    )
    again = await release_reservation(
        uow, vehicle_id=vehicle_id, booking_id=booking, reason="payment_failed"
    )
    assert released.vehicle.status is VehicleStatus.AVAILABLE
    assert again.vehicle.status is VehicleStatus.AVAILABLE
    assert uow.event_types() == ["VehicleReserved", "VehicleReleased"]
    assert released.reservation is not None
    assert released.reservation.state == "released"


async def test_sweeper_releases_only_expired_holds_with_reason_hold_expired() -> None:
    uow, search, vehicle_id = _setup()
    fresh = a_vehicle()
    uow.vehicles.add(fresh)
    await _reserve(uow, search, vehicle_id, BookingId(uuid4()))
    await reserve_vehicle(
        uow,
        search,
        vehicle_id=fresh.id,
        booking_id=BookingId(uuid4()),
        rider_id=RiderId(uuid4()),
        hold_until=T0 + timedelta(minutes=30),
        alternatives=AlternativesPolicy(),
    )
    uow.clock.advance(minutes=6)

    assert await release_expired_holds(uow, limit=10) == 1

    assert uow.vehicles.rows[vehicle_id].status is VehicleStatus.AVAILABLE
    assert uow.vehicles.rows[fresh.id].status is VehicleStatus.RESERVED
    released = [e for e in uow.outbox.events if isinstance(e, VehicleReleased)]
    assert [(e.vehicle_id, e.reason) for e in released] == [(vehicle_id, "hold_expired")]


async def test_a_hold_released_while_offline_leaves_the_vehicle_offline() -> None:
    uow, search, vehicle_id = _setup()
    booking = BookingId(uuid4())
    await _reserve(uow, search, vehicle_id, booking)
    uow.vehicles.rows[vehicle_id] = replace(uow.vehicles.rows[vehicle_id], online=False)
    view = await release_reservation(
        uow, vehicle_id=vehicle_id, booking_id=booking, reason="cancelled"
    )
    assert view.vehicle.status is VehicleStatus.OFFLINE
