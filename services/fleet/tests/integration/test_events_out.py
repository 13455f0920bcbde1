"""Fleet's events leave through the outbox relay onto fleet.events.v1 (real Kafka)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from contracts import topics
from fleet.app import create_app
from fleet_testing import FleetDb, MakeSettings, Row, bearer, new_region
from mobility_platform.kafka import ensure_topics, topic_name
from mobility_platform.settings import KafkaSettings, OutboxSettings
from mobility_platform.testing import app_client, read_topic, wait_until
from mobility_platform.testing.plugin import AuthKeys


async def _events_on(kafka: KafkaSettings, base_topic: str) -> list[dict[str, Any]]:
    records = await read_topic(kafka.bootstrap_servers, topic_name(kafka, base_topic))
    return [json.loads(r.value or b"") for r in records]


async def test_a_reservation_publishes_vehicle_reserved_keyed_by_vehicle(
    make_settings: MakeSettings,
    fleet_db: FleetDb,
    auth_keys: AuthKeys,
    kafka_settings: KafkaSettings,
) -> None:
    await ensure_topics(kafka_settings, [topics.FLEET], partitions=1)
    lat, lon = new_region()
    await fleet_db.add_zone(lat, lon, 500)
    vehicle = Row(uuid.uuid4(), "car", lat, lon)
    await fleet_db.add_vehicles([vehicle])
    settings = make_settings(
        kafka=kafka_settings, outbox=OutboxSettings(enabled=True, poll_interval_s=0.2)
    )
    booking = str(uuid.uuid4())
    body = {
        "booking_id": booking,
        "rider_id": str(uuid.uuid4()),
        "hold_until": (datetime.now(UTC) + timedelta(minutes=5)).isoformat(),
    }
    async with app_client(create_app(settings)) as http:
        response = await http.post(
            f"/internal/vehicles/{vehicle.id}/reservations",
            json=body,
            headers=bearer(auth_keys.service_token("booking")),
        )
        assert response.status_code == 201

        async def published() -> list[dict[str, Any]]:
            return [
                e for e in await _events_on(kafka_settings, topics.FLEET)
                if e["subject"] == str(vehicle.id)
            ]  # fmt: skip

        [event] = await wait_until(published, timeout=20, message="VehicleReserved on Kafka")
    assert event["type"] == "VehicleReserved"
    assert event["data"]["booking_id"] == booking
    assert event["source"] == "fleet"
