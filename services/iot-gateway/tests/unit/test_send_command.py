"""send_command with fakes at the MQTT port: ack correlation, rejections, timeouts, broker down."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from contracts.mqtt import CommandAck, SignedCommand
from contracts.types import CommandAction, GeoPoint, VehicleId
from iot_gateway import usecases
from iot_gateway.domain import (
    BrokerUnavailableError,
    CommandRejectedError,
    Outcome,
    VehicleTimeoutError,
    new_command,
)
from iot_gateway.pending import PendingAcks
from iot_gateway_fakes import FakePublisher, FakeUnitOfWork
from mobility_platform.auth import generate_keypair
from mobility_platform.signing import CommandSigner, CommandVerifier

PRIVATE, PUBLIC = generate_keypair()
VEHICLE = VehicleId(uuid.uuid4())


def ack_for(payload: bytes, uow: FakeUnitOfWork, **overrides: object) -> CommandAck:
    """What the addressed vehicle would answer (after checking the signature)."""
    signed = SignedCommand.model_validate_json(payload)
    command = CommandVerifier(PUBLIC, vehicle_id=str(VEHICLE)).verify(signed, now=uow.clock.now())
    fields: dict[str, object] = {
        "command_id": command.command_id,
        "vehicle_id": command.vehicle_id,
        "status": "ok",
        "locked": False,
        "position": GeoPoint(lat=50.1, lon=8.6),
        "battery_pct": 77,
        "odometer_m": 1234,
        "acked_at": uow.clock.now(),
    }
    return CommandAck.model_validate({**fields, **overrides})


def setup(*, connected: bool = True) -> tuple[FakeUnitOfWork, FakePublisher, usecases.CommandPorts]:
    uow, pending = FakeUnitOfWork(), PendingAcks()
    publisher = FakePublisher(connected=connected)
    ports = usecases.CommandPorts(
        publisher=publisher, pending=pending, signer=CommandSigner(PRIVATE)
    )
    return uow, publisher, ports


def answering(
    uow: FakeUnitOfWork,
    ports: usecases.CommandPorts,
    *,
    on_topic_of: VehicleId = VEHICLE,
    **overrides: object,
) -> Callable[[str, bytes], None]:
    """The vehicle answers each published command; the ack arrives on `on_topic_of`'s topic."""

    def respond(topic: str, payload: bytes) -> None:
        ports.pending.resolve(on_topic_of, ack_for(payload, uow, **overrides))

    return respond


def request(timeout_s: float = 1.0) -> usecases.CommandRequest:
    return usecases.CommandRequest(
        vehicle_id=VEHICLE,
        action=CommandAction.UNLOCK,
        booking_id=None,
        timeout_s=timeout_s,
        requested_by="fleet",
    )


async def test_matching_ack_completes_the_command() -> None:
    uow, publisher, ports = setup()
    publisher.respond = answering(uow, ports)
    ack = await usecases.send_command(uow, ports, request(), expiry_grace_s=5)
    assert (ack.status, ack.locked, ack.battery_pct) == ("ok", False, 77)
    assert [topic for topic, _ in publisher.published] == [f"vehicles/{VEHICLE}/commands"]
    record = uow.commands.rows[ack.command_id]
    assert (record.outcome, record.ack_status, record.requested_by) == (
        Outcome.ACKNOWLEDGED,
        "ok",
        "fleet",
    )
    assert record.command.expires_at - record.command.issued_at == timedelta(seconds=6)
    assert len(ports.pending) == 0


async def test_ack_from_another_vehicles_topic_is_not_accepted() -> None:
    uow, publisher, ports = setup()
    intruder = VehicleId(uuid.uuid4())
    publisher.respond = answering(uow, ports, on_topic_of=intruder)
    with pytest.raises(VehicleTimeoutError):
        await usecases.send_command(uow, ports, request(timeout_s=0.05), expiry_grace_s=5)
    assert next(iter(uow.commands.rows.values())).outcome is Outcome.TIMEOUT


