"""Idempotent rider requests: replay, mismatch, in progress, stored errors, reaper."""

from __future__ import annotations

from datetime import timedelta

import pytest
from booking.domain import (
    IdempotencyKeyReusedError,
    RequestInProgressError,
)
from booking.usecases.idempotency import reap_keys
from booking_factories import a_caller, create, payload
from booking_fakes import make_world


async def test_the_same_key_and_body_get_the_identical_stored_response_and_one_booking() -> None:
    world, caller = make_world(), a_caller()
    vehicle = world.fleet.add_vehicle()
    first = await create(world, caller, vehicle, key="k")
    world.clock.advance(5)
    second = await create(world, caller, vehicle, key="k")
    assert second.status == first.status == 201
    assert second.body == first.body
    assert len(world.store.bookings) == 1
    assert world.fleet.count("reserve") == 1
    assert world.payment.count("create") == 1


async def test_the_same_key_with_another_body_is_refused_and_nothing_runs() -> None:
    world, caller = make_world(), a_caller()
    vehicle = world.fleet.add_vehicle()
    await create(world, caller, vehicle, key="k")
    with pytest.raises(IdempotencyKeyReusedError):
        await create(world, caller, vehicle, key="k", estimated_duration_min=45)
    assert world.fleet.count("reserve") == 1


async def test_keys_are_per_rider() -> None:
    world = make_world()
    first = await create(world, a_caller(), world.fleet.add_vehicle(), key="k")
    second = await create(world, a_caller(), world.fleet.add_vehicle(), key="k")
    assert payload(first)["id"] != payload(second)["id"]


async def test_a_duplicate_while_the_first_still_runs_gets_request_in_progress() -> None:
    world, caller = make_world(), a_caller()
    vehicle = world.fleet.add_vehicle()
    await create(world, caller, vehicle, key="k")
    key = world.store.keys[(caller.rider_id, "k")]
    key.response_status, key.response_body, key.locked_at = None, None, world.clock.now()
    with pytest.raises(RequestInProgressError) as busy:
        await create(world, caller, vehicle, key="k")
    assert busy.value.retry_after_s == 1


async def test_a_business_rejection_is_stored_and_replayed() -> None:
    world, caller = make_world(), a_caller()
    vehicle = world.fleet.add_vehicle()
    await create(world, a_caller(), vehicle)
    refused = await create(world, caller, vehicle, key="k")
    assert refused.status == 409
    again = await create(world, caller, vehicle, key="k")
    assert again.body == refused.body
    assert world.fleet.count("reserve") == 2


async def test_the_reaper_forgets_keys_past_their_retention() -> None:
    world, caller = make_world(), a_caller()
    await create(world, caller, world.fleet.add_vehicle(), key="old")
    world.clock.advance(timedelta(hours=71).total_seconds())
    await create(world, caller, world.fleet.add_vehicle(), key="new")
    world.clock.advance(timedelta(hours=2).total_seconds())
    assert await reap_keys(world.svc) == 1
    assert [k for _, k in world.store.keys] == ["new"]
