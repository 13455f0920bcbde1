"""Fleet HTTP API: contracts models in, use cases, contracts models out."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from contracts.api.fleet import (
    ReservationConfirm,
    ReservationCreate,
    ReservationRead,
    ReservationRelease,
    TripLockRead,
    TripLockRequest,
    UnlockRead,
    VehiclePage,
    VehicleRead,
    VehicleSearchPage,
    ZoneSupplyRead,
)
from contracts.errors import DomainError
from contracts.types import BookingId, RiderId, VehicleId
from fastapi import APIRouter, Query
from mobility_platform.auth import RiderDep, internal_router

from fleet import domain, usecases
from fleet.deps import ComponentsDep, SearchQueryDep, UowDep

router = APIRouter(tags=["vehicles"])
internal = internal_router(tags=["internal"])

ERROR_STATUS: dict[type[DomainError], int] = {
    domain.VehicleNotFoundError: 404,
    domain.VehicleUnavailableError: 409,
    domain.InvalidHoldError: 422,
    domain.ReservationNotFoundError: 409,
    domain.NotYourBookingError: 403,
    domain.TripNotActiveError: 409,
    domain.CommandFailedError: 502,
    domain.VehicleTimeoutError: 504,
    domain.CommandRejectedError: 409,
    domain.GatewayUnavailableError: 503,
}

NIL_RIDER = RiderId(UUID(int=0))
"""rider_id of a ReservationRead for a booking that never reserved the vehicle."""


# --- rider ------------------------------------------------------------------------------------


@router.get("/vehicles/search")
async def search_vehicles(
    rider: RiderDep, query: SearchQueryDep, components: ComponentsDep
) -> VehicleSearchPage:
    """Available vehicles near a point, nearest first, with distance, battery and price."""
    return await usecases.search_vehicles(components.search, query=query)


@router.get("/vehicles/{vehicle_id}")
async def get_vehicle(
    vehicle_id: VehicleId, rider: RiderDep, components: ComponentsDep
) -> VehicleRead:
    """One vehicle: type, status, position, battery."""
    return await usecases.get_vehicle(components.views, vehicle_id=vehicle_id)


@router.post("/vehicles/{vehicle_id}/unlock")
async def unlock_vehicle(
    vehicle_id: VehicleId, rider: RiderDep, uow: UowDep, components: ComponentsDep
) -> UnlockRead:
    """Unlock the vehicle whose confirmed reservation the rider holds; the trip starts."""
    done = await usecases.unlock_vehicle(
        uow, components.commands, vehicle_id=vehicle_id, rider_id=rider.id
    )
    return UnlockRead(
        vehicle_id=done.vehicle_id, booking_id=done.booking_id, unlocked_at=done.unlocked_at
    )


# --- internal (booking, pricing, simulator, ops) ---------------------------------------------


@internal.post("/vehicles/{vehicle_id}/reservations", status_code=201)
async def reserve_vehicle(
    vehicle_id: VehicleId, body: ReservationCreate, uow: UowDep, components: ComponentsDep
) -> ReservationRead:
    """Hold an available vehicle for a booking (idempotent per booking)."""
    view = await usecases.reserve_vehicle(
        uow,
        components.search,
        vehicle_id=vehicle_id,
        booking_id=body.booking_id,
        rider_id=body.rider_id,
        hold_until=body.hold_until,
        alternatives=components.alternatives,
    )
    return reservation_read(view, body.booking_id)


@internal.post("/vehicles/{vehicle_id}/reservations/{booking_id}/confirm")
async def confirm_reservation(
    vehicle_id: VehicleId, booking_id: BookingId, body: ReservationConfirm, uow: UowDep
) -> ReservationRead:
    """Keep a paid booking's hold until its unlock deadline (idempotent)."""
    view = await usecases.confirm_reservation(
        uow, vehicle_id=vehicle_id, booking_id=booking_id, hold_until=body.hold_until
    )
    return reservation_read(view, booking_id)


@internal.post("/vehicles/{vehicle_id}/reservations/{booking_id}/release")
async def release_reservation(
    vehicle_id: VehicleId, booking_id: BookingId, body: ReservationRelease, uow: UowDep
) -> ReservationRead:
    """Release a booking's hold (idempotent; never another booking's)."""
    view = await usecases.release_reservation(
        uow, vehicle_id=vehicle_id, booking_id=booking_id, reason=body.reason
    )
    return reservation_read(view, booking_id)


@internal.post("/vehicles/{vehicle_id}/trip/lock")
async def lock_trip(
    vehicle_id: VehicleId, body: TripLockRequest, uow: UowDep, components: ComponentsDep
) -> TripLockRead:
    """End a trip: lock the vehicle, available where it stands (idempotent per booking)."""
    done = await usecases.lock_trip(
        uow, components.commands, vehicle_id=vehicle_id, booking_id=body.booking_id
    )
    return trip_lock_read(done)


@internal.get("/vehicles")
async def list_vehicles(
    components: ComponentsDep,
    city: str | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=5_000)] = 100,
) -> VehiclePage:
    """Every vehicle, by city then id (simulator, ops)."""
    return await components.views.vehicle_page(city=city, offset=offset, limit=limit)


@internal.get("/zones/supply")
async def zone_supply(components: ComponentsDep, city: str | None = None) -> ZoneSupplyRead:
    """Searchable vehicles per operating zone and type (pricing's surge signal)."""
    return await components.views.zone_supply(
        city=city,
        min_battery_pct=components.settings.search_min_battery_pct,
        now=components.clock.now(),
    )


def reservation_read(view: usecases.ReservationView, booking_id: BookingId) -> ReservationRead:
    vehicle, reservation = view.vehicle, view.reservation
    mine = vehicle.reserved_booking_id == booking_id
    return ReservationRead(
        vehicle_id=vehicle.id,
        booking_id=booking_id,
        rider_id=reservation.rider_id if reservation else NIL_RIDER,
        vehicle_type=vehicle.type,
        vehicle_status=vehicle.status,
        confirmed=mine and vehicle.reservation_confirmed,
        hold_until=vehicle.hold_until if mine else None,
        position=vehicle.position,
        battery_pct=vehicle.battery_pct,
        city=vehicle.city,
        zone_id=vehicle.zone_id,
    )


def trip_lock_read(done: usecases.TripLocked) -> TripLockRead:
    t = done.trip
    return TripLockRead(
        vehicle_id=done.vehicle_id,
        booking_id=done.booking_id,
        acknowledged=t.acknowledged,
        position=t.position,
        battery_pct=t.battery_pct,
        distance_m=t.distance_m,
        locked_at=t.locked_at,
        vehicle_status=t.vehicle_status,
    )


router.include_router(internal)
