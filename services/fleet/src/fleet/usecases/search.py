"""Search: nearest searchable vehicles, assembled from cached geohash cells, with prices.

The answer is defined as: every searchable vehicle within `radius_m` great-circle metres,
nearest first (ties by id), at most `limit`. Cells are read nearest first, a few per round
trip; a missed cell is filled from PostGIS and stored whole, and the exact distance filter and
sort run here, so a cache hit, a miss and a mix of both give the same answer. When the cache
cannot answer, PostGIS answers the same question directly (KNN on the GiST index).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

from contracts.api.common import PriceRead
from contracts.api.fleet import VehicleSearchItem, VehicleSearchPage
from contracts.types import GeoPoint, VehicleId, VehicleType

from fleet import cells
from fleet.domain import EARTH_RADIUS_M
from fleet.ports import (
    CellCache,
    CellKey,
    PriceSource,
    SearchQuery,
    Spot,
    SpotRow,
    VehicleSnapshots,
)

ALL_TYPES = tuple(t.value for t in VehicleType)
Found = tuple[float, Spot]


@dataclass(frozen=True)
class SearchPolicy:
    precision: int = 6
    cells_per_round: int = 3
    max_cells: int = 1_500


class NearbyVehicles:
    """The nearest-vehicles question, answered from the cell cache or from PostGIS."""

    def __init__(self, cache: CellCache, snapshots: VehicleSnapshots, policy: SearchPolicy) -> None:
        self._cache = cache
        self._snapshots = snapshots
        self._policy = policy

    async def find(self, query: SearchQuery) -> list[Found]:
        lat, lon, p = query.center.lat, query.center.lon, self._policy.precision
        if cells.estimated_cell_count(lat, lon, query.radius_m, p) > self._policy.max_cells:
            return await self._snapshots.nearest(query)
        covering = cells.covering_cells(lat, lon, query.radius_m, p)
        types = (query.vehicle_type.value,) if query.vehicle_type else ALL_TYPES
        start, size, best = 0, self._policy.cells_per_round, _Best(query)
        while start < len(covering):
            batch = covering[start : start + size]
            contents = await self._load([CellKey(c.geohash, t) for c in batch for t in types])
            if contents is None:
                return await self._snapshots.nearest(query)
            best.add(contents)
            start, size = start + size, size * 2  # dense areas stop early, sparse ones widen
            after = covering[start].min_distance_m if start < len(covering) else math.inf
            if best.complete(after):
                break
        return best.items()

    async def prewarm(self, n: int, *, chunk: int = 100) -> int:
        """Refresh the `n` most-read cells from PostGIS so they do not expire while busy
        (in chunks, so a big refresh never holds the event loop for long)."""
        keys = self._cache.hottest(n)
        refreshed = 0
        for start in range(0, len(keys), chunk):
            part = keys[start : start + chunk]
            read = await self._cache.read(part, record=False)
            if read is None:
                break
            fresh = await self._snapshots.cells(part, self._policy.precision)
            await self._cache.write(fresh, read)
            refreshed += len(fresh)
        return refreshed

    async def _load(self, keys: list[CellKey]) -> Mapping[CellKey, Sequence[SpotRow]] | None:
        read = await self._cache.read(keys)
        if read is None:
            return None
        found: dict[CellKey, Sequence[SpotRow]] = {
            key: rows for key, rows in read.cells.items() if rows is not None
        }
        missing = [key for key, spots in read.cells.items() if spots is None]
        if missing:
            fresh = await self._snapshots.cells(missing, self._policy.precision)
            await self._cache.write(fresh, read)
            found.update(fresh)
        return found


_RAD = math.pi / 180.0  # x * _RAD is exactly math.radians(x)
_TWO_R = 2 * EARTH_RADIUS_M


class _Best:
    """The nearest `limit` rows seen so far. The hot loop inlines domain.haversine_m (same
    operations, bit-identical results) behind a bounding-box pre-filter, and reads cached
    rows by index without building a Spot for each."""

    def __init__(self, query: SearchQuery) -> None:
        self._q = query
        self._found: dict[str, tuple[float, SpotRow]] = {}
        angular = query.radius_m / EARTH_RADIUS_M
        self._dlat = math.degrees(angular) * 1.001 + 1e-9
        ratio = math.sin(angular) / max(math.cos(math.radians(query.center.lat)), 1e-12)
        self._dlon = math.inf if ratio >= 1 else math.degrees(math.asin(ratio)) * 1.001 + 1e-9
        self._kept: list[tuple[float, SpotRow]] = []

    def add(self, contents: Mapping[CellKey, Sequence[SpotRow]]) -> None:
        lat, lon, radius, exclude = (
            self._q.center.lat, self._q.center.lon, self._q.radius_m, self._q.exclude
        )  # fmt: skip
        p1 = lat * _RAD
        cos_p1, sin, cos, dlat, dlon = math.cos(p1), math.sin, math.cos, self._dlat, self._dlon
        for rows in contents.values():
            for row in rows:
                row_lat, delta_lon = row[2], row[3] - lon
                if abs(row_lat - lat) > dlat or abs((delta_lon + 180.0) % 360.0 - 180.0) > dlon:
                    continue
                p2 = row_lat * _RAD
                h = sin((p2 - p1) / 2) ** 2 + cos_p1 * cos(p2) * sin(delta_lon * _RAD / 2) ** 2
                distance = _TWO_R * math.asin(min(1.0, math.sqrt(h)))
                if distance <= radius and row[0] not in exclude:
                    self._found[row[0]] = (distance, row)
        self._kept = heapq.nsmallest(self._q.limit, self._found.values())

    def complete(self, next_cell_distance_m: float) -> bool:
        """Nothing in an unread cell can be nearer than the `limit`-th row we have."""
        full = len(self._kept) >= self._q.limit
        return full and self._kept[-1][0] <= next_cell_distance_m

    def items(self) -> list[Found]:
        return [(distance, Spot(*row)) for distance, row in self._kept]


@dataclass(frozen=True)
class Search:
    """What a rider's search needs: nearby vehicles and their prices."""

    nearby: NearbyVehicles
    prices: PriceSource


async def search_vehicles(search: Search, *, query: SearchQuery) -> VehicleSearchPage:
    """The nearest searchable vehicles around a point, with prices when pricing answers."""
    found = await search.nearby.find(query)
    prices = await search.prices.prices([spot for _, spot in found]) if found else None
    return VehicleSearchPage(
        items=[_item(distance, spot, prices) for distance, spot in found],
        center=query.center,
        radius_m=query.radius_m,
        type=query.vehicle_type,
    )


def _item(
    distance: float, spot: Spot, prices: Mapping[VehicleId, PriceRead] | None
) -> VehicleSearchItem:
    vehicle_id = VehicleId(UUID(spot.id))
    return VehicleSearchItem(
        id=vehicle_id,
        type=VehicleType(spot.type),
        position=GeoPoint(lat=spot.lat, lon=spot.lon),
        distance_m=round(distance),
        battery_pct=spot.battery_pct,
        city=spot.city,
        zone_id=spot.zone_id,
        price=None if prices is None else prices.get(vehicle_id),
    )
