"""Issue 3 acceptance, end to end over real HTTP with every service and the real infra."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from e2e_clients import Platform
from e2e_flows import free_vehicle, searchable
from mobility_platform.testing import wait_until


async def test_search_reserve_pay_confirm_and_each_event_once(fleet_ready: Platform) -> None:
    rider = fleet_ready.rider()
    vehicle = await free_vehicle(rider)
    assert vehicle["price"]["unlock_fee"]["currency"] == "EUR"

    created = await rider.book(vehicle["id"])
    assert created.status_code == 201, created.text
    booking = created.json()
    assert booking["status"] == "pending_payment"
    assert booking["payment"]["client_secret"]
    assert not await searchable(rider, vehicle), "a reserved vehicle is still offered"

    confirmed = await rider.post(
        "booking",
        f"/bookings/{booking['id']}/confirm-payment",
        {"payment_method_id": "pm_card_visa"},
    )
    assert confirmed.status_code == 200, confirmed.text
    body = confirmed.json()
    assert body["status"] == "confirmed"
    assert body["confirmation_code"]
    assert body["receipt"]["signature"]

    confirmed_events = await fleet_ready.wait_for_event(
        "booking.events.v1", "BookingConfirmed", subject=booking["id"]
    )
    authorized = await fleet_ready.wait_for_event(
        "payment.events.v1", "PaymentAuthorized", subject=booking["payment"]["payment_id"]
    )
    assert len(confirmed_events) == 1
    assert len(authorized) == 1
    assert authorized[0]["data"]["booking_id"] == booking["id"]

    async with httpx.AsyncClient(headers=fleet_ready.service_headers("support")) as support:
        verified = await support.post(
            fleet_ready.url("booking") + "/internal/receipts/verify", json=body["receipt"]
        )
    assert verified.json()["valid"] is True


async def test_same_idempotency_key_sequential_and_concurrent_gives_one_booking(
    fleet_ready: Platform,
) -> None:
    rider = fleet_ready.rider()
    vehicle = await free_vehicle(rider)
    key = uuid.uuid4().hex

    answers = await asyncio.gather(*(rider.book(vehicle["id"], key=key) for _ in range(5)))
    again = await rider.book(vehicle["id"], key=key)

    created = [a for a in [*answers, again] if a.status_code == 201]
    assert created, [a.text for a in answers]
    assert all(a.status_code in (201, 409) for a in answers), [a.text for a in answers]
    assert {a.content for a in created} == {created[0].content}, "replays differ"
    assert again.status_code == 201
    bookings = (await rider.get("booking", "/bookings")).json()
    assert [b["vehicle_id"] for b in bookings["items"]] == [vehicle["id"]]
    booking_id = bookings["items"][0]["id"]
    async with httpx.AsyncClient(headers=fleet_ready.service_headers()) as internal:
        payment = await internal.get(
            fleet_ready.url("payment") + "/internal/payments", params={"booking_id": booking_id}
        )
    assert payment.status_code == 200, payment.text
    assert payment.json()["payment_id"] == created[0].json()["payment"]["payment_id"]
    assert payment.json()["provider_ref"], "no PaymentIntent behind the booking's payment"


async def test_two_riders_one_vehicle_one_booking_and_one_409_with_alternatives(
    fleet_ready: Platform,
) -> None:
    first, second = fleet_ready.rider(), fleet_ready.rider()
    vehicle = await free_vehicle(first)

    answers = await asyncio.gather(first.book(vehicle["id"]), second.book(vehicle["id"]))

    assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
    loser = next(a for a in answers if a.status_code == 409)
    assert loser.headers["content-type"] == "application/problem+json"
    assert loser.json()["code"] == "vehicle_unavailable"
    alternatives = loser.json()["alternatives"]
    assert alternatives
    assert vehicle["id"] not in {v["id"] for v in alternatives}


async def test_rider_cannot_see_or_cancel_another_riders_booking(fleet_ready: Platform) -> None:
    owner, other = fleet_ready.rider(), fleet_ready.rider()
    booking = (await owner.book((await free_vehicle(owner))["id"])).json()

    assert (await other.get("booking", f"/bookings/{booking['id']}")).status_code == 404
    cancel = await other.post("booking", f"/bookings/{booking['id']}/cancel")
    assert cancel.status_code == 404
    assert (await other.get("booking", "/bookings")).json()["items"] == []
    still = await owner.get("booking", f"/bookings/{booking['id']}")
    assert still.json()["status"] == "pending_payment"


async def test_payment_service_down_mid_booking_leaves_nothing_stuck(fleet_ready: Platform) -> None:
    rider = fleet_ready.rider()
    vehicle = await free_vehicle(rider)
    key = uuid.uuid4().hex
    fleet_ready.stack.stop("payment")
    try:
        down = await rider.book(vehicle["id"], key=key)
        assert down.status_code == 503, down.text
        assert down.headers["retry-after"]
        await wait_until(lambda: searchable(rider, vehicle), message="vehicle released")
    finally:
        fleet_ready.stack.start_service("payment")
        await fleet_ready.stack.wait_ready(["payment"])

    async def retried() -> httpx.Response | None:
        answer = await rider.book(vehicle["id"], key=key)
        return answer if answer.status_code == 201 else None

    booking = (await wait_until(retried, timeout=20, message="booking once payment is back")).json()
    paid = await rider.post(
        "booking",
        f"/bookings/{booking['id']}/confirm-payment",
        {"payment_method_id": "pm_card_visa"},
    )
    assert paid.json()["status"] == "confirmed"
