"""Idempotency keys in PostgreSQL, expiry by the sweeper, and the outbox's atomicity."""

from __future__ import annotations

import asyncio
from uuid import UUID, uuid4

from booking_integration import Env, Rider, booking_status_sql, running
from mobility_platform.testing import wait_until


async def test_the_same_key_twice_makes_one_booking_and_identical_responses(env: Env) -> None:
    async with running(env) as (_, client):
        rider, vehicle = Rider(client, env.keys), uuid4()
        first = await rider.book(vehicle, key="tap")
        second = await rider.book(vehicle, key="tap")
        assert first.status_code == second.status_code == 201
        assert second.content == first.content
        assert await env.scalar("SELECT count(*) FROM booking WHERE rider_id = :r", r=rider.id) == 1
        reservations = env.stubs.called("POST", f"/internal/vehicles/{vehicle}/reservations")
        assert len(reservations) == 1


async def test_concurrent_duplicates_make_one_booking(env: Env) -> None:
    async with running(env) as (_, client):
        rider, vehicle = Rider(client, env.keys), uuid4()
        responses = await asyncio.gather(*(rider.book(vehicle, key="race") for _ in range(6)))
        created = [r for r in responses if r.status_code == 201]
        assert created, [r.text for r in responses]
        assert all(r.content == created[0].content for r in created)
        others = [r for r in responses if r.status_code != 201]
        assert all(r.json()["code"] == "request_in_progress" for r in others)
        assert await env.scalar("SELECT count(*) FROM booking WHERE rider_id = :r", r=rider.id) == 1
        assert len(env.stubs.called("POST", f"/internal/vehicles/{vehicle}/reservations")) == 1


async def test_the_same_key_with_another_body_is_422_and_changes_nothing(env: Env) -> None:
    async with running(env) as (_, client):
        rider = Rider(client, env.keys)
        await rider.book(key="k")
        reused = await rider.book(key="k", estimated_duration_min=30)
        assert reused.status_code == 422
        assert reused.json()["code"] == "idempotency_key_reused"
        assert await env.scalar("SELECT count(*) FROM booking WHERE rider_id = :r", r=rider.id) == 1


async def test_an_unpaid_booking_expires_after_a_short_hold_and_is_released(env: Env) -> None:
    async with running(env, rules={"reservation_hold_s": 1}) as (_, client):
        vehicle = uuid4()
        booking_id = UUID((await Rider(client, env.keys).book(vehicle)).json()["id"])

        async def expired() -> bool:
            return await env.scalar(booking_status_sql(), id=booking_id) == "expired"

        await wait_until(expired, timeout=10, message="the booking to expire")
        release = f"/internal/vehicles/{vehicle}/reservations/{booking_id}/release"
        await wait_until(lambda: env.stubs.called("POST", release), message="the release")
        assert vehicle not in env.stubs.held
        events = await env.rows(
            "SELECT type FROM outbox_message WHERE key = :k ORDER BY seq", k=str(booking_id)
        )
        assert [e.type for e in events] == ["BookingCreated", "BookingExpired"]


async def test_each_state_change_commits_with_its_event(env: Env) -> None:
    async with running(env) as (_, client):
        rider = Rider(client, env.keys)
        booking = (await rider.book()).json()
        await rider.post(
            f"/bookings/{booking['id']}/confirm-payment", {"payment_method_id": "pm_card_visa"}
        )
        rows = await env.rows(
            "SELECT type, payload FROM outbox_message WHERE key = :k ORDER BY seq",
            k=booking["id"],
        )
        assert [r.type for r in rows] == ["BookingCreated", "BookingConfirmed"]
        confirmed = rows[1].payload
        assert confirmed["data"]["rider_contact"]["email"] == "rider@example.com"
        assert confirmed["subject"] == booking["id"]
        version = await env.scalar(
            "SELECT version FROM booking WHERE id = :i", i=UUID(booking["id"])
        )
        assert version == 3  # created, authorised, confirmed


async def test_payment_down_when_paying_is_503_and_a_retry_confirms(env: Env) -> None:
    async with running(env) as (_, client):
        rider = Rider(client, env.keys)
        booking = (await rider.book()).json()
        path = f"/bookings/{booking['id']}/confirm-payment"
        env.stubs.down.add("payment")
        down = await rider.post(path, {"payment_method_id": "pm_card_visa"}, key="pay")
        assert down.status_code == 503
        assert down.headers["Retry-After"]
        env.stubs.down.clear()
        again = await rider.post(path, {"payment_method_id": "pm_card_visa"}, key="pay")
        assert again.status_code == 200
        assert again.json()["status"] == "confirmed"
