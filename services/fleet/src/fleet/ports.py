"""What the use cases need from the outside world, as protocols (fakes implement them in tests)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from contracts.api.common import PriceRead
from contracts.api.fleet import VehicleRead
from contracts.types import BookingId, GeoPoint, RiderId, VehicleId, VehicleType
from mobility_platform.ports import UnitOfWorkBase

from fleet.domain import Reservation, Vehicle, VehicleReport

# --- search read model ----------------------------------------------------------------------


class Spot(NamedTuple):
    """A searchable vehicle as the search path carries it (cheap to build, cache and sort)."""

    id: str
    type: str
    lat: float
    lon: float
    battery_pct: int
    city: str
    zone_id: str | None


SpotRow = Sequence[Any]
"""A Spot as cached: the same fields by position (a JSON array), not yet a Spot."""


class CellKey(NamedTuple):
    geohash: str
    type: str


@dataclass(frozen=True)
class CellRead:
    """One cache round trip: the cells found (None = miss) and their invalidation stamps."""

    cells: dict[CellKey, list[SpotRow] | None]
    stamps: dict[CellKey, bytes | None] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchQuery:
    center: GeoPoint
    vehicle_type: VehicleType | None
    radius_m: int
    limit: int
    exclude: frozenset[str] = frozenset()


class CellCache(Protocol):
    async def read(self, keys: Sequence[CellKey], *, record: bool = True) -> CellRead | None:
        """None when the cache is unavailable (down, slow, circuit open). `record=False`:
        not a rider's lookup (no hit/miss metrics, not counted as demand)."""
        ...

    async def write(self, cells: Mapping[CellKey, list[SpotRow]], read: CellRead) -> None:
        """Store cells unless invalidated since `read` (best effort)."""
        ...

    async def invalidate(self, points: Iterable[tuple[str, float, float]]) -> None:
        """Drop the cells holding these (type, lat, lon) points."""
        ...

    def hottest(self, n: int) -> list[CellKey]:
        """The most-read cells since the last call."""
        ...


class VehicleSnapshots(Protocol):
    """Read-only queries on the searchable fleet (PostGIS)."""

    async def cells(self, keys: Sequence[CellKey], precision: int) -> dict[CellKey, list[SpotRow]]:
        """The searchable vehicles of each cell (every requested key is in the answer)."""
        ...

    async def nearest(self, query: SearchQuery) -> list[tuple[float, Spot]]:
        """Direct KNN query, used when the cache cannot be."""
        ...


class PriceSource(Protocol):
    async def prices(self, spots: Sequence[Spot]) -> dict[VehicleId, PriceRead] | None:
        """Current prices, or None when pricing is unavailable."""
        ...


class FleetReads(Protocol):
    async def vehicle(self, vehicle_id: VehicleId) -> VehicleRead | None: ...


# --- commands to vehicles -------------------------------------------------------------------


class VehicleCommands(Protocol):
    """Raises VehicleTimeoutError, CommandRejectedError or GatewayUnavailableError."""

    async def unlock(self, vehicle_id: VehicleId, booking_id: BookingId) -> VehicleReport: ...

    async def lock(self, vehicle_id: VehicleId, booking_id: BookingId) -> VehicleReport: ...


# --- persistence ----------------------------------------------------------------------------


class VehicleRepository(Protocol):
    async def get(self, vehicle_id: VehicleId) -> Vehicle | None: ...

    async def get_for_update(self, vehicle_id: VehicleId) -> Vehicle | None: ...

    async def reserve(
        self,
        vehicle_id: VehicleId,
        *,
        booking_id: BookingId,
        rider_id: RiderId,
        hold_until: datetime,
    ) -> Vehicle | None:
        """One conditional UPDATE (only an available vehicle); None when no row matched."""
        ...

    async def save(self, vehicle: Vehicle, *, moved: bool = False) -> Vehicle:
        """Write the state; `moved` also recomputes the operating zone from the position."""
        ...

    async def list_expired_holds(self, now: datetime, limit: int) -> list[Vehicle]:
        """Reserved vehicles past hold_until, locked (skipping rows others hold)."""
        ...


class ReservationRepository(Protocol):
    async def get(
        self, vehicle_id: VehicleId, booking_id: BookingId, *, for_update: bool = False
    ) -> Reservation | None: ...

    async def save(self, reservation: Reservation) -> None: ...


class AbstractUnitOfWork(UnitOfWorkBase, Protocol):
    @property
    def vehicles(self) -> VehicleRepository: ...

    @property
    def reservations(self) -> ReservationRepository: ...

    def invalidate(self, *vehicles: Vehicle) -> None:
        """Drop the search cells of these vehicle states once the transaction commits."""
        ...
