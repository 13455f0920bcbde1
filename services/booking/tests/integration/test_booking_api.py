"""Booking's API end to end against real PostgreSQL and Redis; peers are local HTTP stubs."""

from __future__ import annotations

from uuid import UUID, uuid4

from booking_integration import Env, Rider, booking_status_sql, running
from booking_peer_stubs import DECLINED_CARD
from mobility_platform.testing import wait_until


async def test_a_rider_books_pays_and_gets_a_verifiable_receipt(env: Env) -> None:
    async with running(env) as (_, client):
        rider = Rider(client, env.keys)
        created = await rider.book()
        assert created.status_code == 201, created.text
        booking = created.json()
        assert booking["status"] == "pending_payment"
        assert booking["payment"]["client_secret"]
        paid = await rider.post(
            f"/bookings/{booking['id']}/confirm-payment", {"payment_method_id": "pm_card_visa"}
        )
        assert paid.status_code == 200, paid.text
        confirmed = paid.json()
        assert confirmed["status"] == "confirmed"
        assert len(confirmed["confirmation_code"]) == 6
        support = {"Authorization": f"Bearer {env.keys.service_token('support')}"}
        verdict = await client.post(
            "/internal/receipts/verify", json=confirmed["receipt"], headers=support
        )
        assert verdict.json() == {"valid": True, "booking_id": booking["id"], "reason": None}
        forged = {**confirmed["receipt"], "receipt": {**confirmed["receipt"]["receipt"]}}
        forged["receipt"]["vehicle_id"] = str(uuid4())
        verdict = await client.post("/internal/receipts/verify", json=forged, headers=support)
        assert verdict.json()["valid"] is False
        as_rider = await client.post(
            "/internal/receipts/verify", json=confirmed["receipt"], headers=rider.headers
        )
        assert as_rider.status_code == 403


async def test_rider_b_can_neither_see_nor_act_on_rider_a_booking(env: Env) -> None:
    async with running(env) as (_, client):
        alice, bob = Rider(client, env.keys), Rider(client, env.keys)
        booking_id = (await alice.book()).json()["id"]
        assert (await bob.get(f"/bookings/{booking_id}")).status_code == 404
        cancel = await bob.post(f"/bookings/{booking_id}/cancel")
        assert cancel.status_code == 404
        assert cancel.json()["code"] == "booking_not_found"
        pay = await bob.post(f"/bookings/{booking_id}/confirm-payment", {"payment_method_id": "x"})
        assert pay.status_code == 404
        assert (await bob.get("/bookings")).json()["total"] == 0
        mine = (await alice.get("/bookings", limit=5)).json()
        assert [b["id"] for b in mine["items"]] == [booking_id]
        status = await env.scalar(booking_status_sql(), id=UUID(booking_id))
        assert status == "pending_payment"


async def test_no_token_is_401(env: Env) -> None:
    async with running(env) as (_, client):
        response = await client.post(
            "/bookings",
            json={"vehicle_id": str(uuid4()), "estimated_duration_min": 5},
            headers={"Idempotency-Key": "k"},
        )
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert (await client.get("/bookings")).status_code == 401


async def test_bad_input_is_a_422_problem_and_writes_nothing(env: Env) -> None:
    async with running(env) as (_, client):
        rider = Rider(client, env.keys)
        before = await env.scalar("SELECT count(*) FROM idempotency_key")
        bad = await rider.post("/bookings", {"vehicle_id": "nope", "estimated_duration_min": 0})
        assert bad.status_code == 422
        assert bad.headers["content-type"] == "application/problem+json"
        assert bad.json()["code"] == "validation_error"
        extra = await rider.book(tip=5)
        assert extra.status_code == 422
        no_key = await client.post(
            "/bookings",
            json={"vehicle_id": str(uuid4()), "estimated_duration_min": 5},
            headers=rider.headers,
        )
        assert no_key.status_code == 422
        assert await env.scalar("SELECT count(*) FROM idempotency_key") == before
        assert await env.scalar("SELECT count(*) FROM booking WHERE rider_id = :r", r=rider.id) == 0


