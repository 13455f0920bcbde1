"""Group bookings, receipt verification, the rate limiter's fail-open and the error table."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

from booking.api import ERROR_STATUS
from booking.domain import errors
from booking.rate_limit import RedisRateLimiter
from booking.usecases import requests
from booking.usecases.receipts import verify_receipt
from booking_factories import a_caller, confirmed_booking, payload, post
from booking_fakes import FakeClock, make_world
from contracts.api.booking import SignedReceipt
from contracts.errors import DomainError
from contracts.types import RiderId
from redis.exceptions import ConnectionError as RedisConnectionError


async def test_each_vehicle_of_a_group_succeeds_or_fails_on_its_own() -> None:
    world, caller = make_world(), a_caller()
    free, taken = world.fleet.add_vehicle(), world.fleet.add_vehicle()
    world.fleet.vehicles[taken].in_use = True
    items = [
        {"vehicle_id": str(free), "estimated_duration_min": 15},
        {"vehicle_id": str(taken), "estimated_duration_min": 15},
    ]
    response = await post(world, caller, requests.GROUP, key="g", body={"items": items})
    body = payload(response)
    assert (body["succeeded"], body["failed"]) == (1, 1)
    ok, failed = body["items"]
    assert ok["outcome"] == "success"
    assert ok["booking"]["vehicle_id"] == str(free)
    assert ok["metadata"]["request"]["vehicle_id"] == str(free)
    assert failed["errors"] == [{"code": "vehicle_unavailable", "message": "Taken."}]
    again = await post(world, caller, requests.GROUP, key="g", body={"items": items})
    assert again.body == response.body
    assert len(world.store.bookings) == 1


async def test_a_group_counts_every_vehicle_against_the_rate_limit() -> None:
    world, caller = make_world(), a_caller()
    world.limiter.limit = 2
    items = [
        {"vehicle_id": str(world.fleet.add_vehicle()), "estimated_duration_min": 5}
        for _ in range(3)
    ]
    try:
        await post(world, caller, requests.GROUP, body={"items": items})
    except errors.RateLimitedError:
        pass
    else:
        raise AssertionError("a group of 3 must exceed a limit of 2")
    assert world.store.bookings == {}


async def test_a_group_with_a_peer_down_is_not_stored_and_a_retry_books_the_rest() -> None:
    world, caller = make_world(), a_caller()
    vehicles = [world.fleet.add_vehicle(), world.fleet.add_vehicle()]
    items = [{"vehicle_id": str(v), "estimated_duration_min": 5} for v in vehicles]
    world.payment.fail("create")
    first = await post(world, caller, requests.GROUP, key="g", body={"items": items})
    assert payload(first)["failed"] == 2
    assert payload(first)["items"][0]["errors"][0]["code"] == "dependency_unavailable"
    world.payment.heal()
    second = await post(world, caller, requests.GROUP, key="g", body={"items": items})
    assert payload(second)["succeeded"] == 2


async def test_a_genuine_receipt_verifies_and_a_tampered_one_does_not() -> None:
    world = make_world()
    booking = await confirmed_booking(world)
    assert booking.receipt is not None
    genuine = SignedReceipt(
        receipt=booking.receipt.document,
        signature=booking.receipt.signature,
        key_id=booking.receipt.key_id,
    )
    result = await verify_receipt(world.svc, genuine)
    assert (result.valid, result.booking_id) == (True, booking.id)
    document: dict[str, Any] = json.loads(json.dumps(booking.receipt.document))
    document["authorized_amount"]["amount_minor"] = 1
    tampered = genuine.model_copy(update={"receipt": document})
    assert (await verify_receipt(world.svc, tampered)).model_dump() == {
        "valid": False,
        "booking_id": None,
        "reason": "bad_signature",
    }
    other_key = genuine.model_copy(update={"key_id": "someone-else"})
    assert (await verify_receipt(world.svc, other_key)).reason == "unknown_key"


async def test_a_signed_receipt_for_an_unknown_booking_is_not_valid() -> None:
    world = make_world()
    document = {"booking_id": str(uuid4()), "kind": "booking_receipt"}
    receipt = SignedReceipt(
        receipt=document, signature=world.svc.signer.sign(document), key_id="receipt-test"
    )
    assert (await verify_receipt(world.svc, receipt)).reason == "unknown_booking"


class _BrokenPipeline:
    async def __aenter__(self) -> _BrokenPipeline:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def incrby(self, *args: object) -> None: ...

    def expire(self, *args: object) -> None: ...

    async def execute(self) -> list[int]:
        raise RedisConnectionError("redis is down")


class _BrokenRedis:
    def pipeline(self, *, transaction: bool) -> _BrokenPipeline:
        return _BrokenPipeline()


async def test_the_rate_limiter_fails_open_when_redis_is_down() -> None:
    limiter = RedisRateLimiter(_BrokenRedis(), limit=1, window_s=60, clock=FakeClock())  # type: ignore[arg-type]
    for _ in range(3):
        assert (await limiter.hit(RiderId(uuid4()))).allowed


def test_every_domain_error_is_mapped_to_a_status() -> None:
    def subclasses(cls: type[DomainError]) -> set[type[DomainError]]:
        return {cls, *(s for sub in cls.__subclasses__() for s in subclasses(sub))}

    unmapped = subclasses(errors.BookingError) - set(ERROR_STATUS) - {errors.BookingError}
    assert unmapped == set()
