"""Events produced by the iot-gateway on `iot.events.v1`, keyed by vehicle id."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from contracts import topics
from contracts.base import UtcDatetime
from contracts.envelope import Event
from contracts.types import BatteryPct, BookingId, CommandAction, CommandId, GeoPoint, VehicleId


class IotEvent(Event):
    abstract: ClassVar[bool] = True
    topic: ClassVar[str] = topics.IOT
    key_field: ClassVar[str] = "vehicle_id"

    vehicle_id: VehicleId


class VehicleTelemetry(IotEvent):
    position: GeoPoint
    battery_pct: BatteryPct
    locked: bool
    speed_kmh: float = Field(default=0.0, ge=0)
    odometer_m: int = Field(default=0, ge=0)
    recorded_at: UtcDatetime


class VehicleOffline(IotEvent):
    last_seen_at: UtcDatetime | None
    detected_at: UtcDatetime


class VehicleOnline(IotEvent):
    seen_at: UtcDatetime
    position: GeoPoint | None = None
    battery_pct: BatteryPct | None = None


class VehicleCommandRejected(IotEvent):
    """A vehicle refused a command (bad signature, expired, replayed nonce, ...)."""

    command_id: CommandId
    action: CommandAction
    booking_id: BookingId | None = None
    reason: str
    rejected_at: UtcDatetime
