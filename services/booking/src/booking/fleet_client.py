"""Typed client for fleet's internal reservation and trip routes (docs/internal-apis.md)."""

from __future__ import annotations

from datetime import datetime

from contracts.api.fleet import (
    ReservationConfirm,
    ReservationCreate,
    ReservationRead,
    ReservationRelease,
    TripLockRead,
    TripLockRequest,
    VehicleRead,
)
from contracts.types import BookingId, RiderId, VehicleId
from mobility_platform.http import ServiceClient

from booking.domain import (
    HoldExpiredError,
    TripNotActiveError,
    VehicleNotFoundError,
    VehicleUnavailableError,
)
from booking.peer_problems import ErrorTable, expect

ERRORS: ErrorTable = {
    "vehicle_unavailable": VehicleUnavailableError,
    "vehicle_not_found": VehicleNotFoundError,
    "not_found": VehicleNotFoundError,
    "reservation_not_found": HoldExpiredError,
    "trip_not_active": TripNotActiveError,
}
RELEASE_REASONS = {"cancelled", "expired", "payment_failed", "hold_expired", "compensation"}


class FleetClient:
    """Every call is idempotent per booking id and carries an Idempotency-Key, so the platform
    client may retry it; 4xx problems become booking's DomainErrors."""

    def __init__(self, internal: ServiceClient, public: ServiceClient) -> None:
        self._http = internal
        self._public = public

    async def reserve(
        self,
        *,
        vehicle_id: VehicleId,
        booking_id: BookingId,
        rider_id: RiderId,
        hold_until: datetime,
    ) -> ReservationRead:
        body = ReservationCreate(booking_id=booking_id, rider_id=rider_id, hold_until=hold_until)
        response = await self._http.request(
            "POST",
            f"/internal/vehicles/{vehicle_id}/reservations",
            json=body.model_dump(mode="json"),
            headers={"Idempotency-Key": f"booking-{booking_id}-reserve"},
        )
        expect("fleet", response, {200, 201}, ERRORS)
        return ReservationRead.model_validate_json(response.content)

    async def confirm_reservation(
        self, *, vehicle_id: VehicleId, booking_id: BookingId, hold_until: datetime
    ) -> ReservationRead:
        response = await self._http.request(
            "POST",
            f"/internal/vehicles/{vehicle_id}/reservations/{booking_id}/confirm",
            json=ReservationConfirm(hold_until=hold_until).model_dump(mode="json"),
            headers={"Idempotency-Key": f"booking-{booking_id}-confirm"},
        )
        expect("fleet", response, {200}, ERRORS)
        return ReservationRead.model_validate_json(response.content)

    async def release(self, *, vehicle_id: VehicleId, booking_id: BookingId, reason: str) -> None:
        body = ReservationRelease.model_validate(
            {"reason": reason if reason in RELEASE_REASONS else "other"}
        )
        response = await self._http.request(
            "POST",
            f"/internal/vehicles/{vehicle_id}/reservations/{booking_id}/release",
            json=body.model_dump(mode="json"),
            headers={"Idempotency-Key": f"booking-{booking_id}-release"},
        )
        expect("fleet", response, {200}, ERRORS)

    async def lock_trip(self, *, vehicle_id: VehicleId, booking_id: BookingId) -> TripLockRead:
        response = await self._http.request(
            "POST",
            f"/internal/vehicles/{vehicle_id}/trip/lock",
            json=TripLockRequest(booking_id=booking_id).model_dump(mode="json"),
            headers={"Idempotency-Key": f"booking-{booking_id}-lock"},
        )
        expect("fleet", response, {200}, ERRORS)
        return TripLockRead.model_validate_json(response.content)

    async def get_vehicle(self, vehicle_id: VehicleId, *, rider_token: str | None) -> VehicleRead:
        """Fleet's public vehicle route, read on the rider's behalf with their own token
        (fleet has no internal single-vehicle read)."""
        headers = {"Authorization": f"Bearer {rider_token}"} if rider_token else {}
        response = await self._public.request("GET", f"/vehicles/{vehicle_id}", headers=headers)
        expect("fleet", response, {200}, ERRORS)
        return VehicleRead.model_validate_json(response.content)
