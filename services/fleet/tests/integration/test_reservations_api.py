"""The internal reservation API on real PostgreSQL, through real HTTP where concurrency
matters."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fleet.app import create_app
from fleet_testing import FleetDb, MakeSettings, Row, bearer, new_region, offset, serving
from mobility_platform.testing import app_client, wait_until
from mobility_platform.testing.plugin import AuthKeys


def _hold(minutes: float = 5) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


def _reservation(booking: uuid.UUID | None = None, **extra: Any) -> dict[str, Any]:
    body = {
        "booking_id": str(booking or uuid.uuid4()),
        "rider_id": str(uuid.uuid4()),
        "hold_until": _hold(),
    }
    return {**body, **extra}


async def _vehicle_with_neighbours(db: FleetDb, neighbours: int = 3) -> Row:
    lat, lon = new_region()
    await db.add_zone(lat, lon, 1_000)
    target = Row(uuid.uuid4(), "scooter", lat, lon)
    others = [
        Row(uuid.uuid4(), "scooter", *offset(lat, lon, 40 * (i + 1), 0)) for i in range(neighbours)
    ]
    await db.add_vehicles([target, *others])
    return target


async def test_200_concurrent_reservations_of_one_vehicle_have_exactly_one_winner(
    make_settings: MakeSettings, fleet_db: FleetDb, auth_keys: AuthKeys
) -> None:
    vehicle = await _vehicle_with_neighbours(fleet_db)
    headers = bearer(auth_keys.service_token("booking"))
    bookings = [uuid.uuid4() for _ in range(200)]

    async with serving(create_app(make_settings(db_pool_size=10))) as base_url:
        # 20 clients x 10 connections: one httpx pool of 200 spends its time scanning itself
        clients = [httpx.AsyncClient(base_url=base_url, timeout=30) for _ in range(20)]
        try:
            responses = await asyncio.gather(
                *(
                    clients[i % 20].post(
                        f"/internal/vehicles/{vehicle.id}/reservations",
                        json=_reservation(b),
                        headers=headers,
                    )
                    for i, b in enumerate(bookings)
                )
            )
        finally:
            await asyncio.gather(*(c.aclose() for c in clients))

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: 199}, statuses
    [winner] = [r.json() for r in responses if r.status_code == 201]
    losers = [r.json() for r in responses if r.status_code == 409]
    assert {p["code"] for p in losers} == {"vehicle_unavailable"}
    assert all(len(p["alternatives"]) == 3 for p in losers)
    assert all(str(vehicle.id) not in {a["id"] for a in p["alternatives"]} for p in losers)

    row = await fleet_db.vehicle(vehicle.id)
    assert row["status"] == "reserved"
    assert str(row["reserved_booking_id"]) == winner["booking_id"]
    assert row["version"] == 2
    assert await fleet_db.events(vehicle.id) == ["VehicleReserved"]
    reservations = await fleet_db.fetch(
        "SELECT booking_id FROM reservations WHERE vehicle_id = $1", vehicle.id
    )
    assert [str(r["booking_id"]) for r in reservations] == [winner["booking_id"]]


async def test_reserve_confirm_and_release_follow_the_contract(
    make_settings: MakeSettings, fleet_db: FleetDb, auth_keys: AuthKeys
) -> None:
    vehicle = await _vehicle_with_neighbours(fleet_db, neighbours=0)
    headers = bearer(auth_keys.service_token("booking"))
    base = f"/internal/vehicles/{vehicle.id}/reservations"
    body = _reservation()
    booking = body["booking_id"]
    async with app_client(create_app(make_settings())) as http:
        first = await http.post(base, json=body, headers=headers)
        again = await http.post(base, json=body, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert first.json()["vehicle_status"] == "reserved"
        assert not first.json()["confirmed"]

        deadline = _hold(15)
        confirmed = await http.post(
            f"{base}/{booking}/confirm", json={"hold_until": deadline}, headers=headers
        )
        assert confirmed.status_code == 200
        assert confirmed.json()["confirmed"] is True
        assert confirmed.json()["hold_until"] == deadline.replace("+00:00", "Z")

        other = await http.post(
            f"{base}/{uuid.uuid4()}/release", json={"reason": "cancelled"}, headers=headers
        )
        assert other.status_code == 200
        assert other.json()["vehicle_status"] == "reserved"
        assert other.json()["rider_id"] == str(uuid.UUID(int=0))

        released = await http.post(
            f"{base}/{booking}/release", json={"reason": "cancelled"}, headers=headers
        )
        twice = await http.post(
            f"{base}/{booking}/release", json={"reason": "cancelled"}, headers=headers
        )
        assert released.status_code == twice.status_code == 200
        assert released.json()["vehicle_status"] == twice.json()["vehicle_status"] == "available"
        assert released.json()["rider_id"] == body["rider_id"]

        gone = await http.post(
            f"{base}/{booking}/confirm", json={"hold_until": deadline}, headers=headers
        )
        assert gone.status_code == 409
        assert gone.json()["code"] == "reservation_not_found"
        unknown = await http.post(
            f"/internal/vehicles/{uuid.uuid4()}/reservations", json=_reservation(), headers=headers
        )
        assert unknown.status_code == 404
        assert unknown.json()["code"] == "vehicle_not_found"

    assert await fleet_db.events(vehicle.id) == ["VehicleReserved", "VehicleReleased"]


async def test_the_sweeper_releases_an_expired_hold_even_if_booking_never_calls(
    make_settings: MakeSettings, fleet_db: FleetDb, auth_keys: AuthKeys
) -> None:
    vehicle = await _vehicle_with_neighbours(fleet_db, neighbours=0)
    headers = bearer(auth_keys.service_token("booking"))
    settings = make_settings(sweeper_enabled=True, sweeper_interval_s=0.1)
    async with app_client(create_app(settings)) as http:
        body = _reservation(hold_until=(datetime.now(UTC) + timedelta(seconds=1)).isoformat())
        reserved = await http.post(
            f"/internal/vehicles/{vehicle.id}/reservations", json=body, headers=headers
        )
        assert reserved.status_code == 201

        async def released() -> bool:
            return (await fleet_db.vehicle(vehicle.id))["status"] == "available"

        await wait_until(released, timeout=10, message="hold released by the sweeper")

    assert await fleet_db.events(vehicle.id) == ["VehicleReserved", "VehicleReleased"]
    [payload] = await fleet_db.fetch(
        "SELECT payload FROM outbox_message WHERE key = $1 AND type = 'VehicleReleased'",
        str(vehicle.id),
    )
    assert '"reason": "hold_expired"' in payload["payload"]
    [reservation] = await fleet_db.fetch(
        "SELECT state, release_reason FROM reservations WHERE vehicle_id = $1", vehicle.id
    )
    assert tuple(reservation) == ("released", "hold_expired")


async def test_internal_listing_and_zone_supply(
    make_settings: MakeSettings, fleet_db: FleetDb, auth_keys: AuthKeys
) -> None:
    lat, lon = new_region()
    zone = await fleet_db.add_zone(lat, lon, 500)
    city = f"City-{uuid.uuid4().hex[:6]}"
    rows = [
        Row(uuid.uuid4(), "scooter", lat, lon, city=city),
        Row(uuid.uuid4(), "scooter", lat, lon, battery_pct=5, city=city),
        Row(uuid.uuid4(), "car", lat, lon, status="offline", online=False, city=city),
    ]
    await fleet_db.add_vehicles(rows)
    await fleet_db.fetch("UPDATE zones SET city = $1 WHERE id = $2", city, zone)
    headers = bearer(auth_keys.service_token("pricing"))
    async with app_client(create_app(make_settings())) as http:
        page = (
            await http.get("/internal/vehicles", params={"city": city, "limit": 2}, headers=headers)
        ).json()
        rest = (
            await http.get(
                "/internal/vehicles", params={"city": city, "offset": 2}, headers=headers
            )
        ).json()
        supply = (
            await http.get("/internal/zones/supply", params={"city": city}, headers=headers)
        ).json()
        too_many = await http.get("/internal/vehicles", params={"limit": 5001}, headers=headers)

    assert page["total"] == 3
    assert len(page["items"]) == 2
    assert len(rest["items"]) == 1
    listed = {i["id"] for i in page["items"] + rest["items"]}
    assert listed == {str(r.id) for r in rows}
    counts = {(i["zone_id"], i["vehicle_type"]): i["available"] for i in supply["items"]}
    assert counts == {(zone, "scooter"): 1, (zone, "ebike"): 0, (zone, "car"): 0}
    assert too_many.status_code == 422
