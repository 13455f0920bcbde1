"""Fakes at the gateway's ports (unit tests only): clock, stores, unit of work, MQTT publisher."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from contracts.envelope import CloudEvent
from contracts.mqtt import CommandAck
from contracts.types import CommandId, VehicleId
from iot_gateway.domain import BrokerUnavailableError, Command, Outcome, Sighting, StaleVehicle
from iot_gateway.ports import CommandInfo, Heartbeat
from mobility_platform import testing
from mobility_platform.outbox import OutboxWriter

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


class FakeClock(testing.FakeClock):
    def __init__(self, start: datetime = T0) -> None:
        super().__init__(start)


@dataclass
class CommandRecord:
    command: Command
    requested_by: str | None
    outcome: Outcome = Outcome.PENDING
    ack_status: str | None = None
    ack_reason: str | None = None


class FakeCommandStore:
    def __init__(self) -> None:
        self.rows: dict[CommandId, CommandRecord] = {}

    async def add(self, command: Command, *, requested_by: str | None) -> None:
        self.rows[command.command_id] = CommandRecord(command, requested_by)

    async def complete(self, command_id: CommandId, *, outcome: Outcome, at: datetime) -> None:
        self.rows[command_id].outcome = outcome

    async def note_ack(
        self, ack: CommandAck, *, outcome: Outcome | None = None, at: datetime | None = None
    ) -> CommandInfo | None:
        row = self.rows.get(ack.command_id)
        if row is None or row.command.vehicle_id != ack.vehicle_id:
            return None
        if outcome is not None:
            row.outcome = outcome
        if row.ack_status is None:
            row.ack_status, row.ack_reason = ack.status, ack.reason
        c = row.command
        return CommandInfo(c.command_id, c.vehicle_id, c.action, c.booking_id)


class FakeAckStore:
    def __init__(self) -> None:
        self.keys: set[tuple[CommandId, str, datetime]] = set()

    async def add(self, ack: CommandAck, *, received_at: datetime) -> bool:
        key = (ack.command_id, ack.status, ack.acked_at)
        fresh = key not in self.keys
        self.keys.add(key)
        return fresh


@dataclass
class StateRow:
    online: bool
    last_seen_at: datetime
    telemetry_emitted_at: datetime | None = None


class FakeVehicleStore:
    """Same rules as the SQL: newest heartbeat wins; offline rows are the online+stale ones."""

    def __init__(self) -> None:
        self.rows: dict[VehicleId, StateRow] = {}
        self.fail_next = 0

    async def upsert_heartbeats(self, beats: Sequence[Heartbeat]) -> list[Sighting]:
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("database down")
        sightings = []
        for beat in beats:
            vid = beat.telemetry.vehicle_id
            row = self.rows.get(vid)
            if row is None:
                self.rows[vid] = StateRow(online=True, last_seen_at=beat.seen_at)
                sightings.append(Sighting(vid, beat.seen_at, True, True, None))
            elif row.last_seen_at <= beat.seen_at:
                row.last_seen_at = beat.seen_at
                sightings.append(
                    Sighting(vid, beat.seen_at, row.online, False, row.telemetry_emitted_at)
                )
        return sightings

    async def mark_reported(
        self, *, online: Sequence[VehicleId], emitted: Sequence[VehicleId], at: datetime
    ) -> None:
        for vid in online:
            self.rows[vid].online = True
        for vid in emitted:
            self.rows[vid].telemetry_emitted_at = at

    async def lock_stale(self, *, cutoff: datetime, limit: int) -> list[StaleVehicle]:
        stale = sorted(
            (row.last_seen_at, vid)
            for vid, row in self.rows.items()
            if row.online and row.last_seen_at < cutoff
        )
        return [StaleVehicle(vid, seen) for seen, vid in stale[:limit]]

    async def mark_offline(self, ids: Sequence[VehicleId], *, at: datetime) -> None:
        for vid in ids:
            self.rows[vid].online = False


class FakeUnitOfWork:
    def __init__(self, clock: FakeClock | None = None) -> None:
        self.clock = clock or FakeClock()
        self.commands = FakeCommandStore()
        self.acks = FakeAckStore()
        self.vehicles = FakeVehicleStore()
        self.outbox = OutboxWriter(source="iot-gateway", topic_prefix="", now=self.clock.now)
        self.committed: list[CloudEvent[Any]] = []
        self.commits = 0

    async def __aenter__(self) -> Self:
        self.outbox.events = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.outbox.events = []

    async def commit(self) -> None:
        self.committed += self.outbox.events
        self.outbox.events = []
        self.commits += 1

    def events(self, kind: str) -> list[Any]:
        return [e.data for e in self.committed if e.type == kind]


@dataclass
class FakePublisher:
    """The MQTT port: records publishes; `respond` plays the vehicle answering on the loop."""

    connected: bool = True
    fail_publish: bool = False
    published: list[tuple[str, bytes]] = field(default_factory=list)
    respond: Callable[[str, bytes], None] | None = None

    def publish(self, topic: str, payload: bytes) -> None:
        if self.fail_publish:
            raise BrokerUnavailableError("connection lost")
        self.published.append((topic, payload))
        if self.respond is not None:
            asyncio.get_running_loop().call_soon(self.respond, topic, payload)
