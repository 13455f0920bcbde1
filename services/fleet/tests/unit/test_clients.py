"""The gateway and pricing clients against stand-in HTTP handlers (httpx.MockTransport)."""

from __future__ import annotations

import json
from collections.abc import Callable
from uuid import uuid4

import httpx
import pytest
from contracts.types import BookingId, VehicleId
from fleet.domain import (
    CommandFailedError,
    CommandRejectedError,
    GatewayUnavailableError,
    VehicleTimeoutError,
)
from fleet.iot_client import GatewayCommands
from fleet.ports import Spot
from fleet.pricing_client import PricingClient
from mobility_platform.breaker import BreakerState
from mobility_platform.http import ServiceClient
from mobility_platform.settings import HttpClientSettings

VEHICLE, BOOKING = VehicleId(uuid4()), BookingId(uuid4())
Handler = Callable[[httpx.Request], httpx.Response]


def _client(peer: str, handler: Handler) -> ServiceClient:
    return ServiceClient(
        peer=peer,
        base_url="http://peer",
        settings=HttpClientSettings(retries=0, breaker_threshold=2),
        transport=httpx.MockTransport(handler),
    )


def _problem(status: int, code: str, **extra: object) -> httpx.Response:
    body = {"title": code, "status": status, "code": code, **extra}
    return httpx.Response(status, json=body, headers={"content-type": "application/problem+json"})


def _ack(request: httpx.Request) -> httpx.Response:
    sent = json.loads(request.content)
    return httpx.Response(
        200,
        json={
            "command_id": str(uuid4()),
            "vehicle_id": sent["vehicle_id"],
            "action": sent["action"],
            "acked_at": "2026-11-21T10:00:00Z",
            "locked": sent["action"] == "lock",
            "position": {"lat": 50.1, "lon": 8.6},
            "battery_pct": 55,
            "odometer_m": 4_321,
        },
    )


async def test_an_ack_becomes_a_vehicle_report_and_the_command_names_the_booking() -> None:
    seen: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return _ack(request)

    report = await GatewayCommands(_client("iot", handler), timeout_ms=2_000).unlock(
        VEHICLE, BOOKING
    )
    assert (report.battery_pct, report.odometer_m, report.position.lat) == (55, 4_321, 50.1)
    assert seen == [
        {"vehicle_id": str(VEHICLE), "action": "unlock", "booking_id": str(BOOKING),
         "timeout_ms": 2_000}
    ]  # fmt: skip


async def test_a_silent_vehicle_is_a_timeout_and_does_not_open_the_gateway_breaker() -> None:
    client = _client("iot", lambda r: _problem(504, "vehicle_timeout"))
    commands = GatewayCommands(client, timeout_ms=500)
    for _ in range(3):
        with pytest.raises(VehicleTimeoutError):
            await commands.lock(VEHICLE, BOOKING)
    assert client.breaker.state is BreakerState.CLOSED


async def test_a_rejected_command_passes_the_reason_on() -> None:
    client = _client("iot", lambda r: _problem(409, "command_rejected", reason="replayed_nonce"))
    with pytest.raises(CommandRejectedError) as caught:
        await GatewayCommands(client, timeout_ms=500).unlock(VEHICLE, BOOKING)
    assert caught.value.extensions == {"reason": "replayed_nonce"}


async def test_gateway_or_broker_down_is_unavailable_with_retry_after() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, headers={"retry-after": "7"})

    with pytest.raises(GatewayUnavailableError) as caught:
        await GatewayCommands(_client("iot", down), timeout_ms=500).unlock(VEHICLE, BOOKING)
    assert caught.value.retry_after_s == 7

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    with pytest.raises(GatewayUnavailableError):
        await GatewayCommands(_client("iot", refused), timeout_ms=500).unlock(VEHICLE, BOOKING)


async def test_an_unexpected_gateway_answer_is_a_command_failure() -> None:
    client = _client("iot", lambda r: _problem(422, "validation_error"))
    with pytest.raises(CommandFailedError):
        await GatewayCommands(client, timeout_ms=500).unlock(VEHICLE, BOOKING)


SPOT = Spot(str(VEHICLE), "scooter", 50.1, 8.6, 80, "Frankfurt", "fra-c")


async def test_batch_prices_are_mapped_by_vehicle() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        [item] = json.loads(request.content)["items"]
        assert item == {"vehicle_id": str(VEHICLE), "vehicle_type": "scooter",
                        "city": "Frankfurt", "zone_id": "fra-c"}  # fmt: skip
        price = {
            "unlock_fee": {"amount_minor": 100, "currency": "EUR"},
            "per_minute": {"amount_minor": 29, "currency": "EUR"},
        }
        return httpx.Response(
            200, json={"items": [{"vehicle_id": item["vehicle_id"], "price": price}]}
        )

    prices = await PricingClient(_client("pricing", handler), timeout_s=0.3).prices([SPOT])
    assert prices is not None
    assert prices[VEHICLE].per_minute.amount_minor == 29


@pytest.mark.parametrize(
    "answer",
    [
        lambda r: httpx.Response(500),
        lambda r: _problem(422, "validation_error"),
        lambda r: httpx.Response(200, json={"unexpected": True}),
    ],
)
async def test_pricing_failures_mean_no_prices_not_an_error(answer: Handler) -> None:
    assert await PricingClient(_client("pricing", answer), timeout_s=0.3).prices([SPOT]) is None


async def test_pricing_unreachable_means_no_prices() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    client = PricingClient(_client("pricing", refused), timeout_s=0.3)
    for _ in range(4):  # the breaker opens on the way: still None, never an exception
        assert await client.prices([SPOT]) is None
