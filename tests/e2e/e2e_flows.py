"""Steps several e2e tests share: find a free vehicle, book it, pay, look it up in search."""

from __future__ import annotations

import uuid
from typing import Any

from e2e_clients import Rider


async def free_vehicle(rider: Rider, **params: Any) -> dict[str, Any]:
    """A vehicle the search offers right now (random, so tests don't fight over one)."""
    response = await rider.search(radius_m=3000, limit=50, **params)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert items, "the demo fleet offers nothing near Frankfurt"
    return items[uuid.uuid4().int % len(items)]


async def searchable(rider: Rider, vehicle: dict[str, Any]) -> bool:
    position = vehicle["position"]
    response = await rider.search(lat=position["lat"], lon=position["lon"], radius_m=100, limit=100)
    return any(item["id"] == vehicle["id"] for item in response.json()["items"])


async def book(rider: Rider, vehicle: dict[str, Any]) -> dict[str, Any]:
    created = await rider.book(vehicle["id"])
    assert created.status_code == 201, created.text
    return created.json()


async def pay(rider: Rider, booking: dict[str, Any]) -> dict[str, Any]:
    confirmed = await rider.post(
        "booking",
        f"/bookings/{booking['id']}/confirm-payment",
        {"payment_method_id": "pm_card_visa"},
    )
    assert confirmed.status_code == 200, confirmed.text
    return confirmed.json()


async def booking_status(rider: Rider, booking_id: str) -> str:
    return (await rider.get("booking", f"/bookings/{booking_id}")).json()["status"]
