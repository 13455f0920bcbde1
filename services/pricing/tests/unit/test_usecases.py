"""Use cases against fakes: batch pricing and its cache, quotes, rule changes, surge runs."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from contracts.api.pricing import (
    BatchPriceRequest,
    FareCreate,
    PriceRequestItem,
    PriceRuleCreate,
    QuoteCreate,
    QuoteLock,
)
from contracts.events.booking import BookingCreated
from contracts.types import BookingId, BookingStatus, Money, RiderId, VehicleId, VehicleType
from pricing import domain, usecases
from pricing_factories import T0, a_rule, booking_id
from pricing_fakes import FakeCache, FakeClock, FakeSupply, FakeUnitOfWork

CONFIG = domain.PricingConfig(surge=domain.SurgePolicy(), recalc_interval=timedelta(seconds=15))
ZONE = domain.ZoneKey("frankfurt", "ffm-center", VehicleType.SCOOTER)


def item(
    city: str = "Frankfurt",
    zone: str | None = "ffm-center",
    kind: VehicleType = VehicleType.SCOOTER,
) -> PriceRequestItem:
    return PriceRequestItem(
        vehicle_id=VehicleId(uuid.uuid4()), vehicle_type=kind, city=city, zone_id=zone
    )


def quote_request(**overrides: object) -> QuoteCreate:
    fields: dict[str, object] = {
        "vehicle_id": VehicleId(uuid.uuid4()),
        "vehicle_type": VehicleType.SCOOTER,
        "city": "Frankfurt",
        "zone_id": "ffm-center",
        "estimated_duration_min": 15,
    }
    fields.update(overrides)
    return QuoteCreate.model_validate(fields)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    uow = FakeUnitOfWork(FakeClock(T0))
    uow.rules.rules.append(a_rule(per_minute=25))
    return uow


async def test_batch_prices_each_vehicle_and_lists_the_unpriced(uow: FakeUnitOfWork) -> None:
    priced, other_zone, no_rule = item(), item(zone=None), item(city="Atlantis")
    request = BatchPriceRequest(items=[priced, other_zone, no_rule])

    result = await usecases.price_batch(uow, FakeCache(), request=request, config=CONFIG)

    assert [i.vehicle_id for i in result.items] == [priced.vehicle_id, other_zone.vehicle_id]
    assert result.items[0].price.per_minute == Money(amount_minor=25, currency="EUR")
    assert result.unpriced == [no_rule.vehicle_id]


async def test_batch_applies_the_zone_surge(uow: FakeUnitOfWork) -> None:
    await uow.surges.save([domain.ZoneSurge(ZONE, Decimal("1.4"), domain.Demand(), 1, T0)])
    request = BatchPriceRequest(items=[item(), item(zone="ffm-west")])

    result = await usecases.price_batch(uow, FakeCache(), request=request, config=CONFIG)

    surged, calm = result.items
    assert (surged.price.per_minute.amount_minor, surged.price.surge_multiplier) == (35, 1.4)
    assert (calm.price.per_minute.amount_minor, calm.price.surge_multiplier) == (25, 1.0)


async def test_a_cached_batch_needs_no_rule_lookup_and_counts_searches(
    uow: FakeUnitOfWork,
) -> None:
    cache = FakeCache()
    request = BatchPriceRequest(items=[item(), item()])
    first = await usecases.price_batch(uow, cache, request=request, config=CONFIG)
    uow.rules.rules.clear()

    second = await usecases.price_batch(uow, cache, request=request, config=CONFIG)

    assert second == first
    assert cache.searches == {ZONE: 2}  # one search per zone per request


async def test_a_quote_needs_a_rule_and_keeps_its_price_after_a_rule_change(
    uow: FakeUnitOfWork,
) -> None:
    with pytest.raises(domain.NoPriceRuleError):
        await usecases.create_quote(
            uow,
            request=quote_request(city="Atlantis"),
            rider_id=RiderId(uuid.uuid4()),
            config=CONFIG,
        )
    rider = RiderId(uuid.uuid4())
    quote = await usecases.create_quote(uow, request=quote_request(), rider_id=rider, config=CONFIG)
    change = PriceRuleCreate(
        city="Frankfurt",
        vehicle_type=VehicleType.SCOOTER,
        unlock_fee=Money(amount_minor=150, currency="EUR"),
        per_minute=Money(amount_minor=40, currency="EUR"),
    )
    await usecases.change_price_rule(uow, FakeCache(), request=change)

    assert await usecases.get_quote(uow, quote_id=quote.quote_id, rider_id=rider) == quote
    assert quote.price.per_minute.amount_minor == 25
    assert quote.expires_at == T0 + CONFIG.quote_ttl


async def test_only_the_owner_sees_a_quote(uow: FakeUnitOfWork) -> None:
    rider = RiderId(uuid.uuid4())
    quote = await usecases.create_quote(uow, request=quote_request(), rider_id=rider, config=CONFIG)
    with pytest.raises(domain.QuoteNotFoundError):
        await usecases.get_quote(uow, quote_id=quote.quote_id, rider_id=RiderId(uuid.uuid4()))


async def test_lock_then_fare_uses_the_locked_quote(uow: FakeUnitOfWork) -> None:
    rider = RiderId(uuid.uuid4())
    quote = await usecases.create_quote(uow, request=quote_request(), rider_id=rider, config=CONFIG)
    booking = booking_id()
    lock = QuoteLock(booking_id=booking, rider_id=rider, vehicle_id=quote.vehicle_id)

    locked = await usecases.lock_quote(uow, quote_id=quote.quote_id, request=lock)
    again = await usecases.lock_quote(uow, quote_id=quote.quote_id, request=lock)
    fare = await usecases.calculate_fare(
        uow,
        request=FareCreate(
            quote_id=quote.quote_id,
            booking_id=booking,
            started_at=T0,
            ended_at=T0 + timedelta(minutes=9, seconds=1),
            distance_m=1000,
        ),
    )

    assert locked.booking_id == booking == again.booking_id
    assert uow.commits == 2  # the quote, then the lock; the repeated lock wrote nothing
    assert (fare.fare.minutes, fare.fare.total.amount_minor) == (10, 100 + 250)


async def test_a_rule_change_in_force_now_invalidates_the_city_and_a_scheduled_one_waits(
    uow: FakeUnitOfWork,
) -> None:
    cache = FakeCache()
    now_change = PriceRuleCreate(
        city=" frankfurt ",
        vehicle_type=VehicleType.EBIKE,
        unlock_fee=Money(amount_minor=100, currency="EUR"),
        per_minute=Money(amount_minor=20, currency="EUR"),
    )
    scheduled = now_change.model_copy(update={"valid_from": T0 + timedelta(hours=2)})

    read = await usecases.change_price_rule(uow, cache, request=now_change)
    await usecases.change_price_rule(uow, cache, request=scheduled)

    assert (read.city, read.valid_from) == ("frankfurt", T0)
    assert cache.invalidated == ["frankfurt"]
    with pytest.raises(domain.PriceRuleConflictError):
        await usecases.change_price_rule(uow, cache, request=scheduled)
    past = now_change.model_copy(update={"valid_from": T0 - timedelta(minutes=1)})
    with pytest.raises(domain.InvalidPriceRuleError):
        await usecases.change_price_rule(uow, cache, request=past)


async def test_surge_rises_with_demand_over_supply_and_invalidates_the_city(
    uow: FakeUnitOfWork,
) -> None:
    cache = FakeCache(searches={ZONE: 15})
    supply = FakeSupply(by_city={"frankfurt": {ZONE: 4}})

    ran = await usecases.recalculate_surge(uow, cache, supply, config=CONFIG)

    assert ran
    assert supply.asked == ["Frankfurt"]
    assert uow.surges.zones[ZONE].multiplier == Decimal("1.30")  # 30 % towards 2.0
    assert cache.invalidated == ["frankfurt"]


async def test_surge_runs_once_per_interval_across_replicas(uow: FakeUnitOfWork) -> None:
    supply = FakeSupply()
    assert await usecases.recalculate_surge(uow, FakeCache(), supply, config=CONFIG)
    uow.clock.advance(timedelta(seconds=5))
    assert not await usecases.recalculate_surge(uow, FakeCache(), supply, config=CONFIG)
    uow.clock.advance(timedelta(seconds=10))
    assert await usecases.recalculate_surge(uow, FakeCache(), supply, config=CONFIG)


async def test_without_fleet_surge_falls_back_to_the_floor(uow: FakeUnitOfWork) -> None:
    await uow.surges.save([domain.ZoneSurge(ZONE, Decimal("2.0"), domain.Demand(), 1, T0)])
    cache = FakeCache(searches={ZONE: 500})

    await usecases.recalculate_surge(uow, cache, FakeSupply(), config=CONFIG)

    assert uow.surges.zones[ZONE].multiplier == 1
    assert uow.surges.zones[ZONE].supply is None
    assert cache.invalidated == ["frankfurt"]


async def test_a_booking_counts_as_demand_in_its_quote_zone_once(uow: FakeUnitOfWork) -> None:
    rider = RiderId(uuid.uuid4())
    quote = await usecases.create_quote(uow, request=quote_request(), rider_id=rider, config=CONFIG)
    event = BookingCreated(
        booking_id=BookingId(uuid.uuid4()),
        rider_id=rider,
        vehicle_id=quote.vehicle_id,
        vehicle_type=VehicleType.SCOOTER,
        status=BookingStatus.PENDING_PAYMENT,
        quote_id=quote.quote_id,
        created_at=T0,
    )
    unknown = event.model_copy(
        update={"booking_id": booking_id(), "quote_id": None, "vehicle_id": uuid.uuid4()}
    )

    for booking in (event, event, unknown):
        await usecases.record_booking_demand(uow, event=booking, config=CONFIG)

    assert await uow.booking_demand.counts_since(T0) == {ZONE: 1}
