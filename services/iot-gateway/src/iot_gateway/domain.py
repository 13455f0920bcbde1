"""The gateway's rules: command lifetimes, outcomes, heartbeat throttling, offline detection.

Pure: stdlib + contracts value types only (no MQTT, no SQL).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import ClassVar

from contracts.errors import DomainError
from contracts.types import BookingId, CommandAction, CommandId, VehicleId


class VehicleTimeoutError(DomainError):
    code: ClassVar[str] = "vehicle_timeout"
    title: ClassVar[str] = "The vehicle did not acknowledge in time"


class CommandRejectedError(DomainError):
    code: ClassVar[str] = "command_rejected"
    title: ClassVar[str] = "The vehicle refused the command"


class BrokerUnavailableError(DomainError):
    code: ClassVar[str] = "broker_unavailable"
    title: ClassVar[str] = "The MQTT broker is unavailable"

    def __init__(self, message: str | None = None, *, command_id: CommandId | None = None) -> None:
        extensions = {} if command_id is None else {"command_id": str(command_id)}
        super().__init__(message, extensions=extensions, retry_after_s=1)


class Outcome(StrEnum):
    """What the command API answered for a command (the audit trail)."""

    PENDING = "pending"
    ACKNOWLEDGED = "acknowledged"
    REJECTED = "rejected"
    FAILED = "failed"
    TIMEOUT = "timeout"
    BROKER_UNAVAILABLE = "broker_unavailable"


@dataclass(frozen=True)
class Command:
    command_id: CommandId
    vehicle_id: VehicleId
    action: CommandAction
    booking_id: BookingId | None
    issued_at: datetime
    expires_at: datetime
    nonce: str
    timeout_s: float


def new_command(
    *,
    vehicle_id: VehicleId,
    action: CommandAction,
    booking_id: BookingId | None,
    now: datetime,
    timeout_s: float,
    expiry_grace_s: float,
) -> Command:
    """A fresh command: unique id and nonce; it expires shortly after its ack deadline."""
    return Command(
        command_id=CommandId(uuid.uuid4()),
        vehicle_id=vehicle_id,
        action=action,
        booking_id=booking_id,
        issued_at=now,
        expires_at=now + timedelta(seconds=timeout_s + expiry_grace_s),
        nonce=secrets.token_urlsafe(24),
        timeout_s=timeout_s,
    )


def outcome_of(ack_status: str) -> Outcome:
    return {"ok": Outcome.ACKNOWLEDGED, "rejected": Outcome.REJECTED}.get(
        ack_status, Outcome.FAILED
    )


@dataclass(frozen=True)
class Sighting:
    """A vehicle's state right after a heartbeat was stored."""

    vehicle_id: VehicleId
    seen_at: datetime
    was_online: bool
    first_seen: bool
    telemetry_emitted_at: datetime | None

    @property
    def came_online(self) -> bool:
        return self.first_seen or not self.was_online

    def telemetry_due(self, interval_s: float) -> bool:
        """Throttle: one VehicleTelemetry per vehicle per interval (and always on return)."""
        if self.came_online or self.telemetry_emitted_at is None:
            return True
        return self.seen_at - self.telemetry_emitted_at >= timedelta(seconds=interval_s)


def offline_cutoff(now: datetime, offline_after_s: float) -> datetime:
    """Vehicles last seen before this instant are offline."""
    return now - timedelta(seconds=offline_after_s)


@dataclass(frozen=True)
class StaleVehicle:
    vehicle_id: VehicleId
    last_seen_at: datetime
