"""Cancelling and expiring: the vehicle is released, the authorisation voided, retried while
a peer is down, and bookings that are not due are left alone."""

from __future__ import annotations

from booking.domain.tasks import TaskKind
from booking.usecases import expiry, requests
from booking.usecases.jobs import run_due_tasks
from booking_factories import (
    a_caller,
    active_booking,
    confirmed_booking,
    payload,
    pending_booking,
    post,
)
from booking_fakes import FakeUnitOfWork, make_world
from contracts.events.booking import BookingCancelled, BookingExpired
from contracts.types import BookingId, BookingStatus, PaymentStatus


async def test_cancelling_a_confirmed_booking_releases_and_voids() -> None:
    world, caller = make_world(), a_caller()
    booking = await confirmed_booking(world, caller)
    response = await post(world, caller, requests.CANCEL, booking_id=booking.id)
    assert response.status == 200
    assert payload(response)["status"] == "cancelled"
    assert world.fleet.holder(booking.vehicle_id) is None
    assert world.payment.of(booking.id).status is PaymentStatus.VOIDED
    assert payload(response)["status_reason"] == "rider_cancelled"
    [event] = world.store.events_of(BookingCancelled)
    assert event.rider_contact == caller.contact


async def test_an_active_trip_cannot_be_cancelled() -> None:
    world, caller = make_world(), a_caller()
    booking = await active_booking(world, caller)
    response = await post(world, caller, requests.CANCEL, booking_id=booking.id)
    assert response.status == 409
    assert payload(response)["code"] == "invalid_booking_state"


async def test_another_riders_booking_cannot_be_cancelled() -> None:
    world = make_world()
    booking = await pending_booking(world, a_caller())
    response = await post(world, a_caller(), requests.CANCEL, booking_id=booking.id)
    assert response.status == 404
    assert world.booking(booking.id).status is BookingStatus.PENDING_PAYMENT


async def test_compensation_with_fleet_down_is_retried_until_fleet_is_back() -> None:
    world, caller = make_world(), a_caller()
    booking = await confirmed_booking(world, caller)
    world.fleet.fail("release")
    response = await post(world, caller, requests.CANCEL, booking_id=booking.id)
    assert payload(response)["status"] == "cancelled"
    assert world.fleet.holder(booking.vehicle_id) == booking.id
    [task] = world.store.pending_tasks(TaskKind.RELEASE_VEHICLE)
    assert task.run_at > world.clock.now()
    assert await run_due_tasks(world.svc) == 0  # backing off
    world.clock.advance(2)
    await run_due_tasks(world.svc)  # still down: backs off further
    world.fleet.heal()
    world.clock.advance(4)
    await run_due_tasks(world.svc)
    assert world.fleet.holder(booking.vehicle_id) is None
    assert not world.store.pending_tasks()


async def test_an_unpaid_booking_expires_after_its_hold_and_the_vehicle_is_released() -> None:
    world = make_world()
    booking = await pending_booking(world)
    world.clock.advance(299)
    assert await expiry.expire_overdue(world.svc) == 0
    world.clock.advance(1)
    assert await expiry.expire_overdue(world.svc) == 1
    assert world.booking(booking.id).status is BookingStatus.EXPIRED
    [event] = world.store.events_of(BookingExpired)
    assert event.previous_status is BookingStatus.PENDING_PAYMENT
    await run_due_tasks(world.svc)
    assert world.fleet.holder(booking.vehicle_id) is None
    assert world.payment.of(booking.id).status is PaymentStatus.VOIDED


async def test_a_confirmed_booking_never_unlocked_expires_after_the_unlock_window() -> None:
    world = make_world()
    booking = await confirmed_booking(world)
    world.clock.advance(599)
    assert await expiry.expire_overdue(world.svc) == 0
    world.clock.advance(1)
    assert await expiry.expire_overdue(world.svc) == 1
    await run_due_tasks(world.svc)
    assert world.booking(booking.id).status_reason == "unlock_window_passed"
    assert world.fleet.holder(booking.vehicle_id) is None
    assert world.payment.of(booking.id).status is PaymentStatus.VOIDED
    assert world.booking(booking.id).payment.status is PaymentStatus.VOIDED  # type: ignore[union-attr]


async def test_active_trips_never_expire() -> None:
    world = make_world()
    booking = await active_booking(world)
    world.clock.advance(3600)
    assert await expiry.expire_overdue(world.svc) == 0
    assert world.booking(booking.id).status is BookingStatus.ACTIVE


async def test_fleet_dropping_the_hold_expires_the_booking_without_another_release() -> None:
    world = make_world()
    booking = await pending_booking(world)
    uow = FakeUnitOfWork(world.store, world.clock)
    await expiry.expire_released_hold(
        uow,  # type: ignore[arg-type]
        booking_id=BookingId(booking.id),
        now=world.clock.now(),
    )
    assert world.booking(booking.id).status is BookingStatus.EXPIRED
    assert world.store.pending_tasks(TaskKind.VOID_PAYMENT)
    assert not world.store.pending_tasks(TaskKind.RELEASE_VEHICLE)
