"""Creating a booking: reserve -> quote -> payment -> pending_payment, and each compensation."""

from __future__ import annotations

from functools import partial
from uuid import UUID

import pytest
from booking.domain import RateLimitedError, RecoveryPoint
from booking.domain.tasks import TaskKind
from booking.usecases import requests
from booking.usecases.idempotency import complete_stale
from booking_factories import a_caller, create, payload, post
from booking_fakes import make_world
from contracts.events.booking import BookingCreated
from contracts.types import BookingStatus
from mobility_platform.errors import DependencyUnavailableError


async def test_a_booking_holds_the_vehicle_locks_a_quote_and_opens_a_payment() -> None:
    world, caller = make_world(), a_caller()
    vehicle = world.fleet.add_vehicle()
    response = await create(world, caller, vehicle)
    assert response.status == 201
    body = payload(response)
    booking = world.booking(UUID(body["id"]))
    assert booking.status is BookingStatus.PENDING_PAYMENT
    assert world.fleet.holder(vehicle) == booking.id
    assert booking.quote is not None
    assert world.pricing.quotes[booking.quote.quote_id].booking_id == booking.id
    payment = world.payment.of(booking.id)
    assert payment.amount == booking.quote.authorized_amount
    assert body["payment"]["client_secret"] == payment.client_secret
    assert body["hold_until"] is not None
    [event] = world.store.events_of(BookingCreated)
    assert (event.booking_id, event.rider_contact) == (booking.id, caller.contact)


async def test_the_riders_own_quote_is_locked_instead_of_a_new_one() -> None:
    world, caller = make_world(), a_caller()
    vehicle = world.fleet.add_vehicle()
    quote_id = world.pricing.quote_for(caller.rider_id, vehicle)
    response = await create(world, caller, vehicle, quote_id=str(quote_id))
    assert response.status == 201
    assert payload(response)["price"]["quote_id"] == str(quote_id)
    assert world.pricing.count("create_quote") == 0


async def test_an_unavailable_vehicle_passes_409_with_alternatives_and_nothing_is_held() -> None:
    world = make_world()
    vehicle = world.fleet.add_vehicle()
    first = await create(world, a_caller(), vehicle)
    response = await create(world, a_caller(), vehicle)
    assert response.status == 409
    problem = payload(response)
    assert problem["code"] == "vehicle_unavailable"
    assert problem["alternatives"] == []
    assert world.fleet.holder(vehicle) == UUID(payload(first)["id"])
    assert len(world.store.bookings) == 1
    assert world.payment.count("create") == 1


async def test_pricing_down_after_the_reservation_releases_it_and_answers_503() -> None:
    world, caller = make_world(), a_caller()
    vehicle = world.fleet.add_vehicle()
    world.pricing.fail("create_quote")
    with pytest.raises(DependencyUnavailableError):
        await create(world, caller, vehicle, key="k")
    assert world.fleet.holder(vehicle) is None
    assert len(world.fleet.released) == 1
    assert world.store.bookings == {}
    assert not world.store.pending_tasks()
    key = world.store.keys[(caller.rider_id, "k")]
    assert (key.recovery_point, key.locked_at, key.finished) == (RecoveryPoint.STARTED, None, False)
    assert key.resource_id != world.fleet.released[0]


async def test_a_retry_after_a_compensated_failure_books_under_a_fresh_id() -> None:
    world, caller = make_world(), a_caller()
    vehicle = world.fleet.add_vehicle()
    world.pricing.fail("lock_quote")
    with pytest.raises(DependencyUnavailableError):
        await create(world, caller, vehicle, key="k")
    world.pricing.heal()
    response = await create(world, caller, vehicle, key="k")
    assert response.status == 201
    assert UUID(payload(response)["id"]) != world.fleet.released[0]


