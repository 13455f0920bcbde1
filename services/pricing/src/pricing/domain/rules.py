"""Price rules (versioned per city and vehicle type) and the price a rider sees under one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple
from uuid import UUID

from contracts.types import VehicleType

from pricing.domain.errors import InvalidPriceRuleError
from pricing.domain.money import round_half_up


def city_key(city: str) -> str:
    """How cities are matched: case- and whitespace-insensitive ("  frankfurt" == "Frankfurt")."""
    return " ".join(city.split()).casefold().replace("|", " ")


class ZoneKey(NamedTuple):
    """One surge cell: a zone of a city, for one vehicle type."""

    city: str
    """city_key() of the city."""
    zone_id: str
    vehicle_type: VehicleType


class PriceKey(NamedTuple):
    """Everything a current price depends on besides time: city, zone (optional) and type."""

    city: str
    """city_key() of the city."""
    zone_id: str | None
    vehicle_type: VehicleType

    @property
    def zone(self) -> ZoneKey | None:
        return None if self.zone_id is None else ZoneKey(self.city, self.zone_id, self.vehicle_type)


@dataclass(frozen=True)
class PriceRule:
    """One version of a tariff. Never edited: a change is a new version with a later valid_from."""

    id: UUID
    city: str
    """The city as ops wrote it; matched through city_key()."""
    vehicle_type: VehicleType
    currency: str
    unlock_fee: int
    per_minute: int
    per_km: int | None
    valid_from: datetime

    @property
    def city_key(self) -> str:
        return city_key(self.city)


def check_new_version(rule: PriceRule, *, now: datetime) -> None:
    """A new version may start now or later, never in the past (that would rewrite history)."""
    if rule.valid_from < now:
        raise InvalidPriceRuleError("valid_from must not be in the past.")
    if not rule.city_key:
        raise InvalidPriceRuleError("city must not be blank.")


def select_rule(
    rules: Iterable[PriceRule], *, city: str, vehicle_type: VehicleType, at: datetime
) -> PriceRule | None:
    """The version in force at `at`: the latest valid_from not after it."""
    key = city_key(city)
    candidates = [
        rule
        for rule in rules
        if rule.city_key == key and rule.vehicle_type == vehicle_type and rule.valid_from <= at
    ]
    return max(candidates, key=lambda rule: rule.valid_from, default=None)


@dataclass(frozen=True)
class Price:
    """Rates a rider pays right now: surge already applied to the per-minute and per-km rates."""

    currency: str
    unlock_fee: int
    per_minute: int
    per_km: int | None
    surge: Decimal


def price_under(rule: PriceRule, surge: Decimal) -> Price:
    """Apply a surge multiplier to a rule. The unlock fee is never surged."""
    return Price(
        currency=rule.currency,
        unlock_fee=rule.unlock_fee,
        per_minute=round_half_up(rule.per_minute * surge),
        per_km=None if rule.per_km is None else round_half_up(rule.per_km * surge),
        surge=surge,
    )
