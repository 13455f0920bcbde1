"""Inbound MQTT routing: the topic is the sender's identity; payloads must agree with it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from contracts.mqtt import CommandAck, Telemetry
from contracts.types import CommandId, GeoPoint, VehicleId
from iot_gateway.inbound import InboundRouter, TelemetryBuffer, vehicle_of
from iot_gateway.pending import PendingAcks
from iot_gateway_fakes import FakeClock

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


def telemetry(vehicle_id: uuid.UUID) -> bytes:
    return (
        Telemetry(
            vehicle_id=vehicle_id,
            position=GeoPoint(lat=1, lon=2),
            battery_pct=10,
            locked=True,
            odometer_m=0,
            recorded_at=NOW,
        )
        .model_dump_json()
        .encode()
    )


def ack(vehicle_id: uuid.UUID, command_id: uuid.UUID) -> CommandAck:
    return CommandAck(
        command_id=command_id,
        vehicle_id=vehicle_id,
        status="ok",
        locked=False,
        position=GeoPoint(lat=1, lon=2),
        battery_pct=10,
        odometer_m=0,
        acked_at=NOW,
    )


def router() -> tuple[InboundRouter, TelemetryBuffer, PendingAcks, list[CommandAck]]:
    recorded: list[CommandAck] = []

    async def record(a: CommandAck) -> None:
        recorded.append(a)

    pending, buffer = PendingAcks(), TelemetryBuffer()
    return (
        InboundRouter(pending=pending, buffer=buffer, clock=FakeClock(), record_ack=record),
        buffer,
        pending,
        recorded,
    )


def test_vehicle_id_comes_from_a_canonical_topic_only() -> None:
    vid = uuid.uuid4()
    assert vehicle_of(f"vehicles/{vid}/telemetry") == vid
    assert vehicle_of(f"vehicles/{str(vid).upper()}/telemetry") is None
    assert vehicle_of("vehicles/not-a-uuid/telemetry") is None
    assert vehicle_of(f"fleet/{vid}/telemetry") is None
    assert vehicle_of(f"vehicles/{vid}/telemetry/extra") is None


def test_telemetry_naming_another_vehicle_is_dropped() -> None:
    inbound, buffer, _, _ = router()
    me, other = uuid.uuid4(), uuid.uuid4()
    inbound.on_telemetry(f"vehicles/{me}/telemetry", telemetry(other))
    inbound.on_telemetry(f"vehicles/{me}/telemetry", b"{not json")
    assert len(buffer) == 0
    inbound.on_telemetry(f"vehicles/{me}/telemetry", telemetry(me))
    assert [b.telemetry.vehicle_id for b in buffer.drain()] == [me]


async def test_ack_resolves_only_the_waiter_of_the_addressed_vehicle() -> None:
    inbound, _, pending, recorded = router()
    me, intruder, command = VehicleId(uuid.uuid4()), uuid.uuid4(), CommandId(uuid.uuid4())
    with pending.expect(command, me) as waiter:
        forged = ack(intruder, command).model_dump_json().encode()
        inbound.on_ack(f"vehicles/{intruder}/acks", forged)  # right id, wrong vehicle
        inbound.on_ack(f"vehicles/{me}/acks", forged)  # payload disagrees with the topic
        assert not waiter.done()
        inbound.on_ack(f"vehicles/{me}/acks", ack(me, command).model_dump_json().encode())
        assert (await waiter).vehicle_id == me
    await inbound.tasks.drain()
    assert [a.vehicle_id for a in recorded] == [intruder]  # recorded, never accepted


async def test_ack_nobody_waits_for_is_recorded() -> None:
    inbound, _, _, recorded = router()
    me = uuid.uuid4()
    inbound.on_ack(f"vehicles/{me}/acks", ack(me, uuid.uuid4()).model_dump_json().encode())
    await inbound.tasks.drain()
    assert len(recorded) == 1
