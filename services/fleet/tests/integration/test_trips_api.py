"""Unlock and trip lock over HTTP against a STUB of the iot-gateway contract (a tiny real HTTP
server; the real gateway is built in parallel and the lead adds the cross-service e2e test)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fleet.app import create_app
from fleet_testing import (
    FleetDb,
    GatewayStub,
    MakeSettings,
    Row,
    bearer,
    free_port,
    new_region,
    offset,
    serving,
)
from mobility_platform.testing import app_client
from mobility_platform.testing.plugin import AuthKeys


@dataclass
class Trip:
    http: httpx.AsyncClient
    vehicle: Row
    booking: str
    rider_headers: dict[str, str]
    service_headers: dict[str, str]

    async def unlock(self, headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.http.post(
            f"/vehicles/{self.vehicle.id}/unlock", headers=headers or self.rider_headers
        )

    async def lock(self) -> httpx.Response:
        return await self.http.post(
            f"/internal/vehicles/{self.vehicle.id}/trip/lock",
            json={"booking_id": self.booking},
            headers=self.service_headers,
        )


@pytest.fixture
async def stub() -> AsyncIterator[tuple[GatewayStub, str]]:
    gateway = GatewayStub()
    async with serving(gateway.app()) as url:
        yield gateway, url


async def _reserved_trip(
    http: httpx.AsyncClient, db: FleetDb, auth_keys: AuthKeys, *, confirm: bool = True
) -> Trip:
    lat, lon = new_region()
    await db.add_zone(lat, lon, 3_000)
    vehicle = Row(uuid.uuid4(), "scooter", lat, lon)
    await db.add_vehicles([vehicle])
    rider, booking = uuid.uuid4(), str(uuid.uuid4())
    service = bearer(auth_keys.service_token("booking"))
    base = f"/internal/vehicles/{vehicle.id}/reservations"
    hold = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    body = {"booking_id": booking, "rider_id": str(rider), "hold_until": hold}
    assert (await http.post(base, json=body, headers=service)).status_code == 201
    if confirm:
        confirmed = await http.post(
            f"{base}/{booking}/confirm", json={"hold_until": hold}, headers=service
        )
        assert confirmed.status_code == 200
    return Trip(http, vehicle, booking, bearer(auth_keys.rider_token(rider)), service)


async def test_unlock_is_for_the_confirmed_holder_survives_a_silent_vehicle_and_ends_with_a_lock(
    make_settings: MakeSettings,
    fleet_db: FleetDb,
    auth_keys: AuthKeys,
    stub: tuple[GatewayStub, str],
) -> None:
    gateway, url = stub
    async with app_client(create_app(make_settings(iot_gateway_url=url))) as http:
        trip = await _reserved_trip(http, fleet_db, auth_keys)
        vid = str(trip.vehicle.id)

        stranger = await trip.unlock(bearer(auth_keys.rider_token()))
        assert stranger.status_code == 403
        assert stranger.json()["code"] == "not_your_booking"

        gateway.modes[vid] = "timeout"
        silent = await trip.unlock()
        assert silent.status_code == 504
        assert silent.json()["code"] == "vehicle_timeout"
        row = await fleet_db.vehicle(trip.vehicle.id)
        assert (row["status"], row["reservation_confirmed"]) == ("reserved", True)

        gateway.modes[vid] = "ack"
        gateway.acks[vid] = {"position": {"lat": row["lat"], "lon": row["lon"]},
                             "battery_pct": 90, "odometer_m": 5_000}  # fmt: skip
        unlocked = await trip.unlock()
        assert unlocked.status_code == 200, unlocked.text
        assert unlocked.json()["booking_id"] == trip.booking
        assert (await trip.unlock()).json() == unlocked.json()  # a double tap changes nothing
        assert (await fleet_db.vehicle(trip.vehicle.id))["status"] == "in_use"

        end_lat, end_lon = offset(row["lat"], row["lon"], 1_200, 0)
        gateway.acks[vid] = {"position": {"lat": end_lat, "lon": end_lon},
                             "battery_pct": 71, "odometer_m": 6_480}  # fmt: skip
        locked = await trip.lock()
        assert locked.status_code == 200, locked.text
        body = locked.json()
        assert body["acknowledged"] is True
        assert body["vehicle_status"] == "available"
        assert body["distance_m"] == 1_480
        assert body["battery_pct"] == 71
        assert (await trip.lock()).json() == body

        search = await http.get(
            "/vehicles/search", params={"lat": end_lat, "lon": end_lon, "radius_m": 50},
            headers=trip.rider_headers,
        )  # fmt: skip
        assert [i["id"] for i in search.json()["items"]] == [vid]

    commands = [(c["action"], c["booking_id"], c["authorized"]) for c in gateway.calls]
    assert commands == [("unlock", trip.booking, True)] * 2 + [("lock", trip.booking, True)]
    assert await fleet_db.events(trip.vehicle.id) == [
        "VehicleReserved", "VehicleUnlocked", "VehicleLocked",
    ]  # fmt: skip


async def test_unconfirmed_reservation_cannot_unlock(
    make_settings: MakeSettings,
    fleet_db: FleetDb,
    auth_keys: AuthKeys,
    stub: tuple[GatewayStub, str],
) -> None:
    gateway, url = stub
    async with app_client(create_app(make_settings(iot_gateway_url=url))) as http:
        trip = await _reserved_trip(http, fleet_db, auth_keys, confirm=False)
        response = await trip.unlock()
    assert response.status_code == 403
    assert response.json()["code"] == "not_your_booking"
    assert gateway.calls == []


async def test_lock_without_ack_ends_the_trip_and_flags_the_vehicle_for_ops(
    make_settings: MakeSettings,
    fleet_db: FleetDb,
    auth_keys: AuthKeys,
    stub: tuple[GatewayStub, str],
) -> None:
    gateway, url = stub
    async with app_client(create_app(make_settings(iot_gateway_url=url))) as http:
        trip = await _reserved_trip(http, fleet_db, auth_keys)
        assert (await trip.unlock()).status_code == 200
        gateway.modes[str(trip.vehicle.id)] = "timeout"
        locked = await trip.lock()
        not_active = await http.post(
            f"/internal/vehicles/{trip.vehicle.id}/trip/lock",
            json={"booking_id": str(uuid.uuid4())},
            headers=trip.service_headers,
        )

    assert locked.status_code == 200
    assert locked.json()["acknowledged"] is False
    assert locked.json()["vehicle_status"] == "maintenance"
    assert (await fleet_db.vehicle(trip.vehicle.id))["status"] == "maintenance"
    assert not_active.status_code == 409
    assert not_active.json()["code"] == "trip_not_active"
    assert (await fleet_db.events(trip.vehicle.id))[-2:] == [
        "VehicleLocked", "VehicleStatusChanged",
    ]  # fmt: skip


async def test_gateway_down_is_503_with_retry_after_and_the_reservation_stays(
    make_settings: MakeSettings, fleet_db: FleetDb, auth_keys: AuthKeys
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    async with app_client(create_app(make_settings(iot_gateway_url=nowhere))) as http:
        trip = await _reserved_trip(http, fleet_db, auth_keys)
        response = await trip.unlock()
    assert response.status_code == 503
    assert response.json()["code"] == "gateway_unavailable"
    assert int(response.headers["retry-after"]) >= 1
    row = await fleet_db.vehicle(trip.vehicle.id)
    assert (row["status"], str(row["reserved_booking_id"])) == ("reserved", trip.booking)
