"""The simulated vehicle's physics and the simulator's failure-knob assignment."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from contracts.types import CommandAction, VehicleId
from mobility_platform.auth import generate_keypair
from mobility_platform.signing import CommandVerifier
from vehicle_agent.agent import VehicleAgent
from vehicle_agent.domain import Motion, VehicleState, actuate, advance
from vehicle_agent.simulator import FailureKnobs, assign_behaviours
from vehicle_agent.vehicles import load_vehicles
from vehicle_agent_testkit import FakeClock

MOTION = Motion(trip_speed_kmh=36.0, drain_pct_per_km=2.0)  # 10 m/s


def state(**overrides: object) -> VehicleState:
    values: dict[str, object] = {
        "vehicle_id": VehicleId(uuid.uuid4()),
        "lat": 50.0,
        "lon": 8.0,
        "battery": 80.0,
    }
    return VehicleState(**{**values, **overrides})  # type: ignore[arg-type]


def test_locked_vehicle_does_not_move_or_drain() -> None:
    s = state()
    advance(s, dt_s=60, motion=MOTION)
    assert (s.lat, s.lon, s.odometer_m, s.battery, s.speed_kmh) == (50.0, 8.0, 0.0, 80.0, 0.0)


def test_vehicle_on_a_trip_moves_drains_and_counts_distance() -> None:
    s = state(locked=False, heading_deg=0.0)  # due north
    advance(s, dt_s=100, motion=MOTION)
    assert s.odometer_m == 1000.0
    assert abs((s.lat - 50.0) * 111_320 - 1000) < 1
    assert s.lon == 8.0
    assert s.battery == 78.0
    assert s.speed_kmh == 36.0


def test_flat_battery_stops_the_vehicle() -> None:
    s = state(locked=False, battery=0.0)
    advance(s, dt_s=10, motion=MOTION)
    assert s.odometer_m == 0.0


def test_lock_and_unlock_change_the_lock_state_locate_and_beep_do_not() -> None:
    s = state()
    actuate(s, CommandAction.UNLOCK)
    assert not s.locked
    for action in (CommandAction.LOCATE, CommandAction.BEEP):
        actuate(s, action)
        assert not s.locked
    actuate(s, CommandAction.LOCK)
    assert s.locked


def test_heartbeats_report_trip_progress() -> None:
    clock, (_, public) = FakeClock(), generate_keypair()
    s = state(locked=False)
    agent = VehicleAgent(
        s,
        verifier=CommandVerifier(public, vehicle_id=str(s.vehicle_id)),
        clock=clock,
        motion=MOTION,
    )
    first = agent.heartbeat()
    clock.advance(30)
    second = agent.heartbeat()
    assert second.odometer_m - first.odometer_m == 300
    assert (first.battery_pct, second.battery_pct) == (80, 79)  # 0.3 km at 2 %/km
    assert second.position != first.position
    assert second.recorded_at == clock.now()
    assert (second.locked, second.speed_kmh) == (False, 36.0)


def test_failure_knobs_pick_fractions_deterministically_plus_named_vehicles() -> None:
    ids = [str(uuid.uuid4()) for _ in range(100)]
    knobs = FailureKnobs(
        drop_acks=0.1,
        slow_acks=0.2,
        slow_ack_s=2.0,
        offline=0.05,
        offline_after_s=9,
        offline_for_s=4,
        drop_ack_ids={ids[0]},
    )
    first = assign_behaviours(ids, knobs, seed=7)
    assert first == assign_behaviours(ids, knobs, seed=7)
    assert first[ids[0]].drop_acks
    assert 10 <= sum(b.drop_acks for b in first.values()) <= 11
    assert sum(b.ack_delay_s == 2.0 for b in first.values()) == 20
    offline = [b for b in first.values() if b.offline_after_s is not None]
    assert len(offline) == 5
    assert all((b.offline_after_s, b.offline_for_s) == (9, 4) for b in offline)


def test_vehicle_files_give_positions_and_battery(tmp_path: Path) -> None:
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    page = tmp_path / "page.json"
    vehicle = {"id": a, "position": {"lat": 1.5, "lon": 2.5}, "battery_pct": 33, "status": "in_use"}
    page.write_text(json.dumps({"items": [vehicle], "total": 1}))
    [seed] = load_vehicles(page)
    assert (str(seed.vehicle_id), seed.lat, seed.lon, seed.battery_pct, seed.locked) == (
        a,
        1.5,
        2.5,
        33,
        False,
    )
    ids = tmp_path / "ids.json"
    ids.write_text(json.dumps([b]))
    [random_seed] = load_vehicles(ids)
    assert str(random_seed.vehicle_id) == b
    assert random_seed.locked
