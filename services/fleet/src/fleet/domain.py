"""Vehicles, reservations and trips: states, transitions and the rules between them. Pure."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from contracts.errors import DomainError
from contracts.types import (
    BookingId,
    GeoPoint,
    RiderId,
    VehicleId,
    VehicleStatus,
    VehicleType,
)

EARTH_RADIUS_M = 6_371_008.7714
"""Mean radius of WGS 84, the sphere PostGIS uses for geography with use_spheroid=false."""

ReleaseReason = Literal[
    "cancelled", "expired", "payment_failed", "hold_expired", "compensation", "other"
]
ReservationState = Literal["held", "confirmed", "released", "in_trip", "ended"]


# --- errors ---------------------------------------------------------------------------------


class VehicleNotFoundError(DomainError):
    code = "vehicle_not_found"
    title = "Vehicle not found"


class VehicleUnavailableError(DomainError):
    code = "vehicle_unavailable"
    title = "Vehicle not available"


class InvalidHoldError(DomainError):
    code = "invalid_hold"
    title = "Hold time not acceptable"


class ReservationNotFoundError(DomainError):
    code = "reservation_not_found"
    title = "No live reservation for this booking"


class NotYourBookingError(DomainError):
    code = "not_your_booking"
    title = "You do not hold a confirmed reservation for this vehicle"


class TripNotActiveError(DomainError):
    code = "trip_not_active"
    title = "No trip of this booking on this vehicle"


class CommandFailedError(DomainError):
    """A command did not reach the vehicle or was not acknowledged."""

    code = "command_failed"


class VehicleTimeoutError(CommandFailedError):
    code = "vehicle_timeout"
    title = "The vehicle did not answer in time"


class CommandRejectedError(CommandFailedError):
    code = "command_rejected"
    title = "The vehicle refused the command"


class GatewayUnavailableError(CommandFailedError):
    code = "gateway_unavailable"
    title = "Vehicles cannot be reached right now"


# --- values ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class VehicleReport:
    """What a vehicle says about itself (an ack or a heartbeat)."""

    position: GeoPoint
    battery_pct: int
    odometer_m: int | None
    at: datetime


@dataclass(frozen=True)
class TripStart:
    unlocked_at: datetime
    position: GeoPoint
    odometer_m: int | None


@dataclass(frozen=True)
class TripEnd:
    locked_at: datetime
    position: GeoPoint
    battery_pct: int
    distance_m: int
    acknowledged: bool
    vehicle_status: VehicleStatus


def great_circle_m(a: GeoPoint, b: GeoPoint) -> float:
    return haversine_m(a.lat, a.lon, b.lat, b.lon)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance on the PostGIS sphere, in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def trip_distance_m(start: TripStart, end: GeoPoint, end_odometer_m: int | None) -> int:
    """Odometer delta when both readings exist and make sense, else the great-circle distance."""
    if start.odometer_m is not None and end_odometer_m is not None:
        delta = end_odometer_m - start.odometer_m
        if delta >= 0:
            return delta
    return round(great_circle_m(start.position, end))


def ensure_hold_in_future(hold_until: datetime, now: datetime) -> None:
    if hold_until <= now:
        raise InvalidHoldError("hold_until must be in the future.")


# --- vehicle --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Vehicle:
    id: VehicleId
    type: VehicleType
    status: VehicleStatus
    position: GeoPoint
    battery_pct: int
    city: str
    zone_id: str | None = None
    online: bool = True
    reserved_booking_id: BookingId | None = None
    reserved_rider_id: RiderId | None = None
    reservation_confirmed: bool = False
    hold_until: datetime | None = None
    last_seen_at: datetime | None = None
    odometer_m: int = 0
    version: int = 1

    def searchable(self, min_battery_pct: int) -> bool:
        """Would a rider's search show it? (available, charged, inside an operating area)"""
        return (
            self.status is VehicleStatus.AVAILABLE
            and self.battery_pct >= min_battery_pct
            and self.zone_id is not None
        )

    def is_held_by(self, booking_id: BookingId) -> bool:
        live = self.status in (VehicleStatus.RESERVED, VehicleStatus.IN_USE)
        return live and self.reserved_booking_id == booking_id

    def confirm(self, booking_id: BookingId, hold_until: datetime, now: datetime) -> Vehicle:
        if not self.has_live_hold(booking_id, now):
            raise ReservationNotFoundError("The hold for this booking expired or was released.")
        return replace(self, reservation_confirmed=True, hold_until=hold_until)

    def has_live_hold(self, booking_id: BookingId, now: datetime) -> bool:
        return (
            self.status is VehicleStatus.RESERVED
            and self.reserved_booking_id == booking_id
            and self.hold_until is not None
            and self.hold_until > now
        )

    def booking_unlockable_by(self, rider_id: RiderId, now: datetime) -> BookingId:
        """The booking a rider may unlock this vehicle for, or NotYourBookingError."""
        ok = (
            self.reservation_confirmed
            and self.reserved_rider_id == rider_id
            and self.reserved_booking_id is not None
            and self.hold_until is not None
            and self.hold_until > now
            and self.status is VehicleStatus.RESERVED
        )
        if not ok or self.reserved_booking_id is None:
            raise NotYourBookingError(
                "Only the rider holding the confirmed reservation can unlock."
            )
        return self.reserved_booking_id

    def released(self) -> Vehicle:
        """Hold gone: available again, unless the vehicle went offline meanwhile."""
        status = VehicleStatus.AVAILABLE if self.online else VehicleStatus.OFFLINE
        return replace(self, status=status)._without_hold()

    def trip_started(self, report: VehicleReport) -> Vehicle:
        return replace(self, status=VehicleStatus.IN_USE, online=True).reported(report)

    def trip_ended(self, report: VehicleReport | None) -> Vehicle:
        """Acked lock: available where it stands. No ack: maintenance, flagged for ops."""
        if report is None:
            return replace(self, status=VehicleStatus.MAINTENANCE)._without_hold()
        ended = replace(self, status=VehicleStatus.AVAILABLE, online=True)._without_hold()
        return ended.reported(report)

    def _without_hold(self) -> Vehicle:
        return replace(
            self,
            reserved_booking_id=None,
            reserved_rider_id=None,
            reservation_confirmed=False,
            hold_until=None,
        )

    def went_offline(self) -> Vehicle:
        """Hidden from search; a live reservation or trip keeps its status (see README)."""
        status = VehicleStatus.OFFLINE if self.status is VehicleStatus.AVAILABLE else self.status
        return replace(self, online=False, status=status)

    def came_online(self, report: VehicleReport | None) -> Vehicle:
        status = VehicleStatus.AVAILABLE if self.status is VehicleStatus.OFFLINE else self.status
        back = replace(self, online=True, status=status)
        return back if report is None else back.reported(report)

    def reported(self, report: VehicleReport) -> Vehicle:
        """Position, battery and odometer from the vehicle itself (never moves backwards)."""
        seen = report.at if self.last_seen_at is None else max(self.last_seen_at, report.at)
        odometer = self.odometer_m if report.odometer_m is None else report.odometer_m
        return replace(
            self,
            position=report.position,
            battery_pct=report.battery_pct,
            odometer_m=max(self.odometer_m, odometer),
            last_seen_at=seen,
        )

    def telemetry_worth_writing(
        self, report: VehicleReport, *, move_threshold_m: float, last_seen_every_s: float
    ) -> bool:
        """Skip heartbeats that are stale or change nothing worth a database write."""
        if self.last_seen_at is not None and report.at <= self.last_seen_at:
            return False
        moved = great_circle_m(self.position, report.position) > move_threshold_m
        odometer_changed = report.odometer_m is not None and report.odometer_m > self.odometer_m
        if moved or report.battery_pct != self.battery_pct or odometer_changed:
            return True
        if self.last_seen_at is None:
            return True
        return (report.at - self.last_seen_at).total_seconds() >= last_seen_every_s


