"""The trip: unlock starts it; ending locks, prices and captures exactly once."""

from __future__ import annotations

import pytest
from booking.domain.tasks import TaskKind
from booking.usecases import requests, trip
from booking.usecases.jobs import run_due_tasks
from booking_factories import a_caller, active_booking, confirmed_booking, payload, post
from booking_fakes import FakeUnitOfWork, make_world
from contracts.events.booking import TripEnded, TripStarted
from contracts.types import BookingId, BookingStatus, GeoPoint, PaymentStatus, VehicleId
from mobility_platform.errors import DependencyUnavailableError


async def test_an_unlock_starts_the_trip_once() -> None:
    world = make_world()
    booking = await confirmed_booking(world)
    for _ in range(2):
        await trip.start_trip(
            FakeUnitOfWork(world.store, world.clock),  # type: ignore[arg-type]
            booking_id=BookingId(booking.id),
            vehicle_id=VehicleId(booking.vehicle_id),
            started_at=world.clock.now(),
            position=GeoPoint(lat=52.5, lon=13.4),
            now=world.clock.now(),
        )
    assert world.booking(booking.id).status is BookingStatus.ACTIVE
    [event] = world.store.events_of(TripStarted)
    assert event.start_position == GeoPoint(lat=52.5, lon=13.4)


async def test_ending_a_trip_captures_the_fare_and_completes_the_booking() -> None:
    world, caller = make_world(), a_caller()
    booking = await active_booking(world, caller)
    world.clock.advance(7 * 60)
    response = await post(world, caller, requests.END, booking_id=booking.id)
    assert response.status == 200
    body = payload(response)
    assert body["status"] == "completed"
    fare_total = 100 + 25 * 7
    assert body["trip"]["fare"]["total"]["amount_minor"] == fare_total
    assert body["trip"]["captured_amount"]["amount_minor"] == fare_total
    assert world.payment.of(booking.id).captured_amount.amount_minor == fare_total  # type: ignore[union-attr]
    [event] = world.store.events_of(TripEnded)
    assert event.captured_amount.amount_minor == fare_total
    assert event.fare.minutes == 7
    assert body["receipt"]["receipt"]["captured_amount"]["amount_minor"] == fare_total
    assert not world.store.pending_tasks()


async def test_capture_failing_after_the_lock_keeps_the_fare_and_is_retried_later() -> None:
    world, caller = make_world(), a_caller()
    booking = await active_booking(world, caller)
    world.clock.advance(5 * 60)
    world.payment.fail("capture")
    response = await post(world, caller, requests.END, booking_id=booking.id)
    assert response.status == 202
    body = payload(response)
    assert body["status"] == "active"
    assert body["trip"]["ended_at"] is not None
    assert body["trip"]["fare"]["total"]["amount_minor"] == 225
    assert world.store.pending_tasks(TaskKind.FINISH_TRIP)
    world.payment.heal()
    world.clock.advance(60)
    await run_due_tasks(world.svc)
    done = world.booking(booking.id)
    assert done.status is BookingStatus.COMPLETED
    assert done.trip.captured_amount.amount_minor == 225  # type: ignore[union-attr]
    assert world.pricing.count("fare") == 1
    assert world.fleet.count("lock_trip") == 1
    assert world.payment.captured_total() == 225
    assert len(world.store.events_of(TripEnded)) == 1


async def test_ending_again_does_not_charge_twice() -> None:
    world, caller = make_world(), a_caller()
    booking = await active_booking(world, caller)
    first = await post(world, caller, requests.END, booking_id=booking.id)
    second = await post(world, caller, requests.END, booking_id=booking.id)
    assert (first.status, second.status) == (200, 200)
    assert world.payment.count("capture") == 1
    assert len(world.store.events_of(TripEnded)) == 1


async def test_an_unacknowledged_lock_still_ends_the_trip_and_flags_the_vehicle() -> None:
    world, caller = make_world(), a_caller()
    booking = await active_booking(world, caller)
    world.fleet.lock_acknowledged = False
    response = await post(world, caller, requests.END, booking_id=booking.id)
    assert payload(response)["status"] == "completed"
    assert payload(response)["trip"]["vehicle_flagged"] is True


async def test_fleet_down_before_the_lock_leaves_the_trip_running() -> None:
    world, caller = make_world(), a_caller()
    booking = await active_booking(world, caller)
    world.fleet.fail("lock_trip")
    with pytest.raises(DependencyUnavailableError):
        await post(world, caller, requests.END, booking_id=booking.id)
    assert world.booking(booking.id).status is BookingStatus.ACTIVE
    assert world.booking(booking.id).trip.ended_at is None


async def test_a_free_ride_voids_instead_of_capturing() -> None:
    world, caller = make_world(), a_caller()
    booking = await active_booking(world, caller)
    original = world.pricing.fare

    async def free(request: object) -> object:
        read = await original(request)  # type: ignore[arg-type]
        fare = read.fare.model_copy(
            update={"total": read.fare.total.model_copy(update={"amount_minor": 0})}
        )
        return read.model_copy(update={"fare": fare})

    world.pricing.fare = free  # type: ignore[method-assign]
    response = await post(world, caller, requests.END, booking_id=booking.id)
    assert payload(response)["status"] == "completed"
    assert world.payment.count("capture") == 0
    assert world.payment.of(booking.id).status is PaymentStatus.VOIDED
    assert world.booking(booking.id).payment.status is PaymentStatus.VOIDED  # type: ignore[union-attr]


async def test_only_an_active_trip_can_be_ended() -> None:
    world, caller = make_world(), a_caller()
    booking = await confirmed_booking(world, caller)
    response = await post(world, caller, requests.END, booking_id=booking.id)
    assert response.status == 409
    assert payload(response)["code"] == "trip_not_active"
