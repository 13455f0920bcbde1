"""The search use case with fakes of the cache, PostGIS and pricing."""

from __future__ import annotations

import random

from contracts.types import GeoPoint, VehicleStatus, VehicleType
from fleet import cells
from fleet.ports import SearchQuery
from fleet.usecases import NearbyVehicles, Search, SearchPolicy, search_vehicles
from fleet_fakes import FakeCellCache, FakePrices, FakeSnapshots, a_vehicle, brute_force, offset
from hypothesis import given, settings
from hypothesis import strategies as st

CENTER = (50.11, 8.68)


def _fleet(seed: int, n: int) -> FakeSnapshots:
    rng = random.Random(seed)
    vehicles = []
    for _ in range(n):
        lat, lon = offset(*CENTER, rng.uniform(-2_500, 2_500), rng.uniform(-2_500, 2_500))
        vehicles.append(
            a_vehicle(
                lat=lat,
                lon=lon,
                type=rng.choice(list(VehicleType)),
                battery_pct=rng.randint(0, 100),
                status=rng.choice([VehicleStatus.AVAILABLE] * 4 + [VehicleStatus.RESERVED]),
                zone_id=rng.choice(["z", "z", "z", None]),
            )
        )
    return FakeSnapshots(vehicles)


def _search(snapshots: FakeSnapshots, cache: FakeCellCache, per_round: int = 4) -> Search:
    policy = SearchPolicy(precision=6, cells_per_round=per_round)
    return Search(NearbyVehicles(cache, snapshots, policy), FakePrices())


def _query(radius: int, limit: int, vtype: VehicleType | None, dn: float = 0, de: float = 0):
    lat, lon = offset(*CENTER, dn, de)
    return SearchQuery(GeoPoint(lat=lat, lon=lon), vtype, radius, limit)


@settings(max_examples=60, deadline=None, database=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(0, 300),
    radius=st.integers(1, 3_000),
    limit=st.integers(1, 100),
    vtype=st.sampled_from([None, *VehicleType]),
    dn=st.floats(-1_000, 1_000),
    de=st.floats(-1_000, 1_000),
    per_round=st.integers(1, 12),
)
async def test_miss_and_hit_paths_both_equal_brute_force(
    seed: int,
    n: int,
    radius: int,
    limit: int,
    vtype: VehicleType | None,
    dn: float,
    de: float,
    per_round: int,
) -> None:
    snapshots, cache = _fleet(seed, n), FakeCellCache()
    nearby = NearbyVehicles(cache, snapshots, SearchPolicy(cells_per_round=per_round))
    query = _query(radius, limit, vtype, dn, de)
    expected = brute_force(snapshots.searchable(), query)

    cold = await nearby.find(query)
    warm = await nearby.find(query)

    assert cold == expected
    assert warm == expected


async def test_a_second_identical_search_is_served_from_the_cache() -> None:
    snapshots, cache = _fleet(1, 200), FakeCellCache()
    search = _search(snapshots, cache)
    await search_vehicles(search, query=_query(500, 20, VehicleType.SCOOTER))
    queries_after_first = snapshots.cell_queries
    await search_vehicles(search, query=_query(500, 20, VehicleType.SCOOTER))
    assert queries_after_first >= 1
    assert snapshots.cell_queries == queries_after_first


async def test_cache_unavailable_answers_the_same_from_postgis() -> None:
    snapshots, cache = _fleet(2, 200), FakeCellCache()
    search = _search(snapshots, cache)
    with_cache = await search_vehicles(search, query=_query(800, 30, None))
    cache.available = False
    without = await search_vehicles(search, query=_query(800, 30, None))
    assert without == with_cache
    assert snapshots.nearest_queries == 1


async def test_a_dense_area_is_answered_from_the_nearest_cells_only() -> None:
    snapshots = FakeSnapshots(
        [a_vehicle(lat=lat, lon=lon) for lat, lon in (offset(*CENTER, i, 0) for i in range(60))]
    )
    cache = FakeCellCache()
    nearby = NearbyVehicles(cache, snapshots, SearchPolicy(cells_per_round=1))
    found = await nearby.find(_query(3_000, 10, None))
    assert len(found) == 10
    assert len(cache.reads) < len(cells.covering_cells(*CENTER, 3_000, 6))


async def test_prices_are_attached_and_missing_when_pricing_is_down() -> None:
    snapshots, cache = _fleet(3, 100), FakeCellCache()
    search = _search(snapshots, cache)
    page = await search_vehicles(search, query=_query(1_000, 5, None))
    assert page.items
    assert all(item.price is not None for item in page.items)
    down = Search(search.nearby, FakePrices(down=True))
    page = await search_vehicles(down, query=_query(1_000, 5, None))
    assert page.items
    assert all(item.price is None for item in page.items)


async def test_items_carry_distance_battery_and_come_nearest_first() -> None:
    snapshots, cache = _fleet(4, 300), FakeCellCache()
    page = await search_vehicles(_search(snapshots, cache), query=_query(1_500, 50, None))
    distances = [item.distance_m for item in page.items]
    assert distances == sorted(distances)
    assert all(item.distance_m <= 1_500 for item in page.items)
    assert all(item.battery_pct >= 15 for item in page.items)


async def test_an_invalidated_cell_is_read_again_from_postgis() -> None:
    vehicle = a_vehicle()
    snapshots, cache = FakeSnapshots([vehicle]), FakeCellCache()
    nearby = NearbyVehicles(cache, snapshots, SearchPolicy())
    assert [s.id for _, s in await nearby.find(_query(100, 5, None))] == [str(vehicle.id)]
    snapshots.vehicles = []
    await cache.invalidate([("scooter", vehicle.position.lat, vehicle.position.lon)])
    assert await nearby.find(_query(100, 5, None)) == []


async def test_prewarm_refreshes_the_cells_riders_read() -> None:
    snapshots, cache = _fleet(5, 100), FakeCellCache()
    nearby = NearbyVehicles(cache, snapshots, SearchPolicy())
    await nearby.find(_query(500, 10, VehicleType.EBIKE))
    cache.store.clear()
    assert await nearby.prewarm(50) > 0
    assert cache.store
