"""Issue 4 and 5 acceptance: the full rider journey through every service, MQTT and Kafka."""

from __future__ import annotations

from e2e_clients import Platform
from e2e_flows import book, booking_status, free_vehicle, pay, searchable
from mobility_platform.testing import wait_until


async def test_search_book_pay_unlock_ride_end_captures_the_fare(fleet_ready: Platform) -> None:
    rider = fleet_ready.rider()
    vehicle = await free_vehicle(rider)
    booking = await pay(rider, await book(rider, vehicle))
    mail = await fleet_ready.wait_for_mail(rider.email, subject_has="Booking confirmed")
    assert booking["confirmation_code"] in mail.as_string()

    unlocked = await rider.post("fleet", f"/vehicles/{vehicle['id']}/unlock")
    assert unlocked.status_code == 200, unlocked.text
    assert unlocked.json()["booking_id"] == booking["id"]
    await wait_until(
        lambda: _is(rider, booking["id"], "active"), timeout=15, message="booking active"
    )
    await fleet_ready.wait_for_event("booking.events.v1", "TripStarted", subject=booking["id"])

    ended = await rider.post("booking", f"/bookings/{booking['id']}/end")
    assert ended.status_code in (200, 202), ended.text
    await wait_until(
        lambda: _is(rider, booking["id"], "completed"), timeout=20, message="booking completed"
    )
    trip = (await rider.get("booking", f"/bookings/{booking['id']}")).json()["trip"]
    assert trip["captured_amount"] == trip["fare"]["total"]
    assert trip["fare"]["total"]["amount_minor"] > 0

    [trip_ended] = await fleet_ready.wait_for_event(
        "booking.events.v1", "TripEnded", subject=booking["id"]
    )
    assert trip_ended["data"]["fare"]["total"] == trip["fare"]["total"]
    [captured] = await fleet_ready.wait_for_event(
        "payment.events.v1", "PaymentCaptured", subject=booking["payment"]["payment_id"]
    )
    assert captured["data"]["amount"] == trip["fare"]["total"]
    await fleet_ready.wait_for_mail(rider.email, subject_has="Your receipt")
    await wait_until(lambda: searchable(rider, _moved(vehicle, trip_ended)), message="rentable")


async def test_unlock_needs_the_riders_own_confirmed_booking(fleet_ready: Platform) -> None:
    owner, stranger = fleet_ready.rider(), fleet_ready.rider()
    vehicle = await free_vehicle(owner)
    booking = await book(owner, vehicle)

    not_paid = await owner.post("fleet", f"/vehicles/{vehicle['id']}/unlock")
    assert not_paid.status_code == 403, not_paid.text
    await pay(owner, booking)
    not_theirs = await stranger.post("fleet", f"/vehicles/{vehicle['id']}/unlock")
    assert not_theirs.status_code == 403, not_theirs.text
    assert not_theirs.json()["code"] == "not_your_booking"
    assert await booking_status(owner, booking["id"]) == "confirmed"


async def _is(rider: object, booking_id: str, status: str) -> bool:
    return await booking_status(rider, booking_id) == status  # type: ignore[arg-type]


def _moved(vehicle: dict[str, object], trip_ended: dict[str, object]) -> dict[str, object]:
    position = trip_ended["data"].get("end_position") or vehicle["position"]  # type: ignore[union-attr]
    return {**vehicle, "position": position}
