"""What the use cases need from the outside world besides the database (fakes in unit tests)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from contracts.api.common import PriceRead

from pricing import domain


@dataclass
class CachedPrices:
    hits: dict[domain.PriceKey, PriceRead] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    """city_key -> the cache version the lookup read (store() writes under it)."""


class PriceCache(Protocol):
    """Current prices per (city, zone, type, time-of-day factor); never the source of truth."""

    async def lookup(
        self, keys: Collection[domain.PriceKey], *, tods: Mapping[str, Decimal], now: datetime
    ) -> CachedPrices:
        """Cached prices, counting one search per zone in the same round trip."""
        ...

    async def store(
        self,
        prices: Mapping[domain.PriceKey, PriceRead],
        *,
        tods: Mapping[str, Decimal],
        cached: CachedPrices,
        valid_for: timedelta | None = None,
    ) -> None:
        """Cache prices under the versions `lookup` read, for at most `valid_for` (a scheduled
        rule version takes effect then)."""
        ...

    async def invalidate(self, city_keys: Collection[str]) -> None: ...

    async def search_counts(self, since: datetime, until: datetime) -> domain.ZoneCounts: ...


class SupplySource(Protocol):
    async def zone_supply(self, city: str) -> dict[domain.ZoneKey, int] | None:
        """Available vehicles per zone and type in a city; None when it cannot be known now."""
        ...
