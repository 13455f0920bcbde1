"""The broker side: ACLs on the shared Mosquitto, and a broker restart under a running gateway
(on a PRIVATE Mosquitto started here, never the shared one)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from iot_gateway_testkit import (
    GatewayFactory,
    MqttProbe,
    PrivateBroker,
    SimulatorProcess,
    vehicle,
    wait_for_heartbeat,
)
from mobility_platform.signing import vehicle_mqtt_password
from mobility_platform.testing import wait_until
from mobility_platform.testing.plugin import Infra

NOT_AUTHORIZED = 135  # MQTT v5 reason code


@pytest.fixture
async def two_vehicles(
    shared_vehicles: list[str], mqtt_broker: Infra, vehicle_secret: str
) -> AsyncIterator[tuple[str, MqttProbe, str, MqttProbe]]:
    """Vehicles A and B, each connected with ITS OWN credentials."""
    secret = vehicle_secret
    a, b = shared_vehicles[0], shared_vehicles[1]
    probes = [
        MqttProbe("127.0.0.1", mqtt_broker.mqtt_port, v, vehicle_mqtt_password(secret, v))
        for v in (a, b)
    ]
    for probe in probes:
        assert await probe.connect() == 0
    yield a, probes[0], b, probes[1]
    for probe in probes:
        probe.close()


async def test_vehicle_cannot_receive_another_vehicles_commands(
    two_vehicles: tuple[str, MqttProbe, str, MqttProbe], gateway_probe: MqttProbe
) -> None:
    a, vehicle_a, b, vehicle_b = two_vehicles
    await vehicle_a.subscribe(f"vehicles/{b}/commands")  # SUBACK says granted; delivery won't
    await vehicle_a.subscribe(f"vehicles/{a}/commands")
    await vehicle_b.subscribe(f"vehicles/{b}/commands")

    assert await gateway_probe.publish(f"vehicles/{b}/commands", b"for B only") == 0
    assert await gateway_probe.publish(f"vehicles/{a}/commands", b"for A") == 0

    await wait_until(lambda: vehicle_b.received(f"vehicles/{b}/commands"), message="B's command")
    await wait_until(lambda: vehicle_a.received(f"vehicles/{a}/commands"), message="A's command")
    # A's own command was published after B's: had B's been delivered to A, it would be here
    assert vehicle_a.received(f"vehicles/{b}/commands") == []


async def test_vehicle_cannot_publish_another_vehicles_telemetry_or_acks(
    two_vehicles: tuple[str, MqttProbe, str, MqttProbe], gateway_probe: MqttProbe
) -> None:
    a, vehicle_a, b, _ = two_vehicles
    await gateway_probe.subscribe("vehicles/+/telemetry")
    await gateway_probe.subscribe("vehicles/+/acks")

    spoofed = await vehicle_a.publish(f"vehicles/{b}/telemetry", b'{"forged": true}')
    spoofed_ack = await vehicle_a.publish(f"vehicles/{b}/acks", b'{"forged": true}')
    own_command = await vehicle_a.publish(f"vehicles/{a}/commands", b'{"forged": true}')
    assert [spoofed, spoofed_ack, own_command] == [NOT_AUTHORIZED] * 3

    assert await vehicle_a.publish(f"vehicles/{a}/telemetry", b"own") == 0
    await wait_until(
        lambda: gateway_probe.received(f"vehicles/{a}/telemetry"), message="A's own heartbeat"
    )
    assert gateway_probe.received(f"vehicles/{b}/telemetry") == []
    assert gateway_probe.received(f"vehicles/{b}/acks") == []


async def test_wrong_password_is_refused(shared_vehicles: list[str], mqtt_broker: Infra) -> None:
    probe = MqttProbe("127.0.0.1", mqtt_broker.mqtt_port, shared_vehicles[0], "not-the-password")
    try:
        assert await probe.connect() == NOT_AUTHORIZED
    finally:
        probe.close()


async def test_broker_restart_fails_fast_then_recovers_without_restarting_the_gateway(
    tmp_path: Path,
    make_gateway: GatewayFactory,
    simulators: Callable[..., SimulatorProcess],
    vehicle_secret: str,
) -> None:
    vid = str(uuid.uuid4())
    secret = vehicle_secret
    broker = PrivateBroker(tmp_path / "mqtt", vehicles={vid: vehicle_mqtt_password(secret, vid)})
    broker.start()
    try:
        await wait_until(broker.port_open, message="private mosquitto listening")
        simulators([vehicle(vid)], "--heartbeat-s", "0.2", mqtt_port=broker.port)
        probe = MqttProbe("127.0.0.1", broker.port, broker.gateway_user, broker.gateway_password)
        await probe.connect()
        await wait_for_heartbeat(probe, vid)
        probe.close()
        options = {
            "mqtt_port": broker.port,
            "mqtt_user": broker.gateway_user,
            "mqtt_password": broker.gateway_password,
        }
        async with make_gateway(**options) as gateway:
            unlock = {"vehicle_id": vid, "action": "unlock", "timeout_ms": 2000}
            assert (await gateway.post("/internal/commands", json=unlock)).status_code == 200

            await asyncio.to_thread(broker.stop)
            started = time.monotonic()
            down = await gateway.post("/internal/commands", json=unlock)
            assert down.status_code in (503, 504), down.text
            assert time.monotonic() - started < 4.0  # the 2 s command timeout + slack
            fast = await wait_until(
                lambda: _answer_without_waiting(gateway, unlock),
                message="503 broker_unavailable at once",
            )
            assert fast["code"] == "broker_unavailable"

            broker.start()  # same port, same accounts; nobody restarts the gateway
            recovered = await wait_until(
                lambda: _acknowledged(gateway, unlock), timeout=30, message="unlock after restart"
            )
            assert recovered["vehicle_id"] == vid
    finally:
        await asyncio.to_thread(broker.stop)


async def _answer_without_waiting(gateway: httpx.AsyncClient, body: dict[str, Any]) -> Any:
    started = time.monotonic()
    response = await gateway.post("/internal/commands", json=body)
    quick = time.monotonic() - started < 1.0  # no waiting for a 2 s timeout
    return response.json() if response.status_code == 503 and quick else {}


async def _acknowledged(gateway: httpx.AsyncClient, body: dict[str, Any]) -> Any:
    response = await gateway.post("/internal/commands", json=body)
    return response.json() if response.status_code == 200 else {}
