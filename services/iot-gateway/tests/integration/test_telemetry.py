"""Heartbeats: stored per vehicle, VehicleTelemetry throttled, offline/online detection."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import asyncpg
from contracts.mqtt import Telemetry
from contracts.types import GeoPoint
from iot_gateway_testkit import (
    PROCESS_START_S,
    GatewayFactory,
    MqttProbe,
    SimulatorProcess,
    outbox_events,
    vehicle,
)
from mobility_platform.signing import vehicle_mqtt_password
from mobility_platform.testing import wait_until
from mobility_platform.testing.plugin import Infra

OFFLINE_VEHICLE, THROTTLED_VEHICLE, SPOOFER = 5, 6, 7


async def state_of(db_url: str, vehicle_id: str) -> dict[str, object] | None:
    conn = await asyncpg.connect(db_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        row = await conn.fetchrow(
            "SELECT * FROM vehicle_state WHERE vehicle_id = $1", uuid.UUID(vehicle_id)
        )
    finally:
        await conn.close()
    return None if row is None else dict(row)


async def test_vehicle_that_stops_heartbeating_goes_offline_and_comes_back_online(
    make_gateway: GatewayFactory,
    simulators: Callable[..., SimulatorProcess],
    shared_vehicles: list[str],
    iot_db: str,
) -> None:
    vid = shared_vehicles[OFFLINE_VEHICLE]

    async def events(kind: str, at_least: int) -> list[dict[str, object]]:
        found = await outbox_events(iot_db, kind, vid)
        return found if len(found) >= at_least else []

    async with make_gateway(offline_after_s=1.0, offline_check_interval_s=0.1):
        first = simulators([vehicle(vid)], "--heartbeat-s", "0.2")
        await wait_until(
            lambda: events("VehicleOnline", 1), timeout=PROCESS_START_S, message="first sighting"
        )
        assert first.stop() == 0  # the vehicle falls silent
        offline = await wait_until(lambda: events("VehicleOffline", 1), message="VehicleOffline")
        assert offline[0]["data"]["last_seen_at"] is not None
        assert (await state_of(iot_db, vid) or {})["online"] is False

        simulators([vehicle(vid)], "--heartbeat-s", "0.2")  # it is back
        online = await wait_until(
            lambda: events("VehicleOnline", 2), timeout=PROCESS_START_S, message="VehicleOnline"
        )
        assert online[1]["time"] > offline[0]["time"]
        assert online[1]["data"]["position"] is not None
        assert (await state_of(iot_db, vid) or {})["online"] is True
        assert len(await outbox_events(iot_db, "VehicleOffline", vid)) == 1


async def test_heartbeats_update_the_vehicle_and_telemetry_events_are_throttled(
    make_gateway: GatewayFactory,
    simulators: Callable[..., SimulatorProcess],
    shared_vehicles: list[str],
    iot_db: str,
) -> None:
    vid = shared_vehicles[THROTTLED_VEHICLE]
    async with make_gateway(telemetry_event_interval_s=3600):
        simulators([vehicle(vid, lat=48.1, lon=11.5)], "--heartbeat-s", "0.1")
        first = await wait_until(
            lambda: state_of(iot_db, vid), timeout=PROCESS_START_S, message="vehicle state stored"
        )
        later = await wait_until(
            lambda: _seen_after(iot_db, vid, first["last_seen_at"]),  # type: ignore[arg-type]
            message="a later heartbeat stored",
        )
        assert (later["lat"], later["lon"], later["locked"]) == (48.1, 11.5, True)
        telemetry = await outbox_events(iot_db, "VehicleTelemetry", vid)
        assert len(telemetry) == 1  # many heartbeats, one event per interval
        assert telemetry[0]["data"]["position"] == {"lat": 48.1, "lon": 11.5}


async def _seen_after(db_url: str, vehicle_id: str, moment: datetime) -> dict[str, object] | None:
    state = await state_of(db_url, vehicle_id)
    return state if state is not None and state["last_seen_at"] > moment else None  # type: ignore[operator]


async def test_heartbeat_naming_another_vehicle_is_ignored(
    make_gateway: GatewayFactory,
    shared_vehicles: list[str],
    mqtt_broker: Infra,
    vehicle_secret: str,
    iot_db: str,
) -> None:
    spoofer, victim = shared_vehicles[SPOOFER], str(uuid.uuid4())
    secret = vehicle_secret
    probe = MqttProbe(
        "127.0.0.1", mqtt_broker.mqtt_port, spoofer, vehicle_mqtt_password(secret, spoofer)
    )
    assert await probe.connect() == 0
    try:
        async with make_gateway():
            lie = _telemetry(victim)  # on the spoofer's own topic, naming the victim
            assert await probe.publish(f"vehicles/{spoofer}/telemetry", lie) == 0
            truth = _telemetry(spoofer)
            assert await probe.publish(f"vehicles/{spoofer}/telemetry", truth) == 0
            await wait_until(lambda: state_of(iot_db, spoofer), message="the honest heartbeat")
            assert await state_of(iot_db, victim) is None
    finally:
        probe.close()


def _telemetry(vehicle_id: str) -> bytes:
    return (
        Telemetry(
            vehicle_id=uuid.UUID(vehicle_id),
            position=GeoPoint(lat=50.0, lon=8.0),
            battery_pct=50,
            locked=True,
            odometer_m=0,
            recorded_at=datetime.now(UTC),
        )
        .model_dump_json()
        .encode()
    )
