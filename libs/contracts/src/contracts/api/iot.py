"""IoT gateway internal API (fleet -> iot-gateway): send a command, wait for the vehicle's ack."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contracts.base import ContractModel, RequestModel, UtcDatetime
from contracts.types import BatteryPct, BookingId, CommandAction, CommandId, GeoPoint, VehicleId


class CommandCreate(RequestModel):
    vehicle_id: VehicleId
    action: CommandAction
    booking_id: BookingId | None = None
    timeout_ms: int | None = Field(default=None, ge=100, le=30_000)


class CommandResultRead(ContractModel):
    """The vehicle acknowledged. Timeouts and rejections are problem responses (504 / 409)."""

    command_id: CommandId
    vehicle_id: VehicleId
    action: CommandAction
    status: Literal["acknowledged"] = "acknowledged"
    acked_at: UtcDatetime
    locked: bool
    position: GeoPoint
    battery_pct: BatteryPct
    odometer_m: int = Field(ge=0)
