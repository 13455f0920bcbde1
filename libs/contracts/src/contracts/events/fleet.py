"""Events produced by the fleet service on `fleet.events.v1`, keyed by vehicle id."""

from __future__ import annotations

from typing import ClassVar, Literal

from contracts import topics
from contracts.base import UtcDatetime
from contracts.envelope import Event
from contracts.types import BatteryPct, BookingId, GeoPoint, RiderId, VehicleId, VehicleType


class FleetEvent(Event):
    abstract: ClassVar[bool] = True
    topic: ClassVar[str] = topics.FLEET
    key_field: ClassVar[str] = "vehicle_id"

    vehicle_id: VehicleId


class VehicleReserved(FleetEvent):
    booking_id: BookingId
    rider_id: RiderId
    vehicle_type: VehicleType
    hold_until: UtcDatetime
    reserved_at: UtcDatetime


class VehicleReleased(FleetEvent):
    booking_id: BookingId
    reason: Literal[
        "cancelled", "expired", "payment_failed", "hold_expired", "compensation", "other"
    ]
    released_at: UtcDatetime


class VehicleUnlocked(FleetEvent):
    """The vehicle acknowledged the unlock command: the trip can start."""

    booking_id: BookingId
    rider_id: RiderId
    unlocked_at: UtcDatetime
    position: GeoPoint
    battery_pct: BatteryPct


class VehicleLocked(FleetEvent):
    """The trip's vehicle is locked (or the lock was not acknowledged and ops were flagged)."""

    booking_id: BookingId
    locked_at: UtcDatetime
    position: GeoPoint
    battery_pct: BatteryPct
    acknowledged: bool = True


class VehicleStatusChanged(FleetEvent):
    """Any other status change (offline, maintenance, back to available) for ops dashboards."""

    status: Literal["available", "reserved", "in_use", "offline", "maintenance"]
    previous_status: Literal["available", "reserved", "in_use", "offline", "maintenance"]
    reason: str
    changed_at: UtcDatetime
