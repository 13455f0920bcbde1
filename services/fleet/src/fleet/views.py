"""Read-only queries: search snapshots for the cache, the internal listing and zone supply.

Reads skip the domain and the unit of work (SQL-first): one pooled connection, no transaction
beyond the statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pygeohash
from contracts.api.fleet import VehiclePage, VehicleRead, ZoneSupplyItem, ZoneSupplyRead
from contracts.types import GeoPoint, VehicleId, VehicleType
from sqlalchemy import and_, bindparam, column, func, literal_column, select, values
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet import cells
from fleet.db import vehicles, zones
from fleet.domain import haversine_m
from fleet.ports import CellKey, SearchQuery, Spot, SpotRow
from fleet.repository import VEHICLE_COLUMNS, vehicle_from_row

V = vehicles.c
ALL_TYPES = tuple(t.value for t in VehicleType)
_ENVELOPE_PAD_DEG = 1e-4
"""Geography boxes follow great circles, not parallels: pad each cell's envelope (then keep
only rows whose geohash is the cell's) so no vehicle on an edge is missed."""
_KNN_SLACK = 8
"""Extra KNN rows so near-ties reorder identically to the cache path after re-sorting."""


def _searchable(min_battery_pct: int, types: Sequence[str]) -> Any:
    """The searchable predicate for SQLAlchemy queries (zone supply)."""
    return and_(
        # literal: the planner sees the same predicate in generic plans
        V.status == literal_column("'available'"),
        V.battery_pct >= min_battery_pct,
        V.zone_id.is_not(None),
        V.type.in_(types),
    )


_SEARCHABLE = (
    "v.status = 'available' AND v.battery_pct >= $1 AND v.zone_id IS NOT NULL"
    " AND v.type = ANY($2::text[])"
)
_SPOT_SQL = (
    "v.id::text, v.type, ST_Y(v.position::geometry), ST_X(v.position::geometry),"
    " v.battery_pct, v.city, v.zone_id"
)
_CELLS_SQL = f"""
SELECT DISTINCT {_SPOT_SQL}
FROM unnest($3::float8[], $4::float8[], $5::float8[], $6::float8[]) AS b(w, s, e, n)
JOIN vehicles v ON v.position && ST_MakeEnvelope(b.w, b.s, b.e, b.n, 4326)::geography
WHERE {_SEARCHABLE}
"""
_NEAREST_SQL = f"""
SELECT {_SPOT_SQL}
FROM vehicles v
WHERE {_SEARCHABLE}
  AND ST_DWithin(v.position, ST_SetSRID(ST_MakePoint($3, $4), 4326)::geography, $5, false)
ORDER BY v.position <-> ST_SetSRID(ST_MakePoint($3, $4), 4326)::geography
LIMIT $6
"""