async def test_rejection_answers_409_and_emits_vehicle_command_rejected() -> None:
    uow, publisher, ports = setup()
    publisher.respond = answering(uow, ports, status="rejected", reason="expired")
    with pytest.raises(CommandRejectedError) as raised:
        await usecases.send_command(uow, ports, request(), expiry_grace_s=5)
    assert raised.value.extensions["reason"] == "expired"
    [event] = uow.events("VehicleCommandRejected")
    assert (event.reason, event.action, event.vehicle_id) == ("expired", "unlock", VEHICLE)
    assert next(iter(uow.commands.rows.values())).outcome is Outcome.REJECTED


async def test_no_ack_within_the_timeout_is_a_vehicle_timeout() -> None:
    uow, publisher, ports = setup()
    with pytest.raises(VehicleTimeoutError) as raised:
        await usecases.send_command(uow, ports, request(timeout_s=0.05), expiry_grace_s=5)
    assert "command_id" in raised.value.extensions
    assert len(publisher.published) == 1
    assert len(ports.pending) == 0


async def test_broker_down_fails_fast_without_publishing() -> None:
    uow, publisher, ports = setup(connected=False)
    with pytest.raises(BrokerUnavailableError) as raised:
        await usecases.send_command(uow, ports, request(timeout_s=30), expiry_grace_s=5)
    assert raised.value.retry_after_s == 1
    assert raised.value.extensions["command_id"] == str(next(iter(uow.commands.rows)))
    assert publisher.published == []
    assert next(iter(uow.commands.rows.values())).outcome is Outcome.BROKER_UNAVAILABLE


async def test_connection_lost_at_publish_is_broker_unavailable() -> None:
    uow, publisher, ports = setup()
    publisher.fail_publish = True
    with pytest.raises(BrokerUnavailableError):
        await usecases.send_command(uow, ports, request(), expiry_grace_s=5)
    assert next(iter(uow.commands.rows.values())).outcome is Outcome.BROKER_UNAVAILABLE


async def test_late_or_repeated_acks_are_recorded_once() -> None:
    uow, publisher, ports = setup()
    with pytest.raises(VehicleTimeoutError):
        await usecases.send_command(uow, ports, request(timeout_s=0.01), expiry_grace_s=5)
    late = ack_for(publisher.published[0][1], uow, status="rejected", reason="replayed")
    await usecases.record_ack(uow, late)
    await usecases.record_ack(uow, late)  # the same ack delivered twice
    assert len(uow.events("VehicleCommandRejected")) == 1
    record = next(iter(uow.commands.rows.values()))
    assert (record.outcome, record.ack_status) == (Outcome.TIMEOUT, "rejected")


async def test_rejection_of_a_command_we_never_sent_is_reported_with_the_vehicles_account() -> None:
    uow = FakeUnitOfWork()
    ack = CommandAck(
        command_id=uuid.uuid4(),
        vehicle_id=VEHICLE,
        status="rejected",
        reason="bad_signature",
        locked=True,
        position=GeoPoint(lat=0, lon=0),
        battery_pct=50,
        odometer_m=0,
        acked_at=uow.clock.now(),
        action=CommandAction.UNLOCK,
    )
    await usecases.record_ack(uow, ack)
    [event] = uow.events("VehicleCommandRejected")
    assert (event.reason, event.booking_id) == ("bad_signature", None)


def test_each_command_gets_a_fresh_id_and_nonce() -> None:
    made = [
        new_command(
            vehicle_id=VEHICLE,
            action=CommandAction.LOCK,
            booking_id=None,
            now=FakeUnitOfWork().clock.now(),
            timeout_s=5,
            expiry_grace_s=5,
        )
        for _ in range(50)
    ]
    assert len({c.command_id for c in made}) == len({c.nonce for c in made}) == 50
    assert all(16 <= len(c.nonce) <= 64 for c in made)
