"""The scheduled-booking executor: promotion at its time, backoff, at most N attempts."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from booking.domain import VehicleNotFoundError
from booking.domain.tasks import TaskKind
from booking.settings import WorkerSettings
from booking.usecases import requests
from booking.usecases.jobs import run_due_tasks
from booking_factories import a_caller, payload, post
from booking_fakes import World, make_world
from contracts.events.booking import BookingFailed
from contracts.types import BookingStatus

START_IN_S = 3600


async def schedule(world: World, vehicle: UUID | None = None) -> UUID:
    vehicle = vehicle or world.fleet.add_vehicle()
    start = world.clock.now() + timedelta(seconds=START_IN_S)
    response = await post(
        world,
        a_caller(),
        requests.CREATE,
        body={
            "vehicle_id": str(vehicle),
            "estimated_duration_min": 20,
            "start_time": start.isoformat(),
        },
    )
    assert response.status == 201, response.body
    return UUID(payload(response)["id"])


async def test_nothing_happens_before_the_start_time() -> None:
    world = make_world()
    booking_id = await schedule(world)
    world.clock.advance(START_IN_S - 1)
    assert await run_due_tasks(world.svc) == 0
    assert world.booking(booking_id).status is BookingStatus.SCHEDULED


async def test_at_its_time_the_booking_is_held_priced_and_payable() -> None:
    world = make_world()
    booking_id = await schedule(world)
    world.clock.advance(START_IN_S)
    assert await run_due_tasks(world.svc) == 1
    booking = world.booking(booking_id)
    assert booking.status is BookingStatus.PENDING_PAYMENT
    assert world.fleet.holder(booking.vehicle_id) == booking_id
    assert booking.payment is not None
    assert booking.hold_until == world.clock.now() + timedelta(seconds=300)
    assert not world.store.pending_tasks()


async def test_a_busy_vehicle_is_retried_with_exponential_backoff_then_fails() -> None:
    world = make_world(workers=WorkerSettings(promote_max_attempts=4, backoff_initial_s=2))
    vehicle = world.fleet.add_vehicle()
    booking_id = await schedule(world, vehicle)
    world.fleet.vehicles[vehicle].in_use = True
    world.clock.advance(START_IN_S)
    delays = []
    for _ in range(3):
        await run_due_tasks(world.svc)
        [task] = world.store.pending_tasks(TaskKind.PROMOTE)
        delays.append((task.run_at - world.clock.now()).total_seconds())
        world.clock.advance(delays[-1])
    assert delays == [2, 4, 8]
    await run_due_tasks(world.svc)
    booking = world.booking(booking_id)
    assert booking.status is BookingStatus.FAILED
    assert booking.status_reason == "vehicle_unavailable"
    [event] = world.store.events_of(BookingFailed)
    assert event.attempts == 4
    assert event.rider_contact is not None
    assert not world.store.pending_tasks()


async def test_a_permanent_rejection_fails_at_once() -> None:
    world = make_world()
    booking_id = await schedule(world)
    world.fleet.fail("reserve", VehicleNotFoundError("gone"))
    world.clock.advance(START_IN_S)
    await run_due_tasks(world.svc)
    assert world.booking(booking_id).status is BookingStatus.FAILED
    assert world.booking(booking_id).status_reason == "vehicle_not_found"


async def test_pricing_down_releases_the_vehicle_between_attempts_then_succeeds() -> None:
    world = make_world()
    booking_id = await schedule(world)
    world.pricing.fail("create_quote")
    world.clock.advance(START_IN_S)
    await run_due_tasks(world.svc)
    booking = world.booking(booking_id)
    assert booking.status is BookingStatus.SCHEDULED
    assert world.fleet.holder(booking.vehicle_id) is None
    assert booking.reservation is None
    world.pricing.heal()
    world.clock.advance(2)
    await run_due_tasks(world.svc)
    assert world.booking(booking_id).status is BookingStatus.PENDING_PAYMENT


async def test_cancelling_a_scheduled_booking_stops_its_promotion() -> None:
    world = make_world()
    booking_id = await schedule(world)
    caller_id = world.booking(booking_id).rider_id
    response = await post(world, a_caller(caller_id), requests.CANCEL, booking_id=booking_id)
    assert payload(response)["status"] == "cancelled"
    world.clock.advance(START_IN_S)
    assert await run_due_tasks(world.svc) == 0
    assert world.fleet.count("reserve") == 0
