"""Vehicle and reservation rules, on plain domain objects."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from uuid import uuid4

import pytest
from contracts.types import BookingId, GeoPoint, RiderId, VehicleStatus
from fleet.domain import (
    NotYourBookingError,
    ReservationNotFoundError,
    TripStart,
    end_of_trip,
    haversine_m,
    new_reservation,
    trip_distance_m,
)
from fleet_fakes import T0, a_vehicle, held, report_at


def test_only_available_charged_vehicles_inside_an_operating_area_are_searchable() -> None:
    assert a_vehicle(battery_pct=15).searchable(15)
    assert not a_vehicle(battery_pct=14).searchable(15)
    assert not a_vehicle(zone_id=None).searchable(15)
    for status in (VehicleStatus.RESERVED, VehicleStatus.OFFLINE, VehicleStatus.MAINTENANCE):
        assert not a_vehicle(status=status).searchable(15)


def test_haversine_matches_a_known_distance() -> None:
    # Frankfurt Hauptbahnhof -> Hauptwache, about 1.7 km
    assert haversine_m(50.1071, 8.6638, 50.1155, 8.6842) == pytest.approx(1_722, abs=15)
    assert haversine_m(50.0, 8.0, 50.0, 8.0) == 0.0


def test_released_vehicle_is_available_again_unless_it_went_offline_meanwhile() -> None:
    vehicle = held(a_vehicle())
    assert vehicle.released().status is VehicleStatus.AVAILABLE
    assert vehicle.released().reserved_booking_id is None
    assert replace(vehicle, online=False).released().status is VehicleStatus.OFFLINE


def test_confirm_needs_a_live_hold_of_that_booking() -> None:
    vehicle = held(a_vehicle())
    assert vehicle.reserved_booking_id is not None
    later = T0 + timedelta(minutes=15)
    confirmed = vehicle.confirm(vehicle.reserved_booking_id, later, T0)
    assert confirmed.reservation_confirmed
    assert confirmed.hold_until == later
    with pytest.raises(ReservationNotFoundError):
        vehicle.confirm(BookingId(uuid4()), later, T0)
    with pytest.raises(ReservationNotFoundError):
        vehicle.confirm(vehicle.reserved_booking_id, later, T0 + timedelta(minutes=6))


def test_only_the_rider_with_the_confirmed_live_reservation_may_unlock() -> None:
    vehicle = held(a_vehicle(), confirmed=True)
    assert vehicle.reserved_rider_id is not None
    assert (
        vehicle.booking_unlockable_by(vehicle.reserved_rider_id, T0) == vehicle.reserved_booking_id
    )
    with pytest.raises(NotYourBookingError):
        vehicle.booking_unlockable_by(RiderId(uuid4()), T0)
    with pytest.raises(NotYourBookingError):
        replace(vehicle, reservation_confirmed=False).booking_unlockable_by(
            vehicle.reserved_rider_id, T0
        )
    with pytest.raises(NotYourBookingError):
        vehicle.booking_unlockable_by(vehicle.reserved_rider_id, T0 + timedelta(hours=1))


def test_offline_hides_an_available_vehicle_but_keeps_a_live_reservation() -> None:
    assert a_vehicle().went_offline().status is VehicleStatus.OFFLINE
    reserved = held(a_vehicle()).went_offline()
    assert reserved.status is VehicleStatus.RESERVED
    assert not reserved.online
    assert a_vehicle().went_offline().came_online(None).status is VehicleStatus.AVAILABLE
    maintenance = a_vehicle(status=VehicleStatus.MAINTENANCE)
    assert maintenance.went_offline().came_online(None).status is VehicleStatus.MAINTENANCE


def test_trip_distance_prefers_the_odometer_and_falls_back_to_great_circle() -> None:
    start = TripStart(unlocked_at=T0, position=GeoPoint(lat=50.0, lon=8.0), odometer_m=1_000)
    end = GeoPoint(lat=50.01, lon=8.0)
    assert trip_distance_m(start, end, 3_500) == 2_500
    assert trip_distance_m(start, end, None) == pytest.approx(1_112, abs=1)
    assert trip_distance_m(start, end, 900) == pytest.approx(1_112, abs=1)  # odometer reset


def test_trip_without_lock_ack_ends_in_maintenance_at_the_last_known_position() -> None:
    vehicle = replace(held(a_vehicle()), status=VehicleStatus.IN_USE)
    start = TripStart(unlocked_at=T0, position=vehicle.position, odometer_m=5_000)
    reservation = new_reservation(vehicle, T0).start_trip(start)
    heard = vehicle.reported(report_at(50.12, 8.68, odometer=6_200, at=T0 + timedelta(minutes=9)))
    ended, trip = end_of_trip(reservation, heard, None, T0 + timedelta(minutes=10))
    assert ended.status is VehicleStatus.MAINTENANCE
    assert ended.reserved_booking_id is None
    assert not trip.acknowledged
    assert trip.distance_m == 1_200
    assert trip.position == GeoPoint(lat=50.12, lon=8.68)


def test_acknowledged_lock_makes_the_vehicle_available_where_it_stands() -> None:
    vehicle = replace(held(a_vehicle()), status=VehicleStatus.IN_USE, online=False)
    start = TripStart(unlocked_at=T0, position=vehicle.position, odometer_m=5_000)
    reservation = new_reservation(vehicle, T0).start_trip(start)
    ack = report_at(50.13, 8.69, battery=40, odometer=8_000, at=T0 + timedelta(minutes=20))
    ended, trip = end_of_trip(reservation, vehicle, ack, T0 + timedelta(minutes=20))
    assert ended.status is VehicleStatus.AVAILABLE
    assert ended.online
    assert ended.position == ack.position
    assert ended.battery_pct == 40
    assert trip.acknowledged
    assert trip.distance_m == 3_000


def test_stale_or_unchanged_heartbeats_are_not_worth_a_write() -> None:
    vehicle = a_vehicle(last_seen_at=T0, odometer_m=1_000)
    same = report_at(50.11, 8.68, battery=80, odometer=1_000, at=T0 + timedelta(seconds=30))
    kwargs = {"move_threshold_m": 10.0, "last_seen_every_s": 60.0}
    assert not vehicle.telemetry_worth_writing(same, **kwargs)
    assert not vehicle.telemetry_worth_writing(replace(same, at=T0), **kwargs)
    assert vehicle.telemetry_worth_writing(replace(same, battery_pct=79), **kwargs)
    assert vehicle.telemetry_worth_writing(replace(same, at=T0 + timedelta(minutes=2)), **kwargs)
    moved = report_at(50.111, 8.68, battery=80, odometer=1_000, at=T0 + timedelta(seconds=30))
    assert vehicle.telemetry_worth_writing(moved, **kwargs)
