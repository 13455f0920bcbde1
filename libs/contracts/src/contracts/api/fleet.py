"""Fleet service API: rider search and unlock, internal reservation locks used by booking."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contracts.api.common import PriceRead
from contracts.base import ContractModel, RequestModel, UtcDatetime
from contracts.types import (
    BatteryPct,
    BookingId,
    GeoPoint,
    RiderId,
    VehicleId,
    VehicleStatus,
    VehicleType,
)


class VehicleSearchItem(ContractModel):
    id: VehicleId
    type: VehicleType
    position: GeoPoint
    distance_m: int = Field(ge=0)
    battery_pct: BatteryPct
    city: str
    zone_id: str | None = None
    price: PriceRead | None = None


class VehicleSearchPage(ContractModel):
    """Nearest first. `price` is None only when pricing is unavailable (search still answers)."""

    items: list[VehicleSearchItem]
    center: GeoPoint
    radius_m: int
    type: VehicleType | None = None


class VehicleRead(ContractModel):
    id: VehicleId
    type: VehicleType
    status: VehicleStatus
    position: GeoPoint
    battery_pct: BatteryPct
    city: str
    zone_id: str | None = None
    last_seen_at: UtcDatetime | None = None


class UnlockRead(ContractModel):
    vehicle_id: VehicleId
    booking_id: BookingId
    status: Literal["unlocked"] = "unlocked"
    unlocked_at: UtcDatetime


# --- internal: reservation locks (booking -> fleet) ---------------------------------------


class ReservationCreate(RequestModel):
    """Reserve a vehicle for a booking. Idempotent per booking id."""

    booking_id: BookingId
    rider_id: RiderId
    hold_until: UtcDatetime


class ReservationConfirm(RequestModel):
    """The booking is paid: keep the hold until the unlock deadline."""

    hold_until: UtcDatetime


class ReservationRelease(RequestModel):
    reason: Literal[
        "cancelled", "expired", "payment_failed", "hold_expired", "compensation", "other"
    ]


class ReservationRead(ContractModel):
    vehicle_id: VehicleId
    booking_id: BookingId
    rider_id: RiderId
    vehicle_type: VehicleType
    vehicle_status: VehicleStatus
    confirmed: bool = False
    hold_until: UtcDatetime | None = None
    position: GeoPoint
    battery_pct: BatteryPct
    city: str
    zone_id: str | None = None


class TripLockRequest(RequestModel):
    """End of trip: lock the vehicle and make it available where it stands."""

    booking_id: BookingId


class TripLockRead(ContractModel):
    vehicle_id: VehicleId
    booking_id: BookingId
    acknowledged: bool
    position: GeoPoint
    battery_pct: BatteryPct
    distance_m: int = Field(ge=0)
    locked_at: UtcDatetime
    vehicle_status: VehicleStatus


class VehiclePage(ContractModel):
    """Internal listing (simulator, ops): `GET /internal/vehicles?city&offset&limit`."""

    items: list[VehicleRead]
    total: int = Field(ge=0)
    limit: int
    offset: int


class ZoneSupplyItem(ContractModel):
    city: str
    zone_id: str
    vehicle_type: VehicleType
    available: int = Field(ge=0)


class ZoneSupplyRead(ContractModel):
    """Available vehicles per zone and type (pricing's supply signal for surge)."""

    items: list[ZoneSupplyItem]
    as_of: UtcDatetime
