"""Rule selection (versions, cities) and how surge turns a rule into a rider's price."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from contracts.types import VehicleType
from pricing import domain
from pricing_factories import T0, a_rule


def test_the_latest_version_not_after_the_time_is_in_force() -> None:
    old = a_rule(per_minute=20, valid_from=T0 - timedelta(days=10))
    current = a_rule(per_minute=25, valid_from=T0 - timedelta(days=1))
    scheduled = a_rule(per_minute=30, valid_from=T0 + timedelta(hours=1))
    rules = [scheduled, old, current]

    assert (
        domain.select_rule(rules, city="Frankfurt", vehicle_type=VehicleType.SCOOTER, at=T0)
        == current
    )
    later = T0 + timedelta(hours=1)
    assert (
        domain.select_rule(rules, city="Frankfurt", vehicle_type=VehicleType.SCOOTER, at=later)
        == scheduled
    )


def test_cities_match_whatever_their_case_and_spacing() -> None:
    rule = a_rule(city="Frankfurt")
    for spelling in ["frankfurt", "  FRANKFURT ", "Frankfurt"]:
        assert domain.select_rule([rule], city=spelling, vehicle_type=VehicleType.SCOOTER, at=T0)


def test_no_rule_for_another_city_type_or_before_the_first_version() -> None:
    rule = a_rule(city="Frankfurt", vehicle_type=VehicleType.SCOOTER)
    assert (
        domain.select_rule([rule], city="Berlin", vehicle_type=VehicleType.SCOOTER, at=T0) is None
    )
    assert domain.select_rule([rule], city="Frankfurt", vehicle_type=VehicleType.CAR, at=T0) is None
    before = rule.valid_from - timedelta(seconds=1)
    assert (
        domain.select_rule([rule], city="Frankfurt", vehicle_type=VehicleType.SCOOTER, at=before)
        is None
    )


def test_surge_multiplies_the_time_and_distance_rates_but_never_the_unlock_fee() -> None:
    rule = a_rule(unlock_fee=100, per_minute=25, per_km=19)

    price = domain.price_under(rule, Decimal("1.15"))

    assert price.unlock_fee == 100
    assert price.per_minute == 29  # 28.75 rounded half-up
    assert price.per_km == 22  # 21.85
    assert domain.price_under(rule, Decimal("1.10")).per_minute == 28  # 27.5: halves go up


def test_a_new_version_cannot_start_in_the_past() -> None:
    with pytest.raises(domain.InvalidPriceRuleError):
        domain.check_new_version(a_rule(valid_from=T0 - timedelta(seconds=1)), now=T0)
    domain.check_new_version(a_rule(valid_from=T0), now=T0)
