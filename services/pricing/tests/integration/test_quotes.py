"""Quotes: rider and internal creation, owner-only reads, lock semantics, auth on /internal."""

from __future__ import annotations

import uuid
from datetime import timedelta

from pricing_api import PricingApi, ShiftableClock, assert_problem, eur
from pricing_factories import unique_city
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


async def quote_count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM quote"))).scalar_one())


async def test_a_rider_gets_a_price_lock_only_they_can_read(pricing: PricingApi) -> None:
    city = unique_city()
    await pricing.add_rule(city, unlock_fee=100, per_minute=25)
    rider_a, rider_b = uuid.uuid4(), uuid.uuid4()
    body = {
        "vehicle_id": str(uuid.uuid4()),
        "vehicle_type": "scooter",
        "city": city,
        "zone_id": "center",
        "estimated_duration_min": 15,
    }

    created = await pricing.http.post("/quotes", json=body, headers=pricing.rider(rider_a))

    assert created.status_code == 201, created.text
    quote = created.json()
    assert quote["rider_id"] == str(rider_a)
    assert quote["price"]["per_minute"] == eur(30)
    assert quote["estimated_amount"] == eur(100 + 30 * 15)
    assert quote["authorized_amount"] == eur(100 + 30 * 25)
    assert quote["booking_id"] is None
    path = f"/quotes/{quote['quote_id']}"
    mine = await pricing.http.get(path, headers=pricing.rider(rider_a))
    assert mine.json() == quote
    assert_problem(
        await pricing.http.get(path, headers=pricing.rider(rider_b)), 404, "quote_not_found"
    )


async def test_a_quote_without_a_rule_or_with_bad_input_is_422_and_writes_nothing(
    pricing: PricingApi, pricing_engine: AsyncEngine
) -> None:
    city = unique_city()
    await pricing.add_rule(city)
    before = await quote_count(pricing_engine)
    good = {
        "vehicle_id": str(uuid.uuid4()),
        "vehicle_type": "scooter",
        "city": city,
        "estimated_duration_min": 15,
    }
    rider = pricing.rider(uuid.uuid4())

    no_rule = await pricing.http.post("/quotes", json={**good, "city": "Atlantis"}, headers=rider)
    assert_problem(no_rule, 422, "no_price_rule")
    for bad in [
        {**good, "estimated_duration_min": 0},
        {**good, "estimated_duration_min": 24 * 60 + 1},
        {**good, "vehicle_type": "pogo"},
        {**good, "rider_id": str(uuid.uuid4())},  # a rider cannot quote for somebody else
        {k: v for k, v in good.items() if k != "vehicle_id"},
    ]:
        assert_problem(
            await pricing.http.post("/quotes", json=bad, headers=rider), 422, "validation_error"
        )
    assert await quote_count(pricing_engine) == before


async def test_a_quote_locks_to_one_booking_of_its_rider_and_vehicle(pricing: PricingApi) -> None:
    city = unique_city()
    await pricing.add_rule(city)
    quote = (await pricing.quote(city)).json()
    booking = uuid.uuid4()

    locked = await pricing.lock(quote, booking)
    assert locked.status_code == 200, locked.text
    assert locked.json()["booking_id"] == str(booking)
    assert (await pricing.lock(quote, booking)).json() == locked.json()  # idempotent

    assert_problem(await pricing.lock(quote, uuid.uuid4()), 409, "quote_already_used")
    other_rider = {"rider_id": str(uuid.uuid4())}
    assert_problem(await pricing.lock(quote, booking, **other_rider), 403, "quote_not_yours")
    other_vehicle = {"vehicle_id": str(uuid.uuid4())}
    assert_problem(await pricing.lock(quote, booking, **other_vehicle), 403, "quote_not_yours")
    forged = {**quote, "quote_id": str(uuid.uuid4())}
    assert_problem(await pricing.lock(forged, booking), 404, "quote_not_found")


async def test_an_expired_quote_cannot_be_locked(
    pricing: PricingApi, clock: ShiftableClock
) -> None:
    city = unique_city()
    await pricing.add_rule(city)
    quote = (await pricing.quote(city)).json()
    clock.offset = timedelta(seconds=pricing.settings.quote.ttl_s + 1)
    try:
        response = await pricing.lock(quote, uuid.uuid4())
    finally:
        clock.offset = timedelta()
    assert_problem(response, 410, "quote_expired")


async def test_a_rule_change_does_not_alter_a_quote_already_given(pricing: PricingApi) -> None:
    city = unique_city()
    await pricing.add_rule(city, per_minute=25)
    rider = uuid.uuid4()
    quote = (await pricing.quote(city, rider_id=rider)).json()

    await pricing.add_rule(city, per_minute=45)

    again = await pricing.http.get(f"/quotes/{quote['quote_id']}", headers=pricing.rider(rider))
    assert again.json() == quote
    assert (await pricing.quote(city)).json()["price"]["per_minute"] == eur(54)


async def test_internal_routes_refuse_rider_tokens_and_anonymous_callers(
    pricing: PricingApi,
) -> None:
    rider = pricing.rider(uuid.uuid4())
    calls = [
        ("POST", "/internal/pricing/batch"),
        ("POST", "/internal/quotes"),
        ("POST", f"/internal/quotes/{uuid.uuid4()}/lock"),
        ("POST", "/internal/fares"),
        ("POST", "/internal/price-rules"),
        ("GET", "/internal/price-rules?city=Frankfurt"),
        ("GET", "/internal/surge?city=Frankfurt"),
    ]
    for method, path in calls:
        assert_problem(
            await pricing.http.request(method, path, json={}, headers=rider), 403, "forbidden"
        )
        assert_problem(await pricing.http.request(method, path, json={}), 401, "unauthenticated")
    assert_problem(await pricing.http.post("/quotes", json={}), 401, "unauthenticated")
