"""The command API end to end: gateway -> real Mosquitto -> simulated vehicles (a separate
`vehicle-agent simulate` process) -> acks, with the audit trail and events in PostgreSQL."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from contracts.mqtt import CommandAck, VehicleCommand
from contracts.types import CommandAction
from iot_gateway_testkit import (
    GatewayFactory,
    MqttProbe,
    ShiftedClock,
    SimulatorProcess,
    audit_row,
    command_id_of,
    outbox_events,
    vehicle,
    wait_for_heartbeat,
    wait_published,
)
from mobility_platform.auth import generate_keypair
from mobility_platform.signing import CommandSigner
from mobility_platform.testing import wait_until
from mobility_platform.testing.plugin import AuthKeys, Infra

NORMAL, REJECTING, SILENT, SLOW, TARGET = range(5)


@pytest.fixture(scope="module")
async def fleet(
    shared_vehicles: list[str],
    tmp_path_factory: pytest.TempPathFactory,
    auth_keys: AuthKeys,
    vehicle_secret_file: Path,
    mqtt_broker: Infra,
) -> AsyncIterator[list[str]]:
    """One simulator process for this module; each test owns one vehicle role."""
    ids = shared_vehicles[:5]
    sim = SimulatorProcess(
        [vehicle(v) for v in ids],
        workdir=tmp_path_factory.mktemp("fleet"),
        mqtt_port=mqtt_broker.mqtt_port,
        command_public_key=auth_keys.command_public,
        secret_file=vehicle_secret_file,
        args=[
            *("--heartbeat-s", "0.5"),
            *("--drop-acks-id", ids[SILENT]),
            *("--slow-acks-id", ids[SLOW], "--slow-ack-s", "1.0"),
        ],
    )
    sim.start()
    probe = MqttProbe(
        "127.0.0.1",
        mqtt_broker.mqtt_port,
        mqtt_broker.mqtt_gateway_user,
        mqtt_broker.mqtt_gateway_password,
    )
    await probe.connect()
    try:
        for vid in ids:  # a heartbeat proves the vehicle is connected AND subscribed
            await wait_for_heartbeat(probe, vid)
        yield ids
    finally:
        probe.close()
        assert sim.stop() == 0, sim.log_text()


def unlock(vehicle_id: str, **extra: object) -> dict[str, object]:
    return {"vehicle_id": vehicle_id, "action": "unlock", "booking_id": str(uuid.uuid4()), **extra}


async def test_unlock_is_acknowledged_by_the_vehicle_with_its_state(
    make_gateway: GatewayFactory, fleet: list[str], iot_db: str
) -> None:
    async with make_gateway() as gateway:
        response = await gateway.post("/internal/commands", json=unlock(fleet[NORMAL]))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "acknowledged"
        assert body["vehicle_id"] == fleet[NORMAL]
        assert body["action"] == "unlock"
        assert body["locked"] is False
        assert 0 <= body["battery_pct"] <= 100
        row = await audit_row(iot_db, body["command_id"])
        assert (row["outcome"], row["ack_status"], row["requested_by"]) == (
            "acknowledged",
            "ok",
            "fleet",
        )

        locked = await gateway.post(
            "/internal/commands", json={"vehicle_id": fleet[NORMAL], "action": "lock"}
        )
        assert locked.status_code == 200, locked.text
        assert locked.json()["locked"] is True


async def test_forged_signature_is_rejected_by_the_vehicle_and_reported(
    make_gateway: GatewayFactory, fleet: list[str], iot_db: str
) -> None:
    attacker_key, _ = generate_keypair()  # not the platform key the vehicles trust
    async with make_gateway(command_signing_key=attacker_key) as gateway:
        response = await gateway.post("/internal/commands", json=unlock(fleet[REJECTING]))
        assert response.status_code == 409, response.text
        problem = response.json()
        assert (problem["code"], problem["reason"]) == ("command_rejected", "bad_signature")
        events = await wait_until(
            lambda: outbox_events(iot_db, "VehicleCommandRejected", fleet[REJECTING]),
            message="VehicleCommandRejected in the outbox",
        )
        rejected = [e for e in events if e["data"]["command_id"] == problem["command_id"]]
        assert rejected[0]["data"]["reason"] == "bad_signature"
        assert rejected[0]["data"]["action"] == "unlock"
        await wait_published(iot_db, rejected[0]["id"])  # the relay delivered it to Kafka
        row = await audit_row(iot_db, problem["command_id"])
        assert (row["outcome"], row["ack_reason"]) == ("rejected", "bad_signature")


async def test_expired_command_is_rejected_by_the_vehicle_and_reported(
    make_gateway: GatewayFactory, fleet: list[str], iot_db: str
) -> None:
    an_hour_ago = ShiftedClock(timedelta(hours=-1))  # the command expired long ago
    async with make_gateway(clock=an_hour_ago) as gateway:
        response = await gateway.post("/internal/commands", json=unlock(fleet[REJECTING]))
        assert response.status_code == 409, response.text
        problem = response.json()
        assert problem["reason"] == "expired"
        events = await wait_until(
            lambda: _with_command(iot_db, fleet[REJECTING], problem["command_id"]),
            message="VehicleCommandRejected for the expired command",
        )
        assert events[0]["data"]["reason"] == "expired"


async def _with_command(db_url: str, vehicle_id: str, command_id: str) -> list[dict[str, object]]:
    events = await outbox_events(db_url, "VehicleCommandRejected", vehicle_id)
    return [e for e in events if e["data"]["command_id"] == command_id]  # type: ignore[index]


async def test_replayed_command_is_rejected_by_the_vehicle_and_reported(
    make_gateway: GatewayFactory, fleet: list[str], iot_db: str, gateway_probe: MqttProbe
) -> None:
    vid = fleet[NORMAL]
    await gateway_probe.subscribe(f"vehicles/{vid}/commands")
    async with make_gateway() as gateway:
        response = await gateway.post("/internal/commands", json=unlock(vid, timeout_ms=3000))
        assert response.status_code == 200, response.text
        command_id = response.json()["command_id"]
        captured = await wait_until(
            lambda: [
                p
                for p in gateway_probe.received(f"vehicles/{vid}/commands")
                if command_id_of(p) == command_id
            ],
            message="the signed command seen on the wire",
        )
        # an attacker with broker access re-sends the very same signed message
        assert (await gateway_probe.publish(f"vehicles/{vid}/commands", captured[0])) == 0
        events = await wait_until(
            lambda: _with_command(iot_db, vid, command_id),
            message="VehicleCommandRejected for the replay",
        )
        assert events[0]["data"]["reason"] == "replayed"
        row = await audit_row(iot_db, command_id)
        assert (row["outcome"], row["ack_status"]) == ("acknowledged", "ok")  # first ack stays


async def test_command_for_another_vehicle_is_rejected_and_reported(
    fleet: list[str],
    auth_keys: AuthKeys,
    gateway_probe: MqttProbe,
    make_gateway: GatewayFactory,
    iot_db: str,
) -> None:
    target, other = fleet[TARGET], str(uuid.uuid4())
    now = datetime.now(UTC)
    command = VehicleCommand(
        command_id=uuid.uuid4(),
        vehicle_id=uuid.UUID(other),  # validly signed, but for another vehicle
        action=CommandAction.UNLOCK,
        issued_at=now,
        expires_at=now + timedelta(seconds=30),
        nonce=uuid.uuid4().hex,
    )
    signed = CommandSigner(auth_keys.command_private).sign(command)
    await gateway_probe.subscribe(f"vehicles/{target}/acks")
    async with make_gateway():
        code = await gateway_probe.publish(
            f"vehicles/{target}/commands", signed.model_dump_json().encode()
        )
        assert code == 0
        acks = await wait_until(
            lambda: [
                CommandAck.model_validate_json(p)
                for p in gateway_probe.received(f"vehicles/{target}/acks")
                if str(command.command_id).encode() in p
            ],
            message="the vehicle's rejection ack",
        )
        assert (acks[0].status, acks[0].reason) == ("rejected", "wrong_vehicle")
        events = await wait_until(
            lambda: _with_command(iot_db, target, str(command.command_id)),
            message="VehicleCommandRejected for a command the gateway never sent",
        )
        assert events[0]["data"]["reason"] == "wrong_vehicle"


async def test_silent_vehicle_gets_504_within_the_timeout(
    make_gateway: GatewayFactory, fleet: list[str], iot_db: str
) -> None:
    async with make_gateway() as gateway:
        started = time.monotonic()
        response = await gateway.post(
            "/internal/commands", json=unlock(fleet[SILENT], timeout_ms=400)
        )
        elapsed = time.monotonic() - started
        assert response.status_code == 504, response.text
        assert response.json()["code"] == "vehicle_timeout"
        assert 0.4 <= elapsed < 3.0  # answered at its deadline (slack: a busy shared box)
        row = await audit_row(iot_db, response.json()["command_id"])
        assert row["outcome"] == "timeout"


async def test_slow_ack_within_the_timeout_succeeds_and_a_late_one_is_still_recorded(
    make_gateway: GatewayFactory, fleet: list[str], iot_db: str
) -> None:
    async with make_gateway() as gateway:
        patient = await gateway.post("/internal/commands", json=unlock(fleet[SLOW]))
        assert patient.status_code == 200, patient.text

        beep = {"vehicle_id": fleet[SLOW], "action": "beep", "timeout_ms": 200}
        hasty = await gateway.post("/internal/commands", json=beep)
        assert hasty.status_code == 504
        command_id = hasty.json()["command_id"]
        row = await wait_until(
            lambda: _late_ack(iot_db, command_id), message="the late ack recorded"
        )
        assert (row["outcome"], row["ack_status"]) == ("timeout", "ok")


async def _late_ack(db_url: str, command_id: str) -> dict[str, object] | None:
    row = await audit_row(db_url, command_id)
    return row if row["ack_status"] is not None else None
