"""In-memory fakes of fleet's own ports, for unit tests (no sockets, no sleeps)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self
from uuid import UUID, uuid4

from contracts.api.common import PriceRead
from contracts.envelope import Event
from contracts.types import (
    BookingId,
    GeoPoint,
    Money,
    RiderId,
    VehicleId,
    VehicleStatus,
    VehicleType,
)
from fleet import cells
from fleet.domain import (
    CommandFailedError,
    Reservation,
    Vehicle,
    VehicleReport,
    haversine_m,
)
from fleet.ports import CellKey, CellRead, SearchQuery, Spot
from mobility_platform import testing

T0 = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


class FakeClock(testing.FakeClock):
    def __init__(self, start: datetime = T0) -> None:
        super().__init__(start)


def a_vehicle(
    *,
    lat: float = 50.11,
    lon: float = 8.68,
    type: VehicleType = VehicleType.SCOOTER,
    status: VehicleStatus = VehicleStatus.AVAILABLE,
    battery_pct: int = 80,
    zone_id: str | None = "fra-c",
    **changes: Any,
) -> Vehicle:
    vehicle = Vehicle(
        id=VehicleId(uuid4()),
        type=type,
        status=status,
        position=GeoPoint(lat=lat, lon=lon),
        battery_pct=battery_pct,
        city="Frankfurt",
        zone_id=zone_id,
    )
    return replace(vehicle, **changes)


def held(vehicle: Vehicle, *, confirmed: bool = False, until: datetime | None = None) -> Vehicle:
    """The vehicle reserved by a fresh booking and rider."""
    return replace(
        vehicle,
        status=VehicleStatus.RESERVED,
        reserved_booking_id=BookingId(uuid4()),
        reserved_rider_id=RiderId(uuid4()),
        reservation_confirmed=confirmed,
        hold_until=until or T0 + timedelta(minutes=5),
    )


class FakeVehicleRepository:
    def __init__(self, zone_for: Callable[[GeoPoint], str | None] | None = None) -> None:
        self.rows: dict[VehicleId, Vehicle] = {}
        self.saves = 0
        self._zone_for = zone_for

    def add(self, *vehicles: Vehicle) -> None:
        for v in vehicles:
            self.rows[v.id] = v

    async def get(self, vehicle_id: VehicleId) -> Vehicle | None:
        return self.rows.get(vehicle_id)

    async def get_for_update(self, vehicle_id: VehicleId) -> Vehicle | None:
        return self.rows.get(vehicle_id)

    async def reserve(
        self,
        vehicle_id: VehicleId,
        *,
        booking_id: BookingId,
        rider_id: RiderId,
        hold_until: datetime,
    ) -> Vehicle | None:
        vehicle = self.rows.get(vehicle_id)
        if vehicle is None or vehicle.status is not VehicleStatus.AVAILABLE:
            return None
        vehicle = replace(
            vehicle,
            status=VehicleStatus.RESERVED,
            reserved_booking_id=booking_id,
            reserved_rider_id=rider_id,
            reservation_confirmed=False,
            hold_until=hold_until,
            version=vehicle.version + 1,
        )
        self.rows[vehicle_id] = vehicle
        return vehicle

    async def save(self, vehicle: Vehicle, *, moved: bool = False) -> Vehicle:
        self.saves += 1
        if moved and self._zone_for is not None:
            vehicle = replace(vehicle, zone_id=self._zone_for(vehicle.position))
        vehicle = replace(vehicle, version=vehicle.version + 1)
        self.rows[vehicle.id] = vehicle
        return vehicle

    async def list_expired_holds(self, now: datetime, limit: int) -> list[Vehicle]:
        expired = [
            v
            for v in self.rows.values()
            if v.status is VehicleStatus.RESERVED and v.hold_until and v.hold_until < now
        ]
        return sorted(expired, key=lambda v: v.hold_until or now)[:limit]


class FakeReservationRepository:
    def __init__(self) -> None:
        self.rows: dict[tuple[UUID, UUID], Reservation] = {}

    async def get(
        self, vehicle_id: VehicleId, booking_id: BookingId, *, for_update: bool = False
    ) -> Reservation | None:
        return self.rows.get((vehicle_id, booking_id))

    async def save(self, reservation: Reservation) -> None:
        self.rows[(reservation.vehicle_id, reservation.booking_id)] = reservation


class FakeOutbox:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def add(self, event: Event) -> object:
        self.events.append(event)
        return event


class FakeUnitOfWork:
    """Changes are visible at once (like the DB inside one transaction); tests assert on
    `committed`, `outbox.events` and `invalidated` (cells dropped after a commit)."""

    def __init__(self, clock: FakeClock | None = None) -> None:
        self.vehicles = FakeVehicleRepository()
        self.reservations = FakeReservationRepository()
        self.outbox = FakeOutbox()
        self.clock = clock or FakeClock()
        self.committed = 0
        self.invalidated: list[tuple[str, float, float]] = []
        self._pending_stale: list[tuple[str, float, float]] = []

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._pending_stale = []

    async def commit(self) -> None:
        self.committed += 1
        self.invalidated += self._pending_stale
        self._pending_stale = []

    def invalidate(self, *vehicles: Vehicle) -> None:
        self._pending_stale += [(v.type.value, v.position.lat, v.position.lon) for v in vehicles]

    def event_types(self) -> list[str]:
        return [type(e).__name__ for e in self.outbox.events]


class FakeCommands:
    """Scripted vehicle answers: a report, or an exception to raise."""

    def __init__(self) -> None:
        self.unlock_outcome: VehicleReport | CommandFailedError | None = None
        self.lock_outcome: VehicleReport | CommandFailedError | None = None
        self.sent: list[tuple[str, VehicleId, BookingId]] = []

    async def unlock(self, vehicle_id: VehicleId, booking_id: BookingId) -> VehicleReport:
        self.sent.append(("unlock", vehicle_id, booking_id))
        return self._answer(self.unlock_outcome)

    async def lock(self, vehicle_id: VehicleId, booking_id: BookingId) -> VehicleReport:
        self.sent.append(("lock", vehicle_id, booking_id))
        return self._answer(self.lock_outcome)

    @staticmethod
    def _answer(outcome: VehicleReport | CommandFailedError | None) -> VehicleReport:
        if isinstance(outcome, CommandFailedError):
            raise outcome
        assert outcome is not None, "script the command outcome first"
        return outcome


def spot_of(vehicle: Vehicle) -> Spot:
    p = vehicle.position
    return Spot(
        str(vehicle.id), vehicle.type.value, p.lat, p.lon, vehicle.battery_pct, vehicle.city,
        vehicle.zone_id,
    )  # fmt: skip


@dataclass
class FakeSnapshots:
    """The 'database' of the search path: brute force over a list of vehicles."""

    vehicles: list[Vehicle] = field(default_factory=list)
    min_battery_pct: int = 15
    cell_queries: int = 0
    nearest_queries: int = 0

    def searchable(self) -> list[Vehicle]:
        return [v for v in self.vehicles if v.searchable(self.min_battery_pct)]

    async def cells(self, keys: Sequence[CellKey], precision: int) -> dict[CellKey, list[Spot]]:
        self.cell_queries += 1
        out: dict[CellKey, list[Spot]] = {k: [] for k in keys}
        for v in self.searchable():
            key = CellKey(cells.cell_of(v.position.lat, v.position.lon, precision), v.type.value)
            if key in out:
                out[key].append(spot_of(v))
        return out

    async def nearest(self, query: SearchQuery) -> list[tuple[float, Spot]]:
        self.nearest_queries += 1
        return brute_force(self.searchable(), query)


def brute_force(vehicles: Iterable[Vehicle], query: SearchQuery) -> list[tuple[float, Spot]]:
    c = query.center
    found = []
    for v in vehicles:
        if query.vehicle_type is not None and v.type is not query.vehicle_type:
            continue
        if str(v.id) in query.exclude:
            continue
        d = haversine_m(c.lat, c.lon, v.position.lat, v.position.lon)
        if d <= query.radius_m:
            found.append((d, spot_of(v)))
    found.sort()
    return found[: query.limit]


class FakeCellCache:
    def __init__(self, precision: int = 6) -> None:
        self.store: dict[CellKey, list[Spot]] = {}
        self.stamps: dict[CellKey, int] = {}
        self.available = True
        self.reads: list[list[CellKey]] = []
        self.hot: list[CellKey] = []
        self.precision = precision

    async def read(self, keys: Sequence[CellKey], *, record: bool = True) -> CellRead | None:
        if not self.available:
            return None
        if record:
            self.reads.append(list(keys))
            self.hot += keys
        return CellRead(
            cells={k: self.store.get(k) for k in keys},
            stamps={k: str(self.stamps.get(k, 0)).encode() for k in keys},
        )

    async def write(self, contents: Mapping[CellKey, list[Spot]], read: CellRead) -> None:
        if not self.available:
            return
        for key, spots in contents.items():
            if read.stamps.get(key) == str(self.stamps.get(key, 0)).encode():
                self.store[key] = list(spots)

    async def invalidate(self, points: Iterable[tuple[str, float, float]]) -> None:
        for vtype, lat, lon in points:
            key = CellKey(cells.cell_of(lat, lon, self.precision), vtype)
            self.stamps[key] = self.stamps.get(key, 0) + 1
            self.store.pop(key, None)

    def hottest(self, n: int) -> list[CellKey]:
        top, self.hot = list(dict.fromkeys(self.hot))[:n], []
        return top


class FakePrices:
    def __init__(self, *, down: bool = False) -> None:
        self.down = down
        self.asked: list[int] = []

    async def prices(self, spots: Sequence[Spot]) -> dict[VehicleId, PriceRead] | None:
        self.asked.append(len(spots))
        if self.down:
            return None
        price = PriceRead(
            unlock_fee=Money(amount_minor=100, currency="EUR"),
            per_minute=Money(amount_minor=25, currency="EUR"),
        )
        return {VehicleId(UUID(s.id)): price for s in spots}


def report_at(
    lat: float, lon: float, *, battery: int = 70, odometer: int | None = 1_000, at: datetime = T0
) -> VehicleReport:
    return VehicleReport(GeoPoint(lat=lat, lon=lon), battery, odometer, at)


def offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    """A point `north_m` / `east_m` metres away (small distances)."""
    dlat = math.degrees(north_m / 6_371_008.7714)
    dlon = math.degrees(east_m / (6_371_008.7714 * math.cos(math.radians(lat))))
    return lat + dlat, lon + dlon
