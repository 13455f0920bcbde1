"""The trip through real Kafka: VehicleUnlocked (redelivered) starts it once; ending it
captures the fare; booking's events leave through the outbox relay."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from aiokafka import AIOKafkaProducer
from booking_integration import Env, Rider, booking_status_sql, running
from contracts import topics
from contracts.envelope import CloudEvent, Event
from contracts.events.fleet import VehicleReleased, VehicleUnlocked
from contracts.types import BookingId, GeoPoint, RiderId, VehicleId
from mobility_platform.kafka import ensure_topics, topic_name
from mobility_platform.settings import OutboxSettings
from mobility_platform.testing import read_topic, wait_until


async def publish(env: Env, *events: CloudEvent[Any]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=env.kafka.bootstrap_servers)
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(
                topic_name(env.kafka, topics.FLEET),
                value=event.model_dump_json().encode(),
                key=event.subject.encode(),
            )
    finally:
        await producer.stop()


def envelope(event: Event) -> CloudEvent[Any]:
    return CloudEvent.wrap(event, source="fleet", time=datetime.now(UTC))


async def booking_events_on_kafka(env: Env, booking_id: str) -> list[str]:
    records = await read_topic(env.kafka.bootstrap_servers, topic_name(env.kafka, topics.BOOKING))
    payloads = [json.loads(r.value or b"{}") for r in records]
    return [p["type"] for p in payloads if p["subject"] == booking_id]


async def test_a_redelivered_unlock_starts_the_trip_once_and_the_trip_is_billed(
    own_env: Env,
) -> None:
    env = own_env
    await ensure_topics(env.kafka, [topics.FLEET, topics.PAYMENT, topics.BOOKING])
    overrides = {"consumer_enabled": True, "outbox": OutboxSettings(poll_interval_s=0.1)}
    async with running(env, **overrides) as (_, client):
        rider, vehicle = Rider(client, env.keys), uuid4()
        booking = (await rider.book(vehicle)).json()
        paid = await rider.post(
            f"/bookings/{booking['id']}/confirm-payment", {"payment_method_id": "pm_card_visa"}
        )
        assert paid.json()["status"] == "confirmed"
        unlocked = envelope(
            VehicleUnlocked(
                vehicle_id=VehicleId(vehicle),
                booking_id=BookingId(UUID(booking["id"])),
                rider_id=RiderId(rider.id),
                unlocked_at=datetime.now(UTC),
                position=GeoPoint(lat=52.52, lon=13.405),
                battery_pct=88,
            )
        )
        sentinel = envelope(
            VehicleReleased(
                vehicle_id=VehicleId(vehicle),
                booking_id=BookingId(uuid4()),
                reason="other",
                released_at=datetime.now(UTC),
            )
        )
        await publish(env, unlocked, unlocked, sentinel)  # same key: one partition, in order

        async def sentinel_processed() -> bool:
            found = await env.scalar(
                "SELECT count(*) FROM processed_message WHERE event_id = :e", e=sentinel.id
            )
            return bool(found)

        await wait_until(sentinel_processed, timeout=30, message="the consumer to catch up")
        assert await env.scalar(booking_status_sql(), id=UUID(booking["id"])) == "active"
        started = await env.scalar(
            "SELECT count(*) FROM outbox_message WHERE key = :k AND type = 'TripStarted'",
            k=booking["id"],
        )
        assert started == 1

        ended = await rider.post(f"/bookings/{booking['id']}/end")
        assert ended.status_code == 200, ended.text
        trip = ended.json()["trip"]
        assert ended.json()["status"] == "completed"
        assert trip["captured_amount"] == trip["fare"]["total"]
        payment_id = UUID(booking["payment"]["payment_id"])
        assert env.stubs.payments[payment_id].captured_amount.model_dump() == trip["fare"]["total"]

        expected = ["BookingCreated", "BookingConfirmed", "TripStarted", "TripEnded"]

        async def published() -> bool:
            return await booking_events_on_kafka(env, booking["id"]) == expected

        await wait_until(published, timeout=20, message="booking's events on Kafka")