# --- reservation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reservation:
    """A booking's claim on a vehicle: the hold, then the trip it became."""

    vehicle_id: VehicleId
    booking_id: BookingId
    rider_id: RiderId
    vehicle_type: VehicleType
    state: ReservationState
    reserved_at: datetime
    hold_until: datetime | None = None
    confirmed_at: datetime | None = None
    released_at: datetime | None = None
    release_reason: ReleaseReason | None = None
    trip_start: TripStart | None = None
    trip_end: TripEnd | None = None

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None

    def confirm(self, hold_until: datetime, now: datetime) -> Reservation:
        return replace(
            self, state="confirmed", hold_until=hold_until, confirmed_at=self.confirmed_at or now
        )

    def release(self, reason: ReleaseReason, now: datetime) -> Reservation:
        return replace(self, state="released", released_at=now, release_reason=reason)

    def start_trip(self, start: TripStart) -> Reservation:
        return replace(self, state="in_trip", trip_start=start)

    def end_trip(self, end: TripEnd) -> Reservation:
        return replace(self, state="ended", trip_end=end)


def new_reservation(vehicle: Vehicle, now: datetime) -> Reservation:
    """The reservation a fresh hold on `vehicle` represents."""
    assert vehicle.reserved_booking_id is not None
    assert vehicle.reserved_rider_id is not None
    return Reservation(
        vehicle_id=vehicle.id,
        booking_id=vehicle.reserved_booking_id,
        rider_id=vehicle.reserved_rider_id,
        vehicle_type=vehicle.type,
        state="held",
        reserved_at=now,
        hold_until=vehicle.hold_until,
    )


def end_of_trip(
    reservation: Reservation, vehicle: Vehicle, report: VehicleReport | None, now: datetime
) -> tuple[Vehicle, TripEnd]:
    """Close a trip: the vehicle's new state and what the trip amounted to."""
    ended = vehicle.trip_ended(report)
    start = reservation.trip_start or TripStart(
        unlocked_at=now, position=vehicle.position, odometer_m=None
    )
    end_odometer = None if report is None else report.odometer_m
    heard_during_trip = (
        vehicle.last_seen_at is not None and vehicle.last_seen_at > start.unlocked_at
    )
    if end_odometer is None and heard_during_trip:
        end_odometer = vehicle.odometer_m  # the last heartbeat's reading
    trip = TripEnd(
        locked_at=now,
        position=ended.position,
        battery_pct=ended.battery_pct,
        distance_m=trip_distance_m(start, ended.position, end_odometer),
        acknowledged=report is not None,
        vehicle_status=ended.status,
    )
    return ended, trip
