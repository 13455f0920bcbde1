"""Surge with fleet away, and BookingCreated from Kafka counted once as demand."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from contracts import topics
from contracts.envelope import CloudEvent
from contracts.events.booking import BookingCreated
from contracts.types import BookingId, BookingStatus, QuoteId, RiderId, VehicleId, VehicleType
from mobility_platform.kafka import topic_name
from mobility_platform.settings import KafkaSettings
from mobility_platform.testing import wait_until
from pricing_api import TOD_FACTOR, PricingApi, vehicle
from pricing_factories import unique_city


def zone(page: dict[str, Any], zone_id: str = "center") -> dict[str, Any] | None:
    return next((z for z in page["items"] if z["zone_id"] == zone_id), None)


async def test_with_fleet_away_surge_is_one_times_the_time_of_day(pricing: PricingApi) -> None:
    city = unique_city()
    await pricing.add_rule(city, per_minute=25)
    for _ in range(5):
        assert (await pricing.quote(city)).status_code == 201
    await pricing.batch(vehicle(city), vehicle(city))

    async def surge_with_demand() -> dict[str, Any] | None:
        found = zone(await pricing.surge(city))
        return found if found and found["quotes"] == 5 and found["searches"] == 1 else None

    center = await wait_until(surge_with_demand, message="a surge run that saw the demand")
    assert (center["supply"], center["multiplier"]) == (None, 1.0)
    assert (await pricing.surge(city))["time_of_day_factor"] == TOD_FACTOR
    price = (await pricing.batch(vehicle(city))).json()["items"][0]["price"]
    assert (price["surge_multiplier"], price["per_minute"]["amount_minor"]) == (1.2, 30)


async def test_a_booking_delivered_twice_counts_once(
    pricing: PricingApi, pricing_kafka: KafkaSettings
) -> None:
    city = unique_city()
    await pricing.add_rule(city)
    quote = (await pricing.quote(city, zone_id="north")).json()
    event = BookingCreated(
        booking_id=BookingId(uuid.uuid4()),
        rider_id=RiderId(uuid.UUID(quote["rider_id"])),
        vehicle_id=VehicleId(uuid.UUID(quote["vehicle_id"])),
        vehicle_type=VehicleType.SCOOTER,
        status=BookingStatus.PENDING_PAYMENT,
        quote_id=QuoteId(uuid.UUID(quote["quote_id"])),
        created_at=datetime.now(UTC),
    )
    envelope = CloudEvent.wrap(event, source="booking", time=datetime.now(UTC))
    group = pricing.settings.consumer_group
    before = await pricing.metric("inbox_messages_total", consumer=group, outcome="duplicate")

    producer = AIOKafkaProducer(bootstrap_servers=pricing_kafka.bootstrap_servers)
    await producer.start()
    try:
        for _ in range(2):  # at-least-once: the same CloudEvent id arrives twice
            await producer.send_and_wait(
                topic_name(pricing_kafka, topics.BOOKING),
                value=envelope.model_dump_json().encode(),
                key=event.key().encode(),
            )
    finally:
        await producer.stop()

    async def duplicate_seen() -> bool:
        seen = await pricing.metric("inbox_messages_total", consumer=group, outcome="duplicate")
        return seen > before

    await wait_until(duplicate_seen, timeout=30, message="the redelivery handled as a duplicate")
    handled_at = datetime.now(UTC)

    async def counted_after_both() -> dict[str, Any] | None:
        north = zone(await pricing.surge(city), "north")
        fresh = north and datetime.fromisoformat(north["updated_at"]) > handled_at
        return north if fresh else None

    north = await wait_until(counted_after_both, message="a surge run after both deliveries")
    assert (north["bookings"], north["quotes"]) == (1, 1)
