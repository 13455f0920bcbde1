"""Quote amounts, the lock rules, and fares: per-started-minute rounding and the cap."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from contracts.types import RiderId, VehicleId, VehicleType
from hypothesis import given
from hypothesis import strategies as st
from pricing import domain
from pricing_factories import T0, a_price, a_quote, booking_id

POLICY = domain.AuthorizationPolicy(
    min_extra_min=10,
    max_extra_min=120,
    assumed_speed_kmh={VehicleType.SCOOTER: 12, VehicleType.CAR: 25},
)


def locked(quote: domain.Quote) -> domain.Quote:
    return quote.lock(
        booking_id=booking_id(), rider_id=quote.rider_id, vehicle_id=quote.vehicle_id, now=T0
    )


def fare_for(quote: domain.Quote, *, seconds: float, distance_m: int = 0) -> domain.Fare:
    assert quote.booking_id is not None
    return quote.fare(
        booking_id=quote.booking_id,
        started_at=T0,
        ended_at=T0 + timedelta(seconds=seconds),
        distance_m=distance_m,
    )


def test_the_hold_covers_a_buffer_of_minutes_with_a_floor_and_a_cap() -> None:
    assert domain.authorized_minutes(POLICY, 5) == 15  # 3 extra -> floor 10
    assert domain.authorized_minutes(POLICY, 40) == 60  # 1.5 x
    assert domain.authorized_minutes(POLICY, 21) == 32  # ceil(10.5) = 11 extra
    assert domain.authorized_minutes(POLICY, 300) == 420  # 150 extra -> cap 120


def test_readme_worked_example() -> None:
    # Frankfurt scooter (unlock 1.00 EUR + 0.25/min) at 17:30 in zone "ffm-center": in the last
    # 10 min 12 searches, 2 quotes, 1 booking; fleet reports 6 scooters available there.
    policy = domain.SurgePolicy(time_bands=(domain.TimeBand(16, 19, Decimal("1.2")),))
    demand = domain.Demand(searches=12, quotes=2, bookings=1)
    assert demand.weighted(policy) == 23
    target = domain.target_multiplier(policy, demand, 6)  # 1 + 0.5 * (23 / 7 - 1)
    assert round(target, 4) == Decimal("2.1429")
    level = domain.next_level(policy, Decimal("1.0"), demand, 6)  # 1.0 + 0.3 * (target - 1.0)
    assert (level, domain.published(level)) == (Decimal("1.3429"), Decimal("1.34"))
    config = domain.PricingConfig(surge=policy)
    tod = config.time_of_day("frankfurt", datetime(2026, 11, 21, 16, 30, tzinfo=UTC))
    multiplier = domain.rider_multiplier(policy, domain.published(level), tod)
    assert (tod, multiplier) == (Decimal("1.2"), Decimal("1.61"))  # 1.34 x 1.2 = 1.608
    rule = domain.PriceRule(
        id=uuid.uuid4(),
        city="Frankfurt",
        vehicle_type=VehicleType.SCOOTER,
        currency="EUR",
        unlock_fee=100,
        per_minute=25,
        per_km=None,
        valid_from=T0,
    )
    price = domain.price_under(rule, multiplier)
    assert (price.unlock_fee, price.per_minute) == (100, 40)  # 25 x 1.61 = 40.25

    quote = locked(a_quote(price=price, estimated_min=15))
    assert quote.estimated_amount == 700  # 100 + 40 x 15
    assert quote.authorized_amount == 1100  # 100 + 40 x (15 + max(10, ceil(7.5)))
    assert quote.expires_at == T0 + timedelta(minutes=10)
    fare = fare_for(quote, seconds=17 * 60 + 5)
    assert (fare.minutes, fare.time_charge, fare.total, fare.capped) == (18, 720, 820, False)
    long_ride = fare_for(quote, seconds=31 * 60)
    assert (long_ride.time_charge, long_ride.total, long_ride.capped) == (1240, 1100, True)


def test_distance_rules_add_an_allowance_to_the_estimate_and_the_hold() -> None:
    price = a_price(unlock_fee=99, per_minute=33, per_km=19)
    quote = a_quote(price=price, estimated_min=30, policy=POLICY, vehicle_type=VehicleType.CAR)
    # 30 min at 25 km/h = 12.5 km -> 237.5 -> 238; hold: 45 min = 18.75 km -> 356.25 -> 356
    assert quote.estimated_amount == 99 + 33 * 30 + 238
    assert quote.authorized_amount == 99 + 33 * 45 + 356


@pytest.mark.parametrize(
    ("seconds", "minutes"),
    [(0, 1), (1, 1), (59.999, 1), (60, 1), (60.000001, 2), (61, 2), (600, 10), (3599, 60)],
)
def test_every_started_minute_counts_and_a_trip_is_at_least_one(
    seconds: float, minutes: int
) -> None:
    assert fare_for(locked(a_quote()), seconds=seconds).minutes == minutes


def test_distance_is_charged_pro_rata_rounded_half_up() -> None:
    quote = locked(a_quote(price=a_price(per_minute=30, per_km=19), estimated_min=60))
    fare = fare_for(quote, seconds=600, distance_m=2550)  # 48.45 -> 48
    assert fare.distance_charge == 48
    assert fare.total == 100 + 300 + 48
    no_km = fare_for(locked(a_quote()), seconds=600, distance_m=2550)
    assert no_km.distance_charge is None


def test_a_trip_that_ends_before_it_starts_is_rejected() -> None:
    quote = locked(a_quote())
    with pytest.raises(domain.InvalidTripWindowError):
        fare_for(quote, seconds=-1)


def test_a_fare_needs_the_quote_locked_to_that_booking() -> None:
    quote = a_quote()
    with pytest.raises(domain.QuoteNotLockedError):
        quote.fare(booking_id=booking_id(), started_at=T0, ended_at=T0, distance_m=0)
    with pytest.raises(domain.QuoteNotLockedError):
        locked(quote).fare(booking_id=booking_id(), started_at=T0, ended_at=T0, distance_m=0)


def test_a_quote_locks_to_one_booking_of_its_rider_and_vehicle() -> None:
    quote = a_quote()
    booking = booking_id()
    mine = {"rider_id": quote.rider_id, "vehicle_id": quote.vehicle_id}

    bound = quote.lock(booking_id=booking, now=T0, **mine)
    assert bound.booking_id == booking
    late = quote.expires_at + timedelta(hours=1)
    assert bound.lock(booking_id=booking, now=late, **mine) is bound  # idempotent, even later
    with pytest.raises(domain.QuoteAlreadyUsedError):
        bound.lock(booking_id=booking_id(), now=T0, **mine)
    with pytest.raises(domain.QuoteNotYoursError):
        quote.lock(
            booking_id=booking, rider_id=RiderId(uuid.uuid4()), vehicle_id=quote.vehicle_id, now=T0
        )
    with pytest.raises(domain.QuoteNotYoursError):
        quote.lock(
            booking_id=booking, rider_id=quote.rider_id, vehicle_id=VehicleId(uuid.uuid4()), now=T0
        )
    with pytest.raises(domain.QuoteExpiredError):
        quote.lock(booking_id=booking, now=quote.expires_at, **mine)


durations = st.integers(min_value=0, max_value=48 * 3600)
distances = st.integers(min_value=0, max_value=500_000)
quotes = st.builds(
    lambda unlock, per_minute, per_km, minutes: locked(
        a_quote(
            price=a_price(unlock_fee=unlock, per_minute=per_minute, per_km=per_km),
            estimated_min=minutes,
            policy=POLICY,
        )
    ),
    st.integers(0, 500),
    st.integers(0, 200),
    st.none() | st.integers(0, 100),
    st.integers(1, 24 * 60),
)


@given(quote=quotes, seconds=durations, distance=distances)
def test_a_fare_never_exceeds_the_authorized_amount(
    quote: domain.Quote, seconds: int, distance: int
) -> None:
    fare = fare_for(quote, seconds=seconds, distance_m=distance)
    assert 0 <= fare.total <= quote.authorized_amount
    uncapped = fare.unlock_fee + fare.time_charge + (fare.distance_charge or 0)
    assert fare.capped == (uncapped > quote.authorized_amount)
    assert fare.total == min(uncapped, quote.authorized_amount)


@given(quote=quotes, seconds=durations, more=durations, distance=distances, further=distances)
def test_a_fare_never_decreases_with_more_minutes_or_distance(
    quote: domain.Quote, seconds: int, more: int, distance: int, further: int
) -> None:
    base = fare_for(quote, seconds=seconds, distance_m=distance).total
    assert fare_for(quote, seconds=seconds + more, distance_m=distance).total >= base
    assert fare_for(quote, seconds=seconds, distance_m=distance + further).total >= base


@given(quote=quotes, seconds=durations, distance=distances)
def test_the_same_trip_always_gets_the_same_fare(
    quote: domain.Quote, seconds: int, distance: int
) -> None:
    assert fare_for(quote, seconds=seconds, distance_m=distance) == fare_for(
        quote, seconds=seconds, distance_m=distance
    )


@given(minutes=st.integers(1, 24 * 60))
def test_the_hold_is_never_below_the_estimate(minutes: int) -> None:
    quote = a_quote(price=a_price(per_km=19), estimated_min=minutes, policy=POLICY)
    assert quote.authorized_amount >= quote.estimated_amount
    fare = fare_for(locked(quote), seconds=minutes * 60)
    assert not fare.capped or fare.total == quote.authorized_amount
