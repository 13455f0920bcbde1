"""Surge: a bounded, smoothed multiplier per zone from demand and supply, x a time-of-day factor.

Per zone and vehicle type, every recalculation:

    demand   = w_search * searches + w_quote * quotes + w_booking * bookings   (recent window)
    pressure = demand / (available + 1)
    target   = clamp(1 + sensitivity * max(0, pressure - threshold), min, max)
    level    = level + smoothing * (target - level)          (EWMA, kept to 4 decimals)
    zone multiplier = round(level, 2)

Unknown supply (fleet down or not there) drops the zone straight to `min` (1.0): we never surge
on a guess. At request time the rider's multiplier is clamp(round(zone * time_of_day, 2), min, max).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from pricing.domain.money import ONE, clamp, quantize
from pricing.domain.rules import ZoneKey

LEVEL_STEP = Decimal("0.0001")

ZoneCounts = dict[ZoneKey, int]
"""A demand signal: how many searches, quotes or bookings each zone saw."""


@dataclass(frozen=True)
class TimeBand:
    """Local hours [start_hour, end_hour) get `factor`; start > end wraps past midnight."""

    start_hour: int
    end_hour: int
    factor: Decimal

    def covers(self, hour: int) -> bool:
        if self.start_hour <= self.end_hour:
            return self.start_hour <= hour < self.end_hour
        return hour >= self.start_hour or hour < self.end_hour


@dataclass(frozen=True)
class SurgePolicy:
    min_multiplier: Decimal = Decimal("1.0")
    max_multiplier: Decimal = Decimal("2.5")
    smoothing: Decimal = Decimal("0.3")
    threshold: Decimal = Decimal("1.0")
    sensitivity: Decimal = Decimal("0.5")
    search_weight: Decimal = Decimal(1)
    quote_weight: Decimal = Decimal(3)
    booking_weight: Decimal = Decimal(5)
    time_bands: Sequence[TimeBand] = ()

    def bound(self, value: Decimal) -> Decimal:
        return clamp(value, self.min_multiplier, self.max_multiplier)


@dataclass(frozen=True)
class Demand:
    searches: int = 0
    quotes: int = 0
    bookings: int = 0

    def weighted(self, policy: SurgePolicy) -> Decimal:
        return (
            policy.search_weight * self.searches
            + policy.quote_weight * self.quotes
            + policy.booking_weight * self.bookings
        )


def target_multiplier(policy: SurgePolicy, demand: Demand, supply: int | None) -> Decimal:
    """Where the zone's multiplier is heading given its demand and available vehicles."""
    if supply is None:
        return policy.min_multiplier
    pressure = demand.weighted(policy) / (supply + 1)
    raw = ONE + policy.sensitivity * max(Decimal(0), pressure - policy.threshold)
    return policy.bound(raw)


def next_level(
    policy: SurgePolicy, previous: Decimal, demand: Demand, supply: int | None
) -> Decimal:
    """One EWMA step towards the target; unknown supply resets to the floor at once."""
    target = target_multiplier(policy, demand, supply)
    if supply is None:
        return target
    level = previous + policy.smoothing * (target - previous)
    return policy.bound(quantize(level, LEVEL_STEP))


def published(level: Decimal) -> Decimal:
    """The zone multiplier shown to riders (two decimals)."""
    return quantize(level)


def time_of_day_factor(policy: SurgePolicy, local: datetime) -> Decimal:
    """The first band covering the local hour, else 1."""
    for band in policy.time_bands:
        if band.covers(local.hour):
            return band.factor
    return ONE


def rider_multiplier(policy: SurgePolicy, zone_multiplier: Decimal, tod: Decimal) -> Decimal:
    """What the rider pays: zone surge times time of day, rounded to 0.01 and bounded."""
    return policy.bound(quantize(zone_multiplier * tod))


@dataclass(frozen=True)
class ZoneSurge:
    """A zone's surge state after a recalculation, with the signals that produced it."""

    key: ZoneKey
    level: Decimal
    demand: Demand
    supply: int | None
    updated_at: datetime

    @property
    def multiplier(self) -> Decimal:
        return published(self.level)


def recalculate_city(
    policy: SurgePolicy,
    *,
    previous: Mapping[ZoneKey, ZoneSurge],
    demand: Mapping[ZoneKey, Demand],
    supply: Mapping[ZoneKey, int] | None,
    now: datetime,
) -> list[ZoneSurge]:
    """One step for every zone with a state, demand or supply. `supply=None`: fleet unknown;
    a zone fleet did not list has no available vehicle."""
    keys = set(previous) | set(demand) | set(supply or {})
    result = []
    for key in sorted(keys):
        before = previous[key].level if key in previous else policy.min_multiplier
        zone_demand = demand.get(key, Demand())
        available = None if supply is None else supply.get(key, 0)
        level = next_level(policy, before, zone_demand, available)
        result.append(ZoneSurge(key, level, zone_demand, available, now))
    return result


def changed_cities(
    policy: SurgePolicy, previous: Mapping[ZoneKey, ZoneSurge], updated: Sequence[ZoneSurge]
) -> set[str]:
    """Cities where a multiplier riders see has changed (their cached prices are stale)."""
    floor = published(policy.min_multiplier)
    return {
        zone.key.city
        for zone in updated
        if zone.multiplier != (previous[zone.key].multiplier if zone.key in previous else floor)
    }


def surge_run_due(previous: datetime | None, *, now: datetime, interval: timedelta) -> bool:
    """Whether this replica should recalculate now. Another replica's run in the last 80 % of
    an interval counts; a "previous run" more than an interval in the future is a clock jump."""
    if previous is None:
        return True
    return not (now - interval * 0.8 < previous <= now + interval)
