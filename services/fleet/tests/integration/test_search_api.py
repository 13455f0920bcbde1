"""GET /vehicles/search on real PostGIS and Redis: correct on random fleets (hit and miss
paths alike), invalidated by reservations, strict about its input."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fleet.app import create_app
from fleet_testing import (
    FleetDb,
    MakeSettings,
    Row,
    assert_correct_answer,
    bearer,
    expected_search,
    new_region,
    offset,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mobility_platform.testing import app_client
from mobility_platform.testing.plugin import AuthKeys

TYPES = ["scooter", "ebike", "car"]


@dataclass
class Client:
    http: httpx.AsyncClient
    rider: dict[str, str]
    service: dict[str, str]

    async def search(self, **params: Any) -> httpx.Response:
        return await self.http.get("/vehicles/search", params=params, headers=self.rider)


@pytest.fixture(scope="module")
async def client(make_settings_module: MakeSettings, auth_keys: AuthKeys) -> AsyncIterator[Client]:
    app = create_app(make_settings_module(search_cells_per_round=4))
    async with app_client(app) as http:
        yield Client(http, bearer(auth_keys.rider_token()), bearer(auth_keys.service_token()))


async def _random_fleet(
    db: FleetDb, rng: random.Random, n: int
) -> tuple[list[Row], set[uuid.UUID], float, float]:
    """n vehicles within ~1.5 km of a fresh centre; some reserved, low on battery or outside
    the operating area. Returns rows, the searchable ids and the centre."""
    lat0, lon0 = new_region()
    await db.add_zone(lat0, lon0, 1_200)
    rows, searchable = [], set()
    for _ in range(n):
        inside = rng.random() < 0.85
        reach = 1_150 if inside else 1_600
        north, east = rng.uniform(-reach, reach), rng.uniform(-reach, reach)
        if not inside and max(abs(north), abs(east)) < 1_250:
            north = 1_300 * (1 if north >= 0 else -1)
        lat, lon = offset(lat0, lon0, north, east)
        status = rng.choice(["available"] * 6 + ["offline", "maintenance"])
        battery = rng.randint(0, 100)
        row = Row(uuid.uuid4(), rng.choice(TYPES), lat, lon, status, battery)
        rows.append(row)
        if inside and row.status == "available" and battery >= 15:
            searchable.add(row.id)
    await db.add_vehicles(rows)
    return rows, searchable, lat0, lon0


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    seed=st.integers(0, 2**32),
    n=st.integers(0, 120),
    radius=st.integers(1, 2_500),
    limit=st.integers(1, 100),
    vtype=st.sampled_from([None, *TYPES]),
    north=st.floats(-1_000, 1_000),
    east=st.floats(-1_000, 1_000),
)
async def test_search_equals_brute_force_on_miss_and_hit_paths(
    client: Client,
    fleet_db: FleetDb,
    seed: int,
    n: int,
    radius: int,
    limit: int,
    vtype: str | None,
    north: float,
    east: float,
) -> None:
    rows, searchable, lat0, lon0 = await _random_fleet(fleet_db, random.Random(seed), n)
    lat, lon = offset(lat0, lon0, north, east)
    params: dict[str, Any] = {"lat": lat, "lon": lon, "radius_m": radius, "limit": limit}
    if vtype:
        params["type"] = vtype
    expected = expected_search(rows, searchable, lat=lat, lon=lon, radius_m=radius, vtype=vtype)

    miss = await client.search(**params)
    hit = await client.search(**params)

    assert miss.status_code == 200, miss.text
    assert hit.json()["items"] == miss.json()["items"]
    assert_correct_answer(miss.json()["items"], expected, radius_m=radius, limit=limit)
    assert all(item["price"] is None for item in miss.json()["items"])  # pricing is not running


async def test_a_reserved_vehicle_disappears_from_the_next_search(
    client: Client, fleet_db: FleetDb
) -> None:
    lat, lon = new_region()
    await fleet_db.add_zone(lat, lon, 1_000)
    rows = [Row(uuid.uuid4(), "ebike", *offset(lat, lon, 30 * i, 0)) for i in range(3)]
    await fleet_db.add_vehicles(rows)
    params = {"lat": lat, "lon": lon, "type": "ebike"}
    before = [i["id"] for i in (await client.search(**params)).json()["items"]]
    assert before == [str(r.id) for r in rows]

    body = {
        "booking_id": str(uuid.uuid4()),
        "rider_id": str(uuid.uuid4()),
        "hold_until": (datetime.now(UTC) + timedelta(minutes=5)).isoformat(),
    }
    reserved = await client.http.post(
        f"/internal/vehicles/{rows[0].id}/reservations", json=body, headers=client.service
    )
    assert reserved.status_code == 201, reserved.text

    after = [i["id"] for i in (await client.search(**params)).json()["items"]]
    assert after == [str(r.id) for r in rows[1:]]


@pytest.mark.parametrize(
    "params",
    [
        {"lat": 91, "lon": 8.68},
        {"lat": 50.1, "lon": -180.5},
        {"lat": "north", "lon": 8.68},
        {"lon": 8.68},
        {"lat": 50.1, "lon": 8.68, "radius_m": 5_001},
        {"lat": 50.1, "lon": 8.68, "radius_m": 0},
        {"lat": 50.1, "lon": 8.68, "type": "hoverboard"},
        {"lat": 50.1, "lon": 8.68, "limit": 0},
        {"lat": 50.1, "lon": 8.68, "limit": 101},
    ],
)
async def test_bad_search_input_is_a_422_problem_and_writes_nothing(
    client: Client, fleet_db: FleetDb, params: dict[str, Any]
) -> None:
    outbox_before = await fleet_db.count("outbox_message")
    response = await client.search(**params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert problem["errors"]
    assert await fleet_db.count("outbox_message") == outbox_before


async def test_bad_reservation_input_is_a_422_problem_and_changes_nothing(
    client: Client, fleet_db: FleetDb
) -> None:
    lat, lon = new_region()
    await fleet_db.add_zone(lat, lon, 500)
    row = Row(uuid.uuid4(), "scooter", lat, lon)
    await fleet_db.add_vehicles([row])

    def body(**changes: Any) -> dict[str, Any]:
        good = {
            "booking_id": str(uuid.uuid4()),
            "rider_id": str(uuid.uuid4()),
            "hold_until": "2030-01-01T00:00:00Z",
        }
        return {**good, **changes}

    bad_bodies = [
        body(booking_id="not-a-uuid"),
        body(hold_until="2030-01-01T00:00:00"),  # no timezone
        body(hold_until="2000-01-01T00:00:00Z"),  # in the past
        body(extra=1),
    ]
    for body in bad_bodies:
        response = await client.http.post(
            f"/internal/vehicles/{row.id}/reservations", json=body, headers=client.service
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
    vehicle = await fleet_db.vehicle(row.id)
    assert vehicle["status"] == "available"
    assert vehicle["version"] == 1
    assert await fleet_db.events(row.id) == []


async def test_search_needs_a_rider_token_and_internal_routes_refuse_riders(
    client: Client,
) -> None:
    assert (
        await client.http.get("/vehicles/search", params={"lat": 1, "lon": 1})
    ).status_code == 401
    for method, path in [
        ("GET", "/internal/vehicles"),
        ("GET", "/internal/zones/supply"),
        ("POST", f"/internal/vehicles/{uuid.uuid4()}/reservations"),
        ("POST", f"/internal/vehicles/{uuid.uuid4()}/trip/lock"),
    ]:
        response = await client.http.request(method, path, headers=client.rider, json={})
        assert response.status_code == 403, (path, response.text)
        assert response.json()["code"] == "forbidden"
