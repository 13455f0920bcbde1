"""Reservation locks used by booking: reserve, confirm, release, and the hold sweeper."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts.events.fleet import VehicleReleased, VehicleReserved
from contracts.types import BookingId, RiderId, VehicleId, VehicleStatus

from fleet.domain import (
    ReleaseReason,
    Reservation,
    Vehicle,
    VehicleNotFoundError,
    VehicleUnavailableError,
    ensure_hold_in_future,
    new_reservation,
)
from fleet.ports import AbstractUnitOfWork, SearchQuery
from fleet.usecases.search import Search, search_vehicles


@dataclass(frozen=True)
class ReservationView:
    """A vehicle and a booking's reservation of it (None: never reserved by that booking)."""

    vehicle: Vehicle
    reservation: Reservation | None


@dataclass(frozen=True)
class AlternativesPolicy:
    count: int = 5
    radius_m: int = 1_000


async def reserve_vehicle(
    uow: AbstractUnitOfWork,
    search: Search,
    *,
    vehicle_id: VehicleId,
    booking_id: BookingId,
    rider_id: RiderId,
    hold_until: datetime,
    alternatives: AlternativesPolicy,
) -> ReservationView:
    """Hold an available vehicle with one conditional UPDATE; idempotent per booking."""
    ensure_hold_in_future(hold_until, uow.clock.now())
    async with uow:
        held = await uow.vehicles.reserve(
            vehicle_id, booking_id=booking_id, rider_id=rider_id, hold_until=hold_until
        )
        if held is not None:
            return await _commit_new_hold(uow, held)
        current = await uow.vehicles.get(vehicle_id)
        if current is not None and current.is_held_by(booking_id):
            return ReservationView(current, await uow.reservations.get(vehicle_id, booking_id))
    if current is None:
        raise VehicleNotFoundError(f"Vehicle {vehicle_id} does not exist.")
    raise VehicleUnavailableError(
        "The vehicle is not available.",
        extensions={"alternatives": await alternatives_to(search, current, alternatives)},
    )


async def _commit_new_hold(uow: AbstractUnitOfWork, held: Vehicle) -> ReservationView:
    now = uow.clock.now()
    reservation = new_reservation(held, now)
    await uow.reservations.save(reservation)
    assert held.hold_until is not None
    uow.outbox.add(
        VehicleReserved(
            vehicle_id=held.id,
            booking_id=reservation.booking_id,
            rider_id=reservation.rider_id,
            vehicle_type=held.type,
            hold_until=held.hold_until,
            reserved_at=now,
        )
    )
    uow.invalidate(held)
    await uow.commit()
    return ReservationView(held, reservation)


async def alternatives_to(
    search: Search, vehicle: Vehicle, policy: AlternativesPolicy
) -> list[dict[str, Any]]:
    """Up to `count` searchable vehicles of the same type near the one that was taken."""
    if policy.count == 0:
        return []
    query = SearchQuery(
        center=vehicle.position,
        vehicle_type=vehicle.type,
        radius_m=policy.radius_m,
        limit=policy.count,
        exclude=frozenset({str(vehicle.id)}),
    )
    page = await search_vehicles(search, query=query)
    return [item.model_dump(mode="json") for item in page.items]


async def confirm_reservation(
    uow: AbstractUnitOfWork, *, vehicle_id: VehicleId, booking_id: BookingId, hold_until: datetime
) -> ReservationView:
    """The booking is paid: keep the hold until the unlock deadline. Idempotent."""
    now = uow.clock.now()
    async with uow:
        vehicle = await _existing(uow, vehicle_id, for_update=True)
        reservation = await uow.reservations.get(vehicle_id, booking_id)
        if vehicle.status is VehicleStatus.IN_USE and vehicle.is_held_by(booking_id):
            return ReservationView(vehicle, reservation)  # already unlocked: nothing to extend
        confirmed = vehicle.confirm(booking_id, hold_until, now)
        ensure_hold_in_future(hold_until, now)
        reservation = (reservation or new_reservation(vehicle, now)).confirm(hold_until, now)
        confirmed = await uow.vehicles.save(confirmed)
        await uow.reservations.save(reservation)
        await uow.commit()
    return ReservationView(confirmed, reservation)


async def release_reservation(
    uow: AbstractUnitOfWork,
    *,
    vehicle_id: VehicleId,
    booking_id: BookingId,
    reason: ReleaseReason,
) -> ReservationView:
    """Give the vehicle back. Idempotent; never touches another booking's hold."""
    async with uow:
        vehicle = await _existing(uow, vehicle_id, for_update=True)
        reservation = await uow.reservations.get(vehicle_id, booking_id)
        held = (
            vehicle.status is VehicleStatus.RESERVED and vehicle.reserved_booking_id == booking_id
        )
        if not held:
            return ReservationView(vehicle, reservation)
        view = await _release(uow, vehicle, reservation, reason)
        await uow.commit()
    return view


async def release_expired_holds(uow: AbstractUnitOfWork, *, limit: int) -> int:
    """Release holds past hold_until (safe with several replicas: SKIP LOCKED)."""
    async with uow:
        expired = await uow.vehicles.list_expired_holds(uow.clock.now(), limit)
        for vehicle in expired:
            assert vehicle.reserved_booking_id is not None
            reservation = await uow.reservations.get(vehicle.id, vehicle.reserved_booking_id)
            await _release(uow, vehicle, reservation, "hold_expired")
        await uow.commit()
    return len(expired)


async def _release(
    uow: AbstractUnitOfWork,
    vehicle: Vehicle,
    reservation: Reservation | None,
    reason: ReleaseReason,
) -> ReservationView:
    now = uow.clock.now()
    assert vehicle.reserved_booking_id is not None
    released = await uow.vehicles.save(vehicle.released())
    if reservation is not None:
        reservation = reservation.release(reason, now)
        await uow.reservations.save(reservation)
    uow.outbox.add(
        VehicleReleased(
            vehicle_id=vehicle.id,
            booking_id=vehicle.reserved_booking_id,
            reason=reason,
            released_at=now,
        )
    )
    uow.invalidate(released)
    return ReservationView(released, reservation)


async def _existing(
    uow: AbstractUnitOfWork, vehicle_id: VehicleId, *, for_update: bool = False
) -> Vehicle:
    get = uow.vehicles.get_for_update if for_update else uow.vehicles.get
    vehicle = await get(vehicle_id)
    if vehicle is None:
        raise VehicleNotFoundError(f"Vehicle {vehicle_id} does not exist.")
    return vehicle
