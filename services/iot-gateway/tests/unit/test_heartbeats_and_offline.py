"""Heartbeat ingestion (throttled telemetry, online transitions) and offline detection, with a
fake clock and fake stores."""

from __future__ import annotations

import uuid
from datetime import timedelta

from contracts.mqtt import Telemetry
from contracts.types import GeoPoint, VehicleId
from iot_gateway import background, usecases
from iot_gateway.inbound import TelemetryBuffer
from iot_gateway.ports import Heartbeat
from iot_gateway_fakes import FakeClock, FakeUnitOfWork

OFFLINE_AFTER_S = 300.0
INTERVAL_S = 30.0


def beat(uow: FakeUnitOfWork, vehicle_id: VehicleId, *, lat: float = 50.0) -> Heartbeat:
    telemetry = Telemetry(
        vehicle_id=vehicle_id,
        position=GeoPoint(lat=lat, lon=8.0),
        battery_pct=60,
        locked=True,
        odometer_m=10,
        recorded_at=uow.clock.now(),
    )
    return Heartbeat(telemetry=telemetry, seen_at=uow.clock.now())


async def ingest(uow: FakeUnitOfWork, *beats: Heartbeat) -> None:
    await usecases.ingest_heartbeats(uow, list(beats), event_interval_s=INTERVAL_S)


async def detect(uow: FakeUnitOfWork, limit: int = 100) -> int:
    return await usecases.detect_offline_vehicles(uow, offline_after_s=OFFLINE_AFTER_S, limit=limit)


async def test_first_heartbeat_announces_the_vehicle_online_with_its_telemetry() -> None:
    uow, vid = FakeUnitOfWork(), VehicleId(uuid.uuid4())
    await ingest(uow, beat(uow, vid))
    [online] = uow.events("VehicleOnline")
    [telemetry] = uow.events("VehicleTelemetry")
    assert online.position == telemetry.position == GeoPoint(lat=50.0, lon=8.0)


async def test_telemetry_events_are_throttled_per_vehicle() -> None:
    uow, vid = FakeUnitOfWork(), VehicleId(uuid.uuid4())
    for _ in range(10):  # a heartbeat every 5 s for 45 s
        await ingest(uow, beat(uow, vid))
        uow.clock.advance(5)
    assert len(uow.events("VehicleTelemetry")) == 2  # at t=0 and t=30
    assert len(uow.events("VehicleOnline")) == 1


async def test_vehicle_silent_past_the_threshold_goes_offline_once() -> None:
    uow, vid = FakeUnitOfWork(FakeClock()), VehicleId(uuid.uuid4())
    await ingest(uow, beat(uow, vid))
    uow.clock.advance(OFFLINE_AFTER_S - 1)
    assert await detect(uow) == 0
    uow.clock.advance(2)
    assert await detect(uow) == 1
    assert await detect(uow) == 0  # already offline: no second event
    [offline] = uow.events("VehicleOffline")
    assert offline.vehicle_id == vid
    assert offline.detected_at - offline.last_seen_at == timedelta(seconds=OFFLINE_AFTER_S + 1)


async def test_heartbeat_after_going_offline_brings_the_vehicle_back_online() -> None:
    uow, vid = FakeUnitOfWork(), VehicleId(uuid.uuid4())
    await ingest(uow, beat(uow, vid))
    uow.clock.advance(OFFLINE_AFTER_S + 1)
    await detect(uow)
    await ingest(uow, beat(uow, vid, lat=51.0))
    online = uow.events("VehicleOnline")
    assert len(online) == 2
    assert online[1].position == GeoPoint(lat=51.0, lon=8.0)
    assert uow.vehicles.rows[vid].online
    assert len(uow.events("VehicleTelemetry")) == 2  # a returning vehicle reports at once


async def test_detection_works_in_batches() -> None:
    uow = FakeUnitOfWork()
    ids = [VehicleId(uuid.uuid4()) for _ in range(7)]
    await ingest(uow, *(beat(uow, v) for v in ids))
    uow.clock.advance(OFFLINE_AFTER_S + 1)
    found = await background.detect_offline(lambda: uow, offline_after_s=OFFLINE_AFTER_S, batch=3)
    assert found == 7
    assert {e.vehicle_id for e in uow.events("VehicleOffline")} == set(ids)


async def test_a_failed_flush_keeps_the_heartbeats_for_the_next_one() -> None:
    uow, buffer = FakeUnitOfWork(), TelemetryBuffer()
    vid = VehicleId(uuid.uuid4())
    buffer.add(beat(uow, vid))
    uow.vehicles.fail_next = 1
    assert await background.flush_heartbeats(buffer, lambda: uow, event_interval_s=30) == 0
    assert len(buffer) == 1
    assert await background.flush_heartbeats(buffer, lambda: uow, event_interval_s=30) == 1
    assert len(buffer) == 0
    assert vid in uow.vehicles.rows


def test_buffer_keeps_only_the_latest_heartbeat_per_vehicle() -> None:
    uow, buffer = FakeUnitOfWork(), TelemetryBuffer()
    vid = VehicleId(uuid.uuid4())
    buffer.add(beat(uow, vid, lat=1.0))
    buffer.add(beat(uow, vid, lat=2.0))
    [kept] = buffer.drain()
    assert kept.telemetry.position.lat == 2.0
    buffer.add(beat(uow, vid, lat=3.0))
    buffer.restore([kept])  # an older batch put back never overwrites a newer heartbeat
    assert buffer.drain()[0].telemetry.position.lat == 3.0
