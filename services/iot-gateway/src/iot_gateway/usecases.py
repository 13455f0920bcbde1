"""Use cases: send a command and await its ack, record acks, ingest heartbeats, detect offline."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from contracts.events.iot import (
    VehicleCommandRejected,
    VehicleOffline,
    VehicleOnline,
    VehicleTelemetry,
)
from contracts.mqtt import CommandAck, Telemetry, VehicleCommand, commands_topic
from contracts.types import BookingId, CommandAction, CommandId, VehicleId

from iot_gateway import domain
from iot_gateway.domain import (
    BrokerUnavailableError,
    Command,
    CommandRejectedError,
    Outcome,
    VehicleTimeoutError,
)
from iot_gateway.pending import PendingAcks
from iot_gateway.ports import AbstractUnitOfWork, CommandPublisher, CommandSigning, Heartbeat

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CommandPorts:
    publisher: CommandPublisher
    pending: PendingAcks
    signer: CommandSigning


@dataclass(frozen=True)
class CommandRequest:
    vehicle_id: VehicleId
    action: CommandAction
    booking_id: BookingId | None
    timeout_s: float
    requested_by: str | None = None


async def send_command(
    uow: AbstractUnitOfWork, ports: CommandPorts, request: CommandRequest, *, expiry_grace_s: float
) -> CommandAck:
    """Sign and publish a command, then wait for the addressed vehicle's ack until the deadline."""
    deadline = asyncio.get_running_loop().time() + request.timeout_s
    command = domain.new_command(
        vehicle_id=request.vehicle_id,
        action=request.action,
        booking_id=request.booking_id,
        now=uow.clock.now(),
        timeout_s=request.timeout_s,
        expiry_grace_s=expiry_grace_s,
    )
    broker_up = ports.publisher.connected
    await _open_command(uow, command, request.requested_by, broker_up=broker_up)
    if not broker_up:
        raise BrokerUnavailableError(
            "The MQTT broker is unreachable; retry later.", command_id=command.command_id
        )
    ack = await _publish_and_wait(uow, ports, command, deadline)
    await complete_command(uow, command.command_id, outcome=domain.outcome_of(ack.status), ack=ack)
    if ack.status != "ok":
        raise CommandRejectedError(
            f"The vehicle refused the command: {ack.reason or ack.status}",
            extensions={
                "reason": ack.reason or ack.status,
                "ack_status": ack.status,
                "command_id": str(command.command_id),
            },
        )
    return ack


async def _open_command(
    uow: AbstractUnitOfWork, command: Command, requested_by: str | None, *, broker_up: bool
) -> None:
    async with uow:
        await uow.commands.add(command, requested_by=requested_by)
        if not broker_up:
            await uow.commands.complete(
                command.command_id, outcome=Outcome.BROKER_UNAVAILABLE, at=command.issued_at
            )
        await uow.commit()


async def _publish_and_wait(
    uow: AbstractUnitOfWork, ports: CommandPorts, command: Command, deadline: float
) -> CommandAck:
    payload = ports.signer.sign(_wire(command)).model_dump_json().encode()
    with ports.pending.expect(command.command_id, command.vehicle_id) as ack:
        try:
            ports.publisher.publish(commands_topic(str(command.vehicle_id)), payload)
            remaining = deadline - asyncio.get_running_loop().time()
            return await asyncio.wait_for(ack, max(remaining, 0.0))
        except BrokerUnavailableError as exc:
            await complete_command(uow, command.command_id, outcome=Outcome.BROKER_UNAVAILABLE)
            raise BrokerUnavailableError(str(exc), command_id=command.command_id) from exc
        except TimeoutError:
            await complete_command(uow, command.command_id, outcome=Outcome.TIMEOUT)
            raise VehicleTimeoutError(
                f"Vehicle {command.vehicle_id} did not acknowledge within {command.timeout_s:g}s.",
                extensions={"command_id": str(command.command_id)},
            ) from None


