"""iot.events.v1 on real Kafka, through the platform inbox consumer: offline vehicles leave
search, come back when online again, and telemetry moves them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaProducer
from contracts import topics
from contracts.envelope import CloudEvent, Event
from contracts.events.iot import VehicleOffline, VehicleOnline, VehicleTelemetry
from contracts.types import GeoPoint, VehicleId
from fleet.app import create_app
from fleet_testing import FleetDb, MakeSettings, Row, bearer, new_region, offset
from mobility_platform.kafka import ensure_topics, topic_name
from mobility_platform.settings import KafkaSettings
from mobility_platform.testing import app_client, wait_until
from mobility_platform.testing.plugin import AuthKeys


class Gateway:
    """Publishes iot events the way the iot-gateway does (CloudEvents keyed by vehicle)."""

    def __init__(self, producer: AIOKafkaProducer, kafka: KafkaSettings) -> None:
        self._producer = producer
        self._topic = topic_name(kafka, topics.IOT)

    async def publish(self, event: Event) -> None:
        envelope = CloudEvent.wrap(event, source="iot-gateway", time=datetime.now(UTC))
        await self._producer.send_and_wait(
            self._topic, value=envelope.model_dump_json().encode(), key=event.key().encode()
        )


@pytest.fixture
async def gateway(kafka_settings: KafkaSettings) -> AsyncIterator[Gateway]:
    await ensure_topics(kafka_settings, [topics.IOT], partitions=3)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers)
    await producer.start()
    yield Gateway(producer, kafka_settings)
    await producer.stop()


async def test_offline_vehicle_is_hidden_and_back_after_online_and_telemetry_moves_it(
    make_settings: MakeSettings,
    fleet_db: FleetDb,
    auth_keys: AuthKeys,
    kafka_settings: KafkaSettings,
    gateway: Gateway,
) -> None:
    lat, lon = new_region()
    await fleet_db.add_zone(lat, lon, 2_000)
    parked, moving = Row(uuid.uuid4(), "ebike", lat, lon), Row(uuid.uuid4(), "ebike", lat, lon)
    await fleet_db.add_vehicles([parked, moving])
    settings = make_settings(
        kafka=kafka_settings,
        iot_consumer_enabled=True,
        iot_consumer_name=f"fleet-iot-{uuid.uuid4().hex[:8]}",
    )
    headers = bearer(auth_keys.rider_token())
    now = datetime.now(UTC)

    async with app_client(create_app(settings)) as http:

        async def ids_near(plat: float, plon: float) -> set[str]:
            params = {"lat": plat, "lon": plon, "radius_m": 300}
            response = await http.get("/vehicles/search", params=params, headers=headers)
            return {item["id"] for item in response.json()["items"]}

        assert await ids_near(lat, lon) == {str(parked.id), str(moving.id)}

        await gateway.publish(
            VehicleOffline(vehicle_id=VehicleId(parked.id), last_seen_at=now, detected_at=now)
        )
        await _until(lambda: ids_near(lat, lon), {str(moving.id)}, "offline vehicle hidden")
        assert (await fleet_db.vehicle(parked.id))["status"] == "offline"

        await gateway.publish(VehicleOnline(vehicle_id=VehicleId(parked.id), seen_at=now))
        both = {str(parked.id), str(moving.id)}
        await _until(lambda: ids_near(lat, lon), both, "vehicle back after VehicleOnline")

        new_lat, new_lon = offset(lat, lon, 1_000, 0)
        await gateway.publish(
            VehicleTelemetry(
                vehicle_id=VehicleId(moving.id),
                position=GeoPoint(lat=new_lat, lon=new_lon),
                battery_pct=64,
                locked=True,
                odometer_m=2_000,
                recorded_at=now + timedelta(seconds=5),
            )
        )
        await _until(lambda: ids_near(new_lat, new_lon), {str(moving.id)}, "vehicle moved")
        assert await ids_near(lat, lon) == {str(parked.id)}
        row = await fleet_db.vehicle(moving.id)
        assert (row["battery_pct"], row["odometer_m"]) == (64, 2_000)

    assert await fleet_db.events(parked.id) == ["VehicleStatusChanged", "VehicleStatusChanged"]


async def _until(
    probe: Callable[[], Awaitable[set[str]]], expected: set[str], message: str
) -> None:
    async def matches() -> bool:
        return await probe() == expected

    await wait_until(matches, timeout=20, interval=0.1, message=message)