async def test_the_eleventh_booking_in_a_minute_gets_429_with_retry_after(env: Env) -> None:
    async with running(env, rules={"rate_limit_per_window": 3}) as (_, client):
        rider = Rider(client, env.keys)
        for _ in range(3):
            assert (await rider.book()).status_code == 201
        refused = await rider.book()
        assert refused.status_code == 429
        assert refused.json()["code"] == "rate_limited"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60


async def test_bookings_do_not_stop_when_redis_is_down(env: Env) -> None:
    async with running(env, redis_url="redis://127.0.0.1:1/0") as (_, client):
        response = await Rider(client, env.keys).book()
        assert response.status_code == 201


async def test_an_unavailable_vehicle_answers_409_with_alternatives(env: Env) -> None:
    async with running(env) as (_, client):
        vehicle = uuid4()
        assert (await Rider(client, env.keys).book(vehicle)).status_code == 201
        second = await Rider(client, env.keys).book(vehicle)
        assert second.status_code == 409
        assert second.json()["code"] == "vehicle_unavailable"
        assert second.json()["alternatives"] == []


async def test_pricing_down_answers_503_and_releases_the_vehicle(env: Env) -> None:
    async with running(env) as (_, client):
        vehicle = uuid4()
        env.stubs.down.add("pricing")
        response = await Rider(client, env.keys).book(vehicle)
        assert response.status_code == 503
        assert response.headers["Retry-After"]
        assert env.stubs.called("POST", f"/internal/vehicles/{vehicle}/reservations/")
        assert vehicle not in env.stubs.held
        env.stubs.down.clear()
        assert (await Rider(client, env.keys).book(vehicle)).status_code == 201


async def test_a_declined_card_cancels_releases_and_captures_nothing(env: Env) -> None:
    async with running(env) as (_, client):
        rider, vehicle = Rider(client, env.keys), uuid4()
        booking = (await rider.book(vehicle)).json()
        response = await rider.post(
            f"/bookings/{booking['id']}/confirm-payment", {"payment_method_id": DECLINED_CARD}
        )
        assert response.status_code == 200
        assert response.json()["status"] == "cancelled"
        assert vehicle not in env.stubs.held
        payment_id = UUID(booking["payment"]["payment_id"])
        assert env.stubs.payments[payment_id].status == "voided"
        assert not env.stubs.called("POST", "/capture")
        reasons = await env.rows(
            "SELECT type FROM outbox_message WHERE key = :k ORDER BY seq", k=booking["id"]
        )
        assert [r.type for r in reasons] == ["BookingCreated", "BookingCancelled"]


async def test_a_group_books_each_vehicle_on_its_own(env: Env) -> None:
    async with running(env) as (_, client):
        rider, taken, free = Rider(client, env.keys), uuid4(), uuid4()
        await Rider(client, env.keys).book(taken)
        items = [
            {"vehicle_id": str(free), "estimated_duration_min": 20},
            {"vehicle_id": str(taken), "estimated_duration_min": 20},
        ]
        response = await rider.post("/bookings/group", {"items": items}, key="party")
        assert response.status_code == 200
        body = response.json()
        assert [i["outcome"] for i in body["items"]] == ["success", "failure"]
        assert body["items"][1]["errors"][0]["code"] == "vehicle_unavailable"
        again = await rider.post("/bookings/group", {"items": items}, key="party")
        assert again.content == response.content


async def test_a_scheduled_booking_is_promoted_at_its_time(env: Env) -> None:
    from datetime import UTC, datetime, timedelta

    rules = {"scheduled_min_advance_s": 0}
    async with running(env, rules=rules) as (_, client):
        rider = Rider(client, env.keys)
        start = datetime.now(UTC) + timedelta(seconds=1)
        created = await rider.book(start_time=start.isoformat())
        assert created.status_code == 201, created.text
        assert created.json()["status"] == "scheduled"
        booking_id = UUID(created.json()["id"])

        async def promoted() -> bool:
            return await env.scalar(booking_status_sql(), id=booking_id) == "pending_payment"

        await wait_until(promoted, timeout=10, message="the scheduled booking to be promoted")
