"""Issue 3 acceptance: unpaid bookings expire; a declined payment frees the vehicle."""

from __future__ import annotations

import httpx
from e2e_clients import HOLD_S, Platform
from e2e_flows import book, booking_status, free_vehicle, searchable
from mobility_platform.testing import wait_until


async def test_unpaid_booking_expires_after_the_hold_and_frees_the_vehicle(
    fleet_ready: Platform,
) -> None:
    rider = fleet_ready.rider()
    vehicle = await free_vehicle(rider)
    booking = await book(rider, vehicle)
    assert not await searchable(rider, vehicle)

    async def expired() -> bool:
        return await booking_status(rider, booking["id"]) == "expired"

    await wait_until(expired, timeout=HOLD_S + 15, interval=0.5, message="booking expired")
    await wait_until(lambda: searchable(rider, vehicle), message="vehicle searchable again")
    await fleet_ready.wait_for_event("booking.events.v1", "BookingExpired", subject=booking["id"])


async def test_declined_payment_cancels_the_booking_and_nothing_is_captured(
    fleet_ready: Platform,
) -> None:
    """stripe-mock cannot decline a confirm, so the decline arrives the other way Stripe sends
    one: a signed `payment_intent.payment_failed` webhook (an asynchronous 3-D Secure failure).
    Synchronous declines are covered at the provider boundary in payment's and booking's tests."""
    rider = fleet_ready.rider()
    vehicle = await free_vehicle(rider)
    booking = await book(rider, vehicle)
    payment_id = booking["payment"]["payment_id"]
    async with httpx.AsyncClient(headers=fleet_ready.service_headers()) as internal:
        payment = (
            await internal.get(fleet_ready.url("payment") + f"/internal/payments/{payment_id}")
        ).json()

    failure = {
        "id": payment["provider_ref"],
        "object": "payment_intent",
        "status": "requires_payment_method",
        "last_payment_error": {"code": "card_declined", "message": "Your card was declined."},
    }
    delivered = await fleet_ready.stripe_webhook("payment_intent.payment_failed", failure)
    forged = await fleet_ready.stripe_webhook("payment_intent.payment_failed", failure, forge=True)
    assert delivered.status_code == 200, delivered.text
    assert forged.status_code == 400

    async def cancelled() -> bool:
        return await booking_status(rider, booking["id"]) == "cancelled"

    await wait_until(cancelled, timeout=15, message="booking cancelled after the decline")
    await wait_until(lambda: searchable(rider, vehicle), message="vehicle searchable again")
    events = await fleet_ready.events("payment.events.v1", subject=payment_id)
    assert "PaymentFailed" in [e["type"] for e in events]
    assert "PaymentCaptured" not in [e["type"] for e in events]