class SearchSnapshots:
    """PostGIS side of search: whole cells for the cache, and a direct KNN when it is down.

    The hot path of a cache miss: hand-written SQL on the pooled asyncpg connection (prepared
    and cached per connection), rows read by position. SQLAlchemy's row processing cost more
    than the query itself (about 10 us a row, a dense cell has hundreds)."""

    def __init__(self, engine: AsyncEngine, *, min_battery_pct: int) -> None:
        self._engine = engine
        self._min_battery = min_battery_pct

    async def _fetch(self, sql: str, *args: Any) -> list[Any]:
        async with self._engine.connect() as conn:
            raw = await conn.get_raw_connection()
            rows: list[Any] = await raw.driver_connection.fetch(sql, *args)  # type: ignore[union-attr]
            return rows

    async def cells(self, keys: Sequence[CellKey], precision: int) -> dict[CellKey, list[SpotRow]]:
        out: dict[CellKey, list[SpotRow]] = {key: [] for key in keys}
        if not keys:
            return out
        boxes = [pygeohash.get_bounding_box(g) for g in sorted({k.geohash for k in keys})]
        pad = _ENVELOPE_PAD_DEG
        rows = await self._fetch(
            _CELLS_SQL,
            self._min_battery,
            sorted({k.type for k in keys}),
            [b.min_lon - pad for b in boxes],
            [b.min_lat - pad for b in boxes],
            [b.max_lon + pad for b in boxes],
            [b.max_lat + pad for b in boxes],
        )
        encode = cells.cell_of
        for row in rows:
            bucket = out.get(CellKey(encode(row[2], row[3], precision), row[1]))
            if bucket is not None:
                bucket.append(tuple(row))
        return out

    async def nearest(self, query: SearchQuery) -> list[tuple[float, Spot]]:
        types = [query.vehicle_type.value] if query.vehicle_type else list(ALL_TYPES)
        lat, lon = query.center.lat, query.center.lon
        rows = await self._fetch(
            _NEAREST_SQL,
            self._min_battery,
            types,
            lon,
            lat,
            query.radius_m + 1.0,
            query.limit + len(query.exclude) + _KNN_SLACK,
        )
        found = []
        for row in rows:
            distance = haversine_m(lat, lon, row[2], row[3])
            if distance <= query.radius_m and row[0] not in query.exclude:
                found.append((distance, Spot(*row)))
        found.sort()
        return found[: query.limit]


class FleetViews:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def vehicle(self, vehicle_id: VehicleId) -> VehicleRead | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(*VEHICLE_COLUMNS).where(V.id == vehicle_id))).first()
        return None if row is None else _vehicle_read(row)

    async def vehicle_page(self, *, city: str | None, offset: int, limit: int) -> VehiclePage:
        query = select(*VEHICLE_COLUMNS).order_by(V.city, V.id).offset(offset).limit(limit)
        count = select(func.count()).select_from(vehicles)
        if city is not None:
            query, count = query.where(V.city == city), count.where(V.city == city)
        async with self._engine.connect() as conn:
            total = (await conn.execute(count)).scalar_one()
            rows = (await conn.execute(query)).all()
        items = [_vehicle_read(row) for row in rows]
        return VehiclePage(items=items, total=total, limit=limit, offset=offset)

    async def zone_supply(
        self, *, city: str | None, min_battery_pct: int, now: datetime
    ) -> ZoneSupplyRead:
        """Searchable vehicles per operating zone and type, zeros included."""
        kinds = values(column("vehicle_type", vehicles.c.type.type), name="kinds").data(
            [(t,) for t in ALL_TYPES]
        )
        supply = (
            select(V.zone_id, V.type, func.count().label("n"))
            .where(_searchable(min_battery_pct, ALL_TYPES))
            .group_by(V.zone_id, V.type)
            .subquery()
        )
        query = (
            select(zones.c.city, zones.c.id, kinds.c.vehicle_type, func.coalesce(supply.c.n, 0))
            .select_from(zones.join(kinds, literal_column("true")))
            .outerjoin(
                supply,
                and_(supply.c.zone_id == zones.c.id, supply.c.type == kinds.c.vehicle_type),
            )
            .where(zones.c.kind == "operating")
            .order_by(zones.c.city, zones.c.id, kinds.c.vehicle_type)
        )
        if city is not None:
            query = query.where(zones.c.city == bindparam("city", city))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        items = [
            ZoneSupplyItem(city=c, zone_id=z, vehicle_type=VehicleType(t), available=n)
            for c, z, t, n in rows
        ]
        return ZoneSupplyRead(items=items, as_of=now)


def _vehicle_read(row: Any) -> VehicleRead:
    vehicle = vehicle_from_row(row)
    return VehicleRead(
        id=vehicle.id,
        type=vehicle.type,
        status=vehicle.status,
        position=GeoPoint(lat=vehicle.position.lat, lon=vehicle.position.lon),
        battery_pct=vehicle.battery_pct,
        city=vehicle.city,
        zone_id=vehicle.zone_id,
        last_seen_at=vehicle.last_seen_at,
    )
