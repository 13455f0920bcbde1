"""In-memory fakes of pricing's ports, for unit tests of the use cases (no I/O)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import TracebackType
from typing import Self
from uuid import UUID

from contracts.api.common import PriceRead
from contracts.types import BookingId
from mobility_platform import testing
from pricing import domain
from pricing.usecases import CachedPrices


class FakeClock(testing.FakeClock):
    def __init__(self, start: datetime = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)) -> None:
        super().__init__(start)


class FakeRules:
    def __init__(self) -> None:
        self.rules: list[domain.PriceRule] = []

    async def in_force(self, city_keys: Collection[str], at: datetime) -> list[domain.PriceRule]:
        return [r for r in self.rules if r.city_key in city_keys and r.valid_from <= at]

    async def in_force_and_scheduled(self, city_key: str, at: datetime) -> list[domain.PriceRule]:
        return [r for r in self.rules if r.city_key == city_key]

    async def cities(self) -> dict[str, str]:
        return {r.city_key: r.city for r in self.rules}

    async def next_change(self, city_keys: Collection[str], after: datetime) -> datetime | None:
        later = [
            r.valid_from for r in self.rules if r.city_key in city_keys and r.valid_from > after
        ]
        return min(later, default=None)

    async def add(self, rule: domain.PriceRule, *, if_absent: bool = False) -> bool:
        same = [
            r
            for r in self.rules
            if (r.city_key, r.vehicle_type, r.valid_from)
            == (rule.city_key, rule.vehicle_type, rule.valid_from)
        ]
        if same:
            assert if_absent, "unique violation"
            return False
        self.rules.append(rule)
        return True


class FakeQuotes:
    def __init__(self) -> None:
        self.quotes: dict[UUID, domain.Quote] = {}

    async def get(self, quote_id: UUID) -> domain.Quote | None:
        return self.quotes.get(quote_id)

    async def get_for_update(self, quote_id: UUID) -> domain.Quote | None:
        return self.quotes.get(quote_id)

    async def add(self, quote: domain.Quote) -> None:
        self.quotes[quote.id] = quote

    async def set_booking(self, quote: domain.Quote, *, locked_at: datetime) -> None:
        self.quotes[quote.id] = replace(self.quotes[quote.id], booking_id=quote.booking_id)

    async def latest_for_vehicle(self, vehicle_id: UUID, since: datetime) -> domain.Quote | None:
        mine = [q for q in self.quotes.values() if q.vehicle_id == vehicle_id]
        return max(mine, key=lambda q: q.created_at, default=None)

    async def counts_since(self, since: datetime) -> domain.ZoneCounts:
        counts: domain.ZoneCounts = {}
        for q in self.quotes.values():
            if q.zone_id is not None and q.created_at >= since:
                key = domain.ZoneKey(domain.city_key(q.city), q.zone_id, q.vehicle_type)
                counts[key] = counts.get(key, 0) + 1
        return counts


class FakeSurges:
    def __init__(self) -> None:
        self.zones: dict[domain.ZoneKey, domain.ZoneSurge] = {}
        self.ran_at: datetime | None = None

    async def multipliers(self, keys: Iterable[domain.ZoneKey]) -> dict[domain.ZoneKey, Decimal]:
        return {k: self.zones[k].multiplier for k in keys if k in self.zones}

    async def for_city(self, city_key: str) -> dict[domain.ZoneKey, domain.ZoneSurge]:
        return {k: z for k, z in self.zones.items() if k.city == city_key}

    async def save(self, zones: Collection[domain.ZoneSurge]) -> None:
        self.zones.update({z.key: z for z in zones})

    async def last_run_for_update(self) -> datetime | None:
        return self.ran_at

    async def mark_run(self, at: datetime) -> None:
        self.ran_at = at


class FakeBookingDemand:
    def __init__(self) -> None:
        self.bookings: dict[BookingId, tuple[domain.ZoneKey, datetime]] = {}

    async def add(self, booking_id: BookingId, key: domain.ZoneKey, occurred_at: datetime) -> None:
        self.bookings.setdefault(booking_id, (key, occurred_at))

    async def counts_since(self, since: datetime) -> domain.ZoneCounts:
        counts: domain.ZoneCounts = {}
        for key, at in self.bookings.values():
            if at >= since:
                counts[key] = counts.get(key, 0) + 1
        return counts


class FakeUnitOfWork:
    def __init__(self, clock: FakeClock | None = None) -> None:
        self.clock = clock or FakeClock()
        self.rules = FakeRules()
        self.quotes = FakeQuotes()
        self.surges = FakeSurges()
        self.booking_demand = FakeBookingDemand()
        self.commits = 0

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        self.commits += 1


@dataclass
class FakeCache:
    prices: dict[tuple[domain.PriceKey, Decimal], PriceRead] = field(default_factory=dict)
    searches: domain.ZoneCounts = field(default_factory=dict)
    invalidated: list[str] = field(default_factory=list)

    async def lookup(
        self, keys: Collection[domain.PriceKey], *, tods: Mapping[str, Decimal], now: datetime
    ) -> CachedPrices:
        for zone in {k.zone for k in keys if k.zone is not None}:
            assert zone is not None
            self.searches[zone] = self.searches.get(zone, 0) + 1
        hits = {k: self.prices[(k, tods[k.city])] for k in keys if (k, tods[k.city]) in self.prices}
        return CachedPrices(hits=hits)

    async def store(
        self,
        prices: Mapping[domain.PriceKey, PriceRead],
        *,
        tods: Mapping[str, Decimal],
        cached: CachedPrices,
        valid_for: timedelta | None = None,
    ) -> None:
        self.prices.update({(k, tods[k.city]): p for k, p in prices.items()})

    async def invalidate(self, city_keys: Collection[str]) -> None:
        self.invalidated.extend(city_keys)
        self.prices = {k: p for k, p in self.prices.items() if k[0].city not in city_keys}

    async def search_counts(self, since: datetime, until: datetime) -> domain.ZoneCounts:
        return dict(self.searches)


@dataclass
class FakeSupply:
    """Available vehicles per zone; a city missing from `by_city` means fleet is down for it."""

    by_city: dict[str, dict[domain.ZoneKey, int]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    async def zone_supply(self, city: str) -> dict[domain.ZoneKey, int] | None:
        self.asked.append(city)
        return self.by_city.get(domain.city_key(city))
