"""Ops: rule versions through /internal/price-rules; bad ones are 422 and write nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pricing_api import PricingApi, ShiftableClock, assert_problem, eur
from pricing_factories import unique_city


async def test_bad_rules_are_rejected_and_nothing_is_written(
    pricing: PricingApi, clock: ShiftableClock
) -> None:
    city = unique_city()
    good: dict[str, Any] = {
        "city": city,
        "vehicle_type": "ebike",
        "unlock_fee": eur(100),
        "per_minute": eur(20),
    }
    rejected = [
        ({**good, "per_minute": {"amount_minor": 20, "currency": "GBP"}}, "validation_error"),
        ({**good, "per_minute": {"amount_minor": 2.5, "currency": "EUR"}}, "validation_error"),
        ({**good, "unlock_fee": {"amount_minor": -1, "currency": "EUR"}}, "validation_error"),
        ({**good, "per_km": {"amount_minor": 19, "currency": "XXY"}}, "validation_error"),
        ({**good, "vehicle_type": "tram"}, "validation_error"),
        ({**good, "valid_from": "2026-01-01T00:00:00"}, "validation_error"),  # no time zone
        ({**good, "city": "   "}, "invalid_price_rule"),
        (
            {**good, "valid_from": (clock.now() - timedelta(hours=1)).isoformat()},
            "invalid_price_rule",
        ),
    ]
    for body, code in rejected:
        response = await pricing.http.post(
            "/internal/price-rules", json=body, headers=pricing.service
        )
        assert_problem(response, 422, code)

    listed = await pricing.http.get(
        "/internal/price-rules", params={"city": city}, headers=pricing.service
    )
    assert listed.json() == {"items": []}


async def test_a_rule_version_is_listed_and_a_duplicate_start_conflicts(
    pricing: PricingApi, clock: ShiftableClock
) -> None:
    city = unique_city()
    starts = clock.now() + timedelta(days=1)
    created = (await pricing.add_rule(city, per_minute=22, per_km=15, valid_from=starts)).json()
    assert (created["per_minute"], created["per_km"]) == (eur(22), eur(15))

    again = await pricing.http.post(
        "/internal/price-rules",
        json={
            "city": city.upper(),
            "vehicle_type": "scooter",
            "unlock_fee": eur(100),
            "per_minute": eur(30),
            "valid_from": starts.isoformat(),
        },
        headers=pricing.service,
    )
    assert_problem(again, 409, "price_rule_conflict")
    listed = await pricing.http.get(
        "/internal/price-rules", params={"city": city}, headers=pricing.service
    )
    assert [rule["rule_id"] for rule in listed.json()["items"]] == [created["rule_id"]]
