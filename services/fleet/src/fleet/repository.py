"""Rows <-> domain objects for vehicles and reservations. Never commits (the UoW does)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from contracts.types import (
    BookingId,
    GeoPoint,
    RiderId,
    VehicleId,
    VehicleStatus,
    VehicleType,
)
from geoalchemy2 import Geography, Geometry
from sqlalchemy import ColumnElement, cast, func, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.db import reservations, vehicles, zones
from fleet.domain import Reservation, TripEnd, TripStart, Vehicle

V = vehicles.c

LAT = func.ST_Y(cast(V.position, Geometry)).label("lat")
LON = func.ST_X(cast(V.position, Geometry)).label("lon")
VEHICLE_COLUMNS = (
    V.id,
    V.type,
    V.status,
    LAT,
    LON,
    V.battery_pct,
    V.city,
    V.zone_id,
    V.online,
    V.reserved_booking_id,
    V.reserved_rider_id,
    V.reservation_confirmed,
    V.hold_until,
    V.last_seen_at,
    V.odometer_m,
    V.version,
)


def point(lat: float, lon: float) -> ColumnElement[Any]:
    """A geography point from two float parameters (never a WKT string: asyncpg types it
    varchar and PostGIS finds no matching function)."""
    return cast(
        func.ST_SetSRID(func.ST_MakePoint(float(lon), float(lat)), 4326),
        Geography("POINT", srid=4326),
    )


def operating_zone_at(position: ColumnElement[Any]) -> Any:
    """The operating area covering a position (first by id when areas overlap), or NULL."""
    return (
        select(zones.c.id)
        .where(zones.c.kind == "operating", func.ST_Covers(zones.c.area, position))
        .order_by(zones.c.id)
        .limit(1)
        .scalar_subquery()
    )


def vehicle_from_row(row: Any) -> Vehicle:
    m = row._mapping
    return Vehicle(
        id=VehicleId(m["id"]),
        type=VehicleType(m["type"]),
        status=VehicleStatus(m["status"]),
        position=GeoPoint(lat=m["lat"], lon=m["lon"]),
        battery_pct=m["battery_pct"],
        city=m["city"],
        zone_id=m["zone_id"],
        online=m["online"],
        reserved_booking_id=m["reserved_booking_id"],
        reserved_rider_id=m["reserved_rider_id"],
        reservation_confirmed=m["reservation_confirmed"],
        hold_until=m["hold_until"],
        last_seen_at=m["last_seen_at"],
        odometer_m=m["odometer_m"],
        version=m["version"],
    )


class SqlVehicleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, vehicle_id: VehicleId) -> Vehicle | None:
        row = (
            await self._session.execute(select(*VEHICLE_COLUMNS).where(V.id == vehicle_id))
        ).first()
        return None if row is None else vehicle_from_row(row)

    async def get_for_update(self, vehicle_id: VehicleId) -> Vehicle | None:
        query = select(*VEHICLE_COLUMNS).where(V.id == vehicle_id).with_for_update()
        row = (await self._session.execute(query)).first()
        return None if row is None else vehicle_from_row(row)

    async def reserve(
        self,
        vehicle_id: VehicleId,
        *,
        booking_id: BookingId,
        rider_id: RiderId,
        hold_until: datetime,
    ) -> Vehicle | None:
        stmt = (
            update(vehicles)
            .where(V.id == vehicle_id, V.status == VehicleStatus.AVAILABLE.value)
            .values(
                status=VehicleStatus.RESERVED.value,
                reserved_booking_id=booking_id,
                reserved_rider_id=rider_id,
                reservation_confirmed=False,
                hold_until=hold_until,
                version=V.version + 1,
                updated_at=func.now(),
            )
            .returning(*VEHICLE_COLUMNS)
        )
        row = (await self._session.execute(stmt)).first()
        return None if row is None else vehicle_from_row(row)

    async def save(self, vehicle: Vehicle, *, moved: bool = False) -> Vehicle:
        values: dict[str, Any] = {
            "status": vehicle.status.value,
            "online": vehicle.online,
            "battery_pct": vehicle.battery_pct,
            "reserved_booking_id": vehicle.reserved_booking_id,
            "reserved_rider_id": vehicle.reserved_rider_id,
            "reservation_confirmed": vehicle.reservation_confirmed,
            "hold_until": vehicle.hold_until,
            "last_seen_at": vehicle.last_seen_at,
            "odometer_m": vehicle.odometer_m,
            "version": V.version + 1,
            "updated_at": func.now(),
        }
        if moved:
            position = point(vehicle.position.lat, vehicle.position.lon)
            values["position"] = position
            values["zone_id"] = operating_zone_at(position)
        stmt = (
            update(vehicles)
            .where(V.id == vehicle.id)
            .values(**values)
            .returning(V.zone_id, V.version)
        )
        row = (await self._session.execute(stmt)).one()
        return replace(vehicle, zone_id=row.zone_id, version=row.version)

    async def list_expired_holds(self, now: datetime, limit: int) -> list[Vehicle]:
        query = (
            select(*VEHICLE_COLUMNS)
            # a literal, so the planner can use the partial index in generic plans too
            .where(V.status == literal_column("'reserved'"), V.hold_until < now)
            .order_by(V.hold_until)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [vehicle_from_row(row) for row in await self._session.execute(query)]


R = reservations.c


class SqlReservationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(
        self, vehicle_id: VehicleId, booking_id: BookingId, *, for_update: bool = False
    ) -> Reservation | None:
        query = select(reservations).where(R.vehicle_id == vehicle_id, R.booking_id == booking_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._session.execute(query)).first()
        return None if row is None else _reservation_from_row(row)

    async def save(self, reservation: Reservation) -> None:
        values = _reservation_values(reservation)
        keys = {"vehicle_id", "booking_id"}
        stmt = insert(reservations).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[R.vehicle_id, R.booking_id],
            set_={k: stmt.excluded[k] for k in values if k not in keys},
        )
        await self._session.execute(stmt)


def _reservation_values(r: Reservation) -> dict[str, Any]:
    start, end = r.trip_start, r.trip_end
    return {
        "vehicle_id": r.vehicle_id,
        "booking_id": r.booking_id,
        "rider_id": r.rider_id,
        "vehicle_type": r.vehicle_type.value,
        "state": r.state,
        "hold_until": r.hold_until,
        "reserved_at": r.reserved_at,
        "confirmed_at": r.confirmed_at,
        "released_at": r.released_at,
        "release_reason": r.release_reason,
        "unlocked_at": start and start.unlocked_at,
        "start_lat": start and start.position.lat,
        "start_lon": start and start.position.lon,
        "start_odometer_m": start and start.odometer_m,
        "locked_at": end and end.locked_at,
        "end_lat": end and end.position.lat,
        "end_lon": end and end.position.lon,
        "end_battery_pct": end and end.battery_pct,
        "distance_m": end and end.distance_m,
        "lock_acknowledged": end and end.acknowledged,
        "end_vehicle_status": end and end.vehicle_status.value,
    }


def _reservation_from_row(row: Any) -> Reservation:
    m = row._mapping
    start = end = None
    if m["unlocked_at"] is not None:
        start = TripStart(
            unlocked_at=m["unlocked_at"],
            position=GeoPoint(lat=m["start_lat"], lon=m["start_lon"]),
            odometer_m=m["start_odometer_m"],
        )
    if m["locked_at"] is not None:
        end = TripEnd(
            locked_at=m["locked_at"],
            position=GeoPoint(lat=m["end_lat"], lon=m["end_lon"]),
            battery_pct=m["end_battery_pct"],
            distance_m=m["distance_m"],
            acknowledged=m["lock_acknowledged"],
            vehicle_status=VehicleStatus(m["end_vehicle_status"]),
        )
    return Reservation(
        vehicle_id=m["vehicle_id"],
        booking_id=m["booking_id"],
        rider_id=m["rider_id"],
        vehicle_type=VehicleType(m["vehicle_type"]),
        state=m["state"],
        reserved_at=m["reserved_at"],
        hold_until=m["hold_until"],
        confirmed_at=m["confirmed_at"],
        released_at=m["released_at"],
        release_reason=m["release_reason"],
        trip_start=start,
        trip_end=end,
    )
