"""The gateway's ports: what use cases need from storage and from MQTT (fakes in unit tests)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from contracts.mqtt import CommandAck, SignedCommand, Telemetry, VehicleCommand
from contracts.types import BookingId, CommandAction, CommandId, VehicleId
from mobility_platform.ports import UnitOfWorkBase

from iot_gateway.domain import Command, Outcome, Sighting, StaleVehicle


@dataclass(frozen=True)
class CommandInfo:
    command_id: CommandId
    vehicle_id: VehicleId
    action: CommandAction
    booking_id: BookingId | None


@dataclass(frozen=True)
class Heartbeat:
    """A validated telemetry message and when the gateway received it."""

    telemetry: Telemetry
    seen_at: datetime


class CommandStore(Protocol):
    async def add(self, command: Command, *, requested_by: str | None) -> None: ...
    async def complete(self, command_id: CommandId, *, outcome: Outcome, at: datetime) -> None: ...
    async def note_ack(
        self, ack: CommandAck, *, outcome: Outcome | None = None, at: datetime | None = None
    ) -> CommandInfo | None: ...


class AckStore(Protocol):
    async def add(self, ack: CommandAck, *, received_at: datetime) -> bool: ...


class VehicleStateStore(Protocol):
    async def upsert_heartbeats(self, beats: Sequence[Heartbeat]) -> list[Sighting]: ...
    async def mark_reported(
        self, *, online: Sequence[VehicleId], emitted: Sequence[VehicleId], at: datetime
    ) -> None: ...
    async def lock_stale(self, *, cutoff: datetime, limit: int) -> list[StaleVehicle]: ...
    async def mark_offline(self, ids: Sequence[VehicleId], *, at: datetime) -> None: ...


class AbstractUnitOfWork(UnitOfWorkBase, Protocol):
    @property
    def commands(self) -> CommandStore: ...
    @property
    def acks(self) -> AckStore: ...
    @property
    def vehicles(self) -> VehicleStateStore: ...


class CommandPublisher(Protocol):
    """The MQTT side of sending a command (QoS 1)."""

    @property
    def connected(self) -> bool: ...

    def publish(self, topic: str, payload: bytes) -> None:
        """Hand the message to the broker connection; BrokerUnavailableError if it is down."""
        ...


class CommandSigning(Protocol):
    def sign(self, command: VehicleCommand) -> SignedCommand: ...
