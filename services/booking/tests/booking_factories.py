"""Builders for booking tests: plain functions driving the use cases the way the API does."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID, uuid4

from booking.domain import Booking
from booking.usecases import requests, trip
from booking.usecases.context import Caller, StoredResponse
from booking.usecases.idempotency import IdempotentRequest, run_idempotent
from booking_fakes import FakeUnitOfWork, World
from contracts.types import BookingId, RiderContact, RiderId, VehicleId

CARD = "pm_card_visa"


def a_caller(rider_id: UUID | None = None) -> Caller:
    return Caller(
        rider_id=RiderId(rider_id or uuid4()),
        contact=RiderContact(email="rider@example.com", name="Ada"),
        token="rider-token",
    )


async def post(
    world: World,
    caller: Caller,
    operation: str,
    *,
    key: str | None = None,
    body: dict[str, Any] | None = None,
    booking_id: UUID | None = None,
) -> StoredResponse:
    """What the API does for a rider POST: run the operation under an Idempotency-Key."""
    path = {
        requests.CREATE: "/bookings",
        requests.GROUP: "/bookings/group",
        requests.CONFIRM: f"/bookings/{booking_id}/confirm-payment",
        requests.CANCEL: f"/bookings/{booking_id}/cancel",
        requests.END: f"/bookings/{booking_id}/end",
    }[operation]
    request = IdempotentRequest(
        rider_id=caller.rider_id,
        key=key or uuid4().hex,
        method="POST",
        path=path,
        operation=operation,
        body=body or {},
        params={} if booking_id is None else {"booking_id": str(booking_id)},
        rider_contact=caller.contact,
    )
    return await run_idempotent(
        world.svc, request, lambda k: requests.perform(world.svc, k, token=caller.token)
    )


def payload(response: StoredResponse) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(response.body)
    return data


async def create(
    world: World, caller: Caller, vehicle_id: UUID, *, key: str | None = None, **body: Any
) -> StoredResponse:
    return await post(
        world,
        caller,
        requests.CREATE,
        key=key,
        body={"vehicle_id": str(vehicle_id), "estimated_duration_min": 10, **body},
    )


async def pending_booking(world: World, caller: Caller | None = None) -> Booking:
    caller = caller or a_caller()
    response = await create(world, caller, world.fleet.add_vehicle())
    assert response.status == 201, response.body
    return world.booking(UUID(payload(response)["id"]))


async def confirm(
    world: World, caller: Caller, booking: Booking, *, card: str = CARD, key: str | None = None
) -> StoredResponse:
    return await post(
        world,
        caller,
        requests.CONFIRM,
        key=key,
        body={"payment_method_id": card},
        booking_id=booking.id,
    )


async def confirmed_booking(world: World, caller: Caller | None = None) -> Booking:
    caller = caller or a_caller()
    booking = await pending_booking(world, caller)
    response = await confirm(world, caller, booking)
    assert response.status == 200, response.body
    return world.booking(booking.id)


async def active_booking(world: World, caller: Caller | None = None) -> Booking:
    booking = await confirmed_booking(world, caller)
    world.fleet.unlock(booking.vehicle_id)
    await trip.start_trip(
        FakeUnitOfWork(world.store, world.clock),  # type: ignore[arg-type]
        booking_id=BookingId(booking.id),
        vehicle_id=VehicleId(booking.vehicle_id),
        started_at=world.clock.now(),
        position=None,
        now=world.clock.now(),
    )
    return world.booking(booking.id)
