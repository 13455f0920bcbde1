"""Offline, online and telemetry from the iot-gateway, on fakes."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from contracts.events.fleet import VehicleStatusChanged
from contracts.types import VehicleStatus
from fleet.usecases import (
    TelemetryPolicy,
    mark_vehicle_offline,
    mark_vehicle_online,
    record_telemetry,
)
from fleet_fakes import T0, FakeUnitOfWork, a_vehicle, held, offset, report_at

POLICY = TelemetryPolicy(min_battery_pct=15, precision=6, move_threshold_m=10, last_seen_every_s=60)


async def test_offline_hides_an_available_vehicle_and_online_brings_it_back() -> None:
    uow = FakeUnitOfWork()
    vehicle = a_vehicle(last_seen_at=T0)
    uow.vehicles.add(vehicle)

    await mark_vehicle_offline(uow, vehicle_id=vehicle.id, detected_at=T0)
    assert uow.vehicles.rows[vehicle.id].status is VehicleStatus.OFFLINE
    await mark_vehicle_online(uow, vehicle_id=vehicle.id, seen_at=T0, report=None)
    assert uow.vehicles.rows[vehicle.id].status is VehicleStatus.AVAILABLE

    changes = [(e.previous_status, e.status) for e in uow.outbox.events]
    assert changes == [("available", "offline"), ("offline", "available")]
    assert all(isinstance(e, VehicleStatusChanged) for e in uow.outbox.events)
    assert len(uow.invalidated) == 4


async def test_offline_during_a_reservation_keeps_it_and_a_repeat_changes_nothing() -> None:
    uow = FakeUnitOfWork()
    vehicle = held(a_vehicle())
    uow.vehicles.add(vehicle)
    await mark_vehicle_offline(uow, vehicle_id=vehicle.id, detected_at=T0)
    await mark_vehicle_offline(uow, vehicle_id=vehicle.id, detected_at=T0)
    stored = uow.vehicles.rows[vehicle.id]
    assert stored.status is VehicleStatus.RESERVED
    assert not stored.online
    assert uow.outbox.events == []
    assert uow.vehicles.saves == 1


async def test_unchanged_heartbeat_writes_nothing() -> None:
    uow = FakeUnitOfWork()
    vehicle = a_vehicle(last_seen_at=T0, odometer_m=1_000, battery_pct=80)
    uow.vehicles.add(vehicle)
    later = T0 + timedelta(seconds=20)
    wrote = await record_telemetry(
        uow,
        vehicle_id=vehicle.id,
        report=report_at(50.11, 8.68, battery=80, odometer=1_000, at=later),
        policy=POLICY,
    )
    assert not wrote
    assert uow.vehicles.saves == 0
    assert uow.committed == 0


async def test_moving_to_another_cell_invalidates_both_cells() -> None:
    uow = FakeUnitOfWork()
    vehicle = a_vehicle(last_seen_at=T0)
    uow.vehicles.add(vehicle)
    lat, lon = offset(50.11, 8.68, 2_000, 0)
    at = T0 + timedelta(seconds=30)
    await record_telemetry(
        uow, vehicle_id=vehicle.id, report=report_at(lat, lon, battery=80, at=at), policy=POLICY
    )
    assert uow.vehicles.rows[vehicle.id].position.lat == lat
    assert uow.invalidated == [("scooter", 50.11, 8.68), ("scooter", lat, lon)]


async def test_small_move_in_the_same_cell_is_written_without_invalidation() -> None:
    uow = FakeUnitOfWork()
    vehicle = a_vehicle(lat=50.1105, lon=8.6805, last_seen_at=T0)
    uow.vehicles.add(vehicle)
    lat, lon = offset(50.1105, 8.6805, 15, 0)
    at = T0 + timedelta(seconds=30)
    await record_telemetry(
        uow, vehicle_id=vehicle.id, report=report_at(lat, lon, battery=80, at=at), policy=POLICY
    )
    assert uow.vehicles.saves == 1
    assert uow.invalidated == []


async def test_battery_crossing_the_search_threshold_invalidates_the_cell() -> None:
    uow = FakeUnitOfWork()
    vehicle = a_vehicle(battery_pct=16, last_seen_at=T0)
    uow.vehicles.add(vehicle)
    at = T0 + timedelta(seconds=30)
    await record_telemetry(
        uow, vehicle_id=vehicle.id, report=report_at(50.11, 8.68, battery=14, at=at), policy=POLICY
    )
    assert uow.invalidated


async def test_online_with_a_position_moves_the_vehicle() -> None:
    uow = FakeUnitOfWork()
    vehicle = replace(a_vehicle(), status=VehicleStatus.OFFLINE, online=False)
    uow.vehicles.add(vehicle)
    await mark_vehicle_online(
        uow, vehicle_id=vehicle.id, seen_at=T0, report=report_at(50.2, 8.7, battery=50)
    )
    stored = uow.vehicles.rows[vehicle.id]
    assert stored.status is VehicleStatus.AVAILABLE
    assert stored.position.lat == 50.2


async def test_a_vehicle_on_a_trip_crossing_cells_invalidates_nothing() -> None:
    uow = FakeUnitOfWork()
    vehicle = replace(held(a_vehicle(last_seen_at=T0)), status=VehicleStatus.IN_USE)
    uow.vehicles.add(vehicle)
    lat, lon = offset(50.11, 8.68, 2_000, 0)
    at = T0 + timedelta(seconds=30)
    wrote = await record_telemetry(
        uow, vehicle_id=vehicle.id, report=report_at(lat, lon, battery=70, at=at), policy=POLICY
    )
    assert wrote
    assert uow.invalidated == []