def _wire(command: Command) -> VehicleCommand:
    return VehicleCommand(
        command_id=command.command_id,
        vehicle_id=command.vehicle_id,
        action=command.action,
        booking_id=command.booking_id,
        issued_at=command.issued_at,
        expires_at=command.expires_at,
        nonce=command.nonce,
    )


async def complete_command(
    uow: AbstractUnitOfWork,
    command_id: CommandId,
    *,
    outcome: Outcome,
    ack: CommandAck | None = None,
) -> None:
    """Record what the API answered for a command (and the ack that decided it)."""
    async with uow:
        if ack is not None:
            await _note_ack(uow, ack, outcome=outcome)
        else:
            await uow.commands.complete(command_id, outcome=outcome, at=uow.clock.now())
        await uow.commit()


async def record_ack(uow: AbstractUnitOfWork, ack: CommandAck) -> None:
    """An ack nobody here waits for (late, another replica's, or a replay rejection)."""
    async with uow:
        await _note_ack(uow, ack)
        await uow.commit()


async def _note_ack(
    uow: AbstractUnitOfWork, ack: CommandAck, *, outcome: Outcome | None = None
) -> None:
    now = uow.clock.now()
    fresh = await uow.acks.add(ack, received_at=now)
    known = await uow.commands.note_ack(ack, outcome=outcome, at=now)
    if not fresh or ack.status != "rejected":
        return
    action = known.action if known is not None else ack.action
    if action is None:
        logger.warning("vehicle %s rejected an unknown command %s", ack.vehicle_id, ack.command_id)
        return
    uow.outbox.add(
        VehicleCommandRejected(
            vehicle_id=ack.vehicle_id,
            command_id=ack.command_id,
            action=action,
            booking_id=known.booking_id if known is not None else None,
            reason=ack.reason or "unspecified",
            rejected_at=ack.acked_at,
        )
    )


async def ingest_heartbeats(
    uow: AbstractUnitOfWork, beats: Sequence[Heartbeat], *, event_interval_s: float
) -> None:
    """Store a batch of heartbeats; a vehicle's return and (throttled) telemetry become events."""
    latest = {b.telemetry.vehicle_id: b.telemetry for b in beats}
    async with uow:
        sightings = await uow.vehicles.upsert_heartbeats(beats)
        back = [s for s in sightings if s.came_online]
        due = [s for s in sightings if s.telemetry_due(event_interval_s)]
        for s in back:
            uow.outbox.add(_online_event(s.seen_at, latest[s.vehicle_id]))
        for s in due:
            uow.outbox.add(_telemetry_event(latest[s.vehicle_id]))
        await uow.vehicles.mark_reported(
            online=[s.vehicle_id for s in back if not s.was_online],
            emitted=[s.vehicle_id for s in due],
            at=uow.clock.now(),
        )
        await uow.commit()


def _online_event(seen_at: datetime, t: Telemetry) -> VehicleOnline:
    return VehicleOnline(
        vehicle_id=t.vehicle_id, seen_at=seen_at, position=t.position, battery_pct=t.battery_pct
    )


def _telemetry_event(t: Telemetry) -> VehicleTelemetry:
    return VehicleTelemetry(
        vehicle_id=t.vehicle_id,
        position=t.position,
        battery_pct=t.battery_pct,
        locked=t.locked,
        speed_kmh=t.speed_kmh,
        odometer_m=t.odometer_m,
        recorded_at=t.recorded_at,
    )


async def detect_offline_vehicles(
    uow: AbstractUnitOfWork, *, offline_after_s: float, limit: int
) -> int:
    """Mark up to `limit` silent vehicles offline (VehicleOffline each); returns how many."""
    async with uow:
        now = uow.clock.now()
        stale = await uow.vehicles.lock_stale(
            cutoff=domain.offline_cutoff(now, offline_after_s), limit=limit
        )
        if not stale:
            return 0
        await uow.vehicles.mark_offline([v.vehicle_id for v in stale], at=now)
        for vehicle in stale:
            uow.outbox.add(
                VehicleOffline(
                    vehicle_id=vehicle.vehicle_id,
                    last_seen_at=vehicle.last_seen_at,
                    detected_at=now,
                )
            )
        await uow.commit()
        return len(stale)
