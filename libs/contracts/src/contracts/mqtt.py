"""MQTT payloads between the iot-gateway and vehicles.

Topics: `vehicles/{vehicle_id}/commands` (gateway -> vehicle), `vehicles/{vehicle_id}/acks` and
`vehicles/{vehicle_id}/telemetry` (vehicle -> gateway). A command travels as a compact JWS
(EdDSA) whose claims are `VehicleCommand`; see mobility_platform.signing.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contracts.base import ContractModel, UtcDatetime
from contracts.types import BatteryPct, BookingId, CommandAction, CommandId, GeoPoint, VehicleId


def commands_topic(vehicle_id: str) -> str:
    return f"vehicles/{vehicle_id}/commands"


def acks_topic(vehicle_id: str) -> str:
    return f"vehicles/{vehicle_id}/acks"


def telemetry_topic(vehicle_id: str) -> str:
    return f"vehicles/{vehicle_id}/telemetry"


class VehicleCommand(ContractModel):
    command_id: CommandId
    vehicle_id: VehicleId
    action: CommandAction
    booking_id: BookingId | None = None
    issued_at: UtcDatetime
    expires_at: UtcDatetime
    nonce: str = Field(min_length=16, max_length=64)


class SignedCommand(ContractModel):
    """What is published on the commands topic."""

    token: str
    """Compact JWS (EdDSA) over the VehicleCommand claims."""


class CommandAck(ContractModel):
    command_id: CommandId
    vehicle_id: VehicleId
    status: Literal["ok", "rejected", "failed"]
    reason: str | None = None
    locked: bool
    position: GeoPoint
    battery_pct: BatteryPct
    odometer_m: int = Field(ge=0)
    acked_at: UtcDatetime
    action: CommandAction | None = None
    """The action the vehicle read from the command (added so rejections of commands the
    gateway never issued, e.g. forged ones, can still be reported)."""


class Telemetry(ContractModel):
    vehicle_id: VehicleId
    position: GeoPoint
    battery_pct: BatteryPct
    locked: bool
    speed_kmh: float = Field(default=0.0, ge=0)
    odometer_m: int = Field(ge=0)
    recorded_at: UtcDatetime
