"""POST /internal/fares: started minutes, locked surge, the cap, determinism, rejections."""

from __future__ import annotations

import uuid
from typing import Any

from pricing_api import PricingApi, assert_problem, eur
from pricing_factories import unique_city


async def locked_quote(
    pricing: PricingApi, *, per_km: int | None = None, minutes: int = 15
) -> tuple[dict[str, Any], uuid.UUID]:
    city = unique_city()
    await pricing.add_rule(city, unlock_fee=100, per_minute=25, per_km=per_km)
    quote = (await pricing.quote(city, minutes=minutes)).json()
    booking = uuid.uuid4()
    assert (await pricing.lock(quote, booking)).status_code == 200
    return quote, booking


async def test_a_fare_charges_every_started_minute_at_the_locked_rates(
    pricing: PricingApi,
) -> None:
    quote, booking = await locked_quote(pricing, per_km=20)

    response = await pricing.fare(quote["quote_id"], booking, seconds=8 * 60 + 1, distance_m=2500)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "quote_id": quote["quote_id"],
        "booking_id": str(booking),
        "fare": {
            "unlock_fee": eur(100),
            "time_charge": eur(9 * 30),
            "distance_charge": eur(60),  # 2.5 km x 24 (20 x 1.2)
            "surge_multiplier": 1.2,
            "minutes": 9,
            "distance_m": 2500,
            "total": eur(100 + 270 + 60),
            "capped": False,
        },
    }


async def test_a_fare_never_exceeds_the_authorized_amount(pricing: PricingApi) -> None:
    quote, booking = await locked_quote(pricing, minutes=10)

    fare = (await pricing.fare(quote["quote_id"], booking, seconds=3 * 3600)).json()["fare"]

    assert fare["time_charge"] == eur(180 * 30)
    assert fare["total"] == quote["authorized_amount"] == eur(100 + 30 * 20)
    assert fare["capped"] is True


async def test_the_same_trip_gets_the_same_fare(pricing: PricingApi) -> None:
    quote, booking = await locked_quote(pricing)
    first = await pricing.fare(quote["quote_id"], booking, seconds=725, distance_m=1234)
    second = await pricing.fare(quote["quote_id"], booking, seconds=725, distance_m=1234)
    assert first.json() == second.json()


async def test_a_fare_needs_a_quote_locked_to_that_booking_and_a_sane_trip(
    pricing: PricingApi,
) -> None:
    quote, booking = await locked_quote(pricing)
    city = unique_city()
    await pricing.add_rule(city)
    unlocked = (await pricing.quote(city)).json()

    assert_problem(
        await pricing.fare(str(uuid.uuid4()), booking, seconds=60), 404, "quote_not_found"
    )
    assert_problem(
        await pricing.fare(quote["quote_id"], uuid.uuid4(), seconds=60), 409, "quote_not_locked"
    )
    assert_problem(
        await pricing.fare(unlocked["quote_id"], booking, seconds=60), 409, "quote_not_locked"
    )
    assert_problem(
        await pricing.fare(quote["quote_id"], booking, seconds=-60), 422, "invalid_trip_window"
    )
    negative = await pricing.fare(quote["quote_id"], booking, seconds=60, distance_m=-1)
    assert_problem(negative, 422, "validation_error")
