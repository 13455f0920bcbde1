"""POST /internal/pricing/batch: prices per vehicle, cached in Redis, invalidated on rule change."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from mobility_platform.testing import wait_until
from pricing_api import PricingApi, ShiftableClock, assert_problem, vehicle
from pricing_factories import unique_city
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


def per_minute(body: dict[str, Any]) -> list[int]:
    return [item["price"]["per_minute"]["amount_minor"] for item in body["items"]]


async def test_batch_prices_every_vehicle_with_the_time_of_day_factor(pricing: PricingApi) -> None:
    city = unique_city()
    await pricing.add_rule(city, unlock_fee=100, per_minute=25)
    priced, no_zone, unknown_city = vehicle(city), vehicle(city, zone_id=None), vehicle("Atlantis")
    car = vehicle(city, kind="car")

    response = await pricing.batch(priced, no_zone, unknown_city, car)

    assert response.status_code == 200, response.text
    body = response.json()
    assert [i["vehicle_id"] for i in body["items"]] == [priced["vehicle_id"], no_zone["vehicle_id"]]
    assert body["items"][0]["price"] == {
        "unlock_fee": {"amount_minor": 100, "currency": "EUR"},
        "per_minute": {"amount_minor": 30, "currency": "EUR"},  # 25 x 1.2 (fleet is down)
        "surge_multiplier": 1.2,
    }
    assert body["unpriced"] == [unknown_city["vehicle_id"], car["vehicle_id"]]


async def test_batch_prices_are_cached_until_a_rule_changes(
    pricing: PricingApi, pricing_engine: AsyncEngine
) -> None:
    city = unique_city()
    await pricing.add_rule(city, per_minute=25)
    assert per_minute((await pricing.batch(vehicle(city))).json()) == [30]

    async with pricing_engine.begin() as conn:  # behind pricing's back: only a cache hides it
        await conn.execute(
            text("UPDATE price_rule SET per_minute_minor = 99 WHERE city = :city"), {"city": city}
        )
    assert per_minute((await pricing.batch(vehicle(city))).json()) == [30]

    await pricing.add_rule(city, per_minute=40)  # the ops endpoint invalidates the city
    assert per_minute((await pricing.batch(vehicle(city), vehicle(city))).json()) == [48, 48]


async def test_a_scheduled_rule_takes_over_when_it_starts(
    pricing: PricingApi, clock: ShiftableClock
) -> None:
    city = unique_city()
    await pricing.add_rule(city, per_minute=25)
    starts = clock.now() + timedelta(seconds=1)
    await pricing.add_rule(city, per_minute=50, valid_from=starts)
    assert per_minute((await pricing.batch(vehicle(city))).json()) == [30]

    async def new_price() -> bool:
        return per_minute((await pricing.batch(vehicle(city))).json()) == [60]

    await wait_until(new_price, timeout=5, message="the scheduled version in force")
    rules = await pricing.http.get(
        "/internal/price-rules", params={"city": city.lower()}, headers=pricing.service
    )
    assert [r["per_minute"]["amount_minor"] for r in rules.json()["items"]] == [50]


async def test_bad_batch_input_is_a_422_problem(pricing: PricingApi) -> None:
    city = unique_city()
    bad_bodies: list[Any] = [
        {"items": []},
        {"items": [vehicle(city)] * 501},
        {"items": [{**vehicle(city), "vehicle_type": "hoverboard"}]},
        {"items": [{**vehicle(city), "vehicle_id": "not-a-uuid"}]},
        {"items": [{**vehicle(city), "price": 1}]},
        {"items": [{"vehicle_type": "scooter", "city": city}]},
        [vehicle(city)],
    ]
    for body in bad_bodies:
        response = await pricing.http.post(
            "/internal/pricing/batch", json=body, headers=pricing.service
        )
        problem = assert_problem(response, 422, "validation_error")
        assert problem["errors"]
