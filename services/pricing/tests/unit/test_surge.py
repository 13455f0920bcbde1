"""Surge maths: bounds, monotonicity, smoothing, unknown supply, time of day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from contracts.types import VehicleType
from hypothesis import given
from hypothesis import strategies as st
from pricing import domain
from pricing_factories import T0

POLICY = domain.SurgePolicy(
    min_multiplier=Decimal("1.0"),
    max_multiplier=Decimal("2.5"),
    smoothing=Decimal("0.3"),
    threshold=Decimal("1.0"),
    sensitivity=Decimal("0.5"),
    time_bands=(
        domain.TimeBand(7, 10, Decimal("1.15")),
        domain.TimeBand(16, 19, Decimal("1.2")),
        domain.TimeBand(23, 2, Decimal("1.1")),
    ),
)
ZONE = domain.ZoneKey("frankfurt", "ffm-center", VehicleType.SCOOTER)
counts = st.integers(min_value=0, max_value=100_000)
levels = st.decimals(min_value=Decimal("1.0"), max_value=Decimal("2.5"), places=4)


@given(searches=counts, quotes=counts, bookings=counts, supply=st.none() | counts)
def test_target_is_always_within_the_bounds(
    searches: int, quotes: int, bookings: int, supply: int | None
) -> None:
    target = domain.target_multiplier(POLICY, domain.Demand(searches, quotes, bookings), supply)
    assert POLICY.min_multiplier <= target <= POLICY.max_multiplier


@given(searches=counts, extra=counts, supply=counts, fewer=counts)
def test_more_demand_or_less_supply_never_lowers_the_target(
    searches: int, extra: int, supply: int, fewer: int
) -> None:
    base = domain.target_multiplier(POLICY, domain.Demand(searches=searches), supply)
    busier = domain.target_multiplier(POLICY, domain.Demand(searches=searches + extra), supply)
    scarcer = domain.target_multiplier(
        POLICY, domain.Demand(searches=searches), max(0, supply - fewer)
    )
    assert busier >= base
    assert scarcer >= base


def test_no_surge_until_demand_per_available_vehicle_passes_the_threshold() -> None:
    # weighted demand 10 over 10 available (+1) = 0.91 < 1.0
    assert domain.target_multiplier(POLICY, domain.Demand(searches=10), 10) == 1
    # 3 searches + 3 quotes (9) + 2 bookings (10) = 22 / (3 + 1) = 5.5 -> 3.25 -> capped 2.5
    assert domain.target_multiplier(POLICY, domain.Demand(3, 3, 2), 3) == Decimal("2.5")
    # 15 searches / (4 + 1) = 3 -> 1 + 0.5 * 2 = 2.0
    assert domain.target_multiplier(POLICY, domain.Demand(searches=15), 4) == Decimal("2.0")


@given(previous=levels, searches=counts, supply=counts)
def test_a_smoothing_step_moves_towards_the_target_without_overshooting(
    previous: Decimal, searches: int, supply: int
) -> None:
    demand = domain.Demand(searches=searches)
    target = domain.target_multiplier(POLICY, demand, supply)
    level = domain.next_level(POLICY, previous, demand, supply)
    low, high = sorted([previous, target])
    assert low - Decimal("0.0001") <= level <= high + Decimal("0.0001")
    assert POLICY.min_multiplier <= level <= POLICY.max_multiplier


def test_smoothing_takes_a_fraction_of_the_gap_each_step_and_converges() -> None:
    demand, supply = domain.Demand(searches=15), 4  # target 2.0
    level = domain.next_level(POLICY, Decimal("1.0"), demand, supply)
    assert level == Decimal("1.3")  # 30 % of the way
    for _ in range(30):
        level = domain.next_level(POLICY, level, demand, supply)
    assert domain.published(level) == Decimal("2.00")


def test_unknown_supply_drops_to_the_floor_at_once() -> None:
    assert domain.next_level(POLICY, Decimal("2.3"), domain.Demand(searches=500), None) == 1


def test_time_of_day_bands_are_local_hours_and_may_wrap_midnight() -> None:
    def at(hour: int) -> datetime:
        return datetime(2026, 11, 21, hour, 30, tzinfo=UTC)

    assert domain.time_of_day_factor(POLICY, at(8)) == Decimal("1.15")
    assert domain.time_of_day_factor(POLICY, at(12)) == 1
    assert domain.time_of_day_factor(POLICY, at(18)) == Decimal("1.2")
    assert domain.time_of_day_factor(POLICY, at(23)) == Decimal("1.1")
    assert domain.time_of_day_factor(POLICY, at(1)) == Decimal("1.1")
    assert domain.time_of_day_factor(POLICY, at(2)) == 1


def test_time_of_day_uses_the_city_time_zone() -> None:
    config = domain.PricingConfig(surge=POLICY, city_timezones={"london": "Europe/London"})
    winter_0630_utc = datetime(2026, 11, 21, 6, 30, tzinfo=UTC)  # 07:30 in Berlin, 06:30 London
    assert config.time_of_day("frankfurt", winter_0630_utc) == Decimal("1.15")
    assert config.time_of_day("london", winter_0630_utc) == 1


def test_the_rider_multiplier_is_zone_times_time_of_day_rounded_and_capped() -> None:
    assert domain.rider_multiplier(POLICY, Decimal("1.30"), Decimal("1.15")) == Decimal("1.50")
    assert domain.rider_multiplier(POLICY, Decimal("2.40"), Decimal("1.2")) == Decimal("2.5")
    assert domain.rider_multiplier(POLICY, Decimal("1.00"), Decimal("1")) == 1


def test_recalculating_a_city_covers_every_zone_with_state_demand_or_supply() -> None:
    quiet = domain.ZoneKey("frankfurt", "ffm-west", VehicleType.SCOOTER)
    stocked = domain.ZoneKey("frankfurt", "ffm-east", VehicleType.EBIKE)
    previous = {quiet: domain.ZoneSurge(quiet, Decimal("1.5"), domain.Demand(), 0, T0)}

    zones = domain.recalculate_city(
        POLICY,
        previous=previous,
        demand={ZONE: domain.Demand(searches=15)},
        supply={ZONE: 4, stocked: 7},
        now=T0,
    )

    by_key = {zone.key: zone for zone in zones}
    assert by_key[ZONE].level == Decimal("1.3")
    assert by_key[quiet].supply == 0  # fleet did not list it: nothing available
    assert by_key[quiet].level == Decimal("1.35")  # decays towards 1.0
    assert by_key[stocked].level == 1
    assert domain.changed_cities(POLICY, previous, zones) == {"frankfurt"}
    unchanged = [domain.ZoneSurge(stocked, Decimal("1.0"), domain.Demand(), 7, T0)]
    assert domain.changed_cities(POLICY, {}, unchanged) == set()


def test_one_replica_recalculates_per_interval_and_a_clock_jump_does_not_block_it() -> None:
    interval = timedelta(seconds=15)
    assert domain.surge_run_due(None, now=T0, interval=interval)
    assert not domain.surge_run_due(T0 - timedelta(seconds=5), now=T0, interval=interval)
    assert domain.surge_run_due(T0 - timedelta(seconds=13), now=T0, interval=interval)
    assert not domain.surge_run_due(T0 + timedelta(seconds=1), now=T0, interval=interval)
    assert domain.surge_run_due(T0 + timedelta(hours=1), now=T0, interval=interval)