async def test_payment_creation_failing_releases_the_vehicle() -> None:
    world = make_world()
    vehicle = world.fleet.add_vehicle()
    world.payment.fail("create")
    with pytest.raises(DependencyUnavailableError):
        await create(world, a_caller(), vehicle)
    assert world.fleet.holder(vehicle) is None
    assert world.store.bookings == {}


async def test_a_release_that_fails_stays_queued_and_is_retried_by_the_worker() -> None:
    from booking.usecases.jobs import run_due_tasks

    world = make_world()
    vehicle = world.fleet.add_vehicle()
    world.pricing.fail("create_quote")
    world.fleet.fail("release")
    with pytest.raises(DependencyUnavailableError):
        await create(world, a_caller(), vehicle)
    assert world.fleet.holder(vehicle) is not None
    [_task] = world.store.pending_tasks(TaskKind.RELEASE_VEHICLE)
    world.fleet.heal()
    world.clock.advance(60)
    assert await run_due_tasks(world.svc) == 1
    assert world.fleet.holder(vehicle) is None
    assert not world.store.pending_tasks()


class Crash(BaseException):
    """The process dies: nothing after this line of the request runs."""


async def test_a_crashed_request_is_resumed_by_the_completer_not_redone() -> None:
    world, caller = make_world(), a_caller()
    vehicle = world.fleet.add_vehicle()
    world.payment.fail("create", Crash())
    with pytest.raises(Crash):
        await create(world, caller, vehicle, key="k")
    key = world.store.keys[(caller.rider_id, "k")]
    assert key.recovery_point is RecoveryPoint.QUOTE_LOCKED
    assert key.locked_at is not None
    world.payment.heal()
    assert await complete_stale(world.svc, partial(requests.replay, world.svc)) == 0
    world.clock.advance(world.svc.idempotency.lock_timeout_s + 1)
    assert await complete_stale(world.svc, partial(requests.replay, world.svc)) == 1
    assert (world.fleet.count("reserve"), world.pricing.count("create_quote")) == (1, 1)
    booking = world.booking(key.resource_id)
    assert booking.status is BookingStatus.PENDING_PAYMENT
    assert world.fleet.holder(vehicle) == booking.id
    replay = await create(world, caller, vehicle, key="k")
    assert replay.status == 201
    assert payload(replay)["id"] == str(booking.id)


async def test_rate_limit_refuses_the_eleventh_booking_in_a_window() -> None:
    world, caller = make_world(), a_caller()
    for _ in range(10):
        assert (await create(world, caller, world.fleet.add_vehicle())).status == 201
    with pytest.raises(RateLimitedError) as refused:
        await create(world, caller, world.fleet.add_vehicle(), key="eleventh")
    assert refused.value.retry_after_s == 42
    key = world.store.keys[(caller.rider_id, "eleventh")]
    assert not key.finished
    assert key.locked_at is None


async def test_a_replayed_create_does_not_count_against_the_rate_limit() -> None:
    world, caller = make_world(), a_caller()
    world.limiter.limit = 1
    vehicle = world.fleet.add_vehicle()
    first = await create(world, caller, vehicle, key="same")
    again = await create(world, caller, vehicle, key="same")
    assert again.body == first.body


async def test_a_future_start_time_makes_a_scheduled_booking_and_holds_nothing() -> None:
    world, caller = make_world(), a_caller()
    vehicle = world.fleet.add_vehicle()
    start = world.clock.now().replace(hour=18)
    response = await post(
        world,
        caller,
        requests.CREATE,
        body={
            "vehicle_id": str(vehicle),
            "estimated_duration_min": 30,
            "start_time": start.isoformat(),
        },
    )
    assert response.status == 201
    body = payload(response)
    assert body["status"] == "scheduled"
    assert world.fleet.holder(vehicle) is None
    [task] = world.store.pending_tasks(TaskKind.PROMOTE)
    assert (task.booking_id, task.run_at) == (UUID(body["id"]), start)
    [event] = world.store.events_of(BookingCreated)
    assert event.status is BookingStatus.SCHEDULED
