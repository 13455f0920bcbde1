"""Current prices: the batch used by fleet's search (hot path) and the lookup quotes share."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from decimal import Decimal

from contracts.api.pricing import BatchPriceRead, BatchPriceRequest, VehiclePriceItem

from pricing import domain
from pricing.uow import AbstractUnitOfWork
from pricing.usecases.ports import PriceCache
from pricing.usecases.views import price_read

Resolved = dict[domain.PriceKey, tuple[domain.PriceRule, domain.Price]]


async def price_batch(
    uow: AbstractUnitOfWork,
    cache: PriceCache,
    *,
    request: BatchPriceRequest,
    config: domain.PricingConfig,
) -> BatchPriceRead:
    """Prices for many vehicles at once: Redis first, one database round for the rest."""
    now = uow.clock.now()
    city_keys = {city: domain.city_key(city) for city in {item.city for item in request.items}}
    wanted = [
        (item.vehicle_id, domain.PriceKey(city_keys[item.city], item.zone_id, item.vehicle_type))
        for item in request.items
    ]
    keys = {key for _, key in wanted}
    tods = {city: config.time_of_day(city, now) for city in {key.city for key in keys}}
    cached = await cache.lookup(keys, tods=tods, now=now)
    prices = dict(cached.hits)
    if missing := keys - prices.keys():
        async with uow:
            resolved = await resolve_prices(uow, missing, now=now, tods=tods, config=config)
            next_change = await uow.rules.next_change({key.city for key in missing}, now)
        fresh = {key: price_read(price) for key, (_, price) in resolved.items()}
        valid_for = None if next_change is None else next_change - now
        await cache.store(fresh, tods=tods, cached=cached, valid_for=valid_for)
        prices.update(fresh)
    # Hot path: every part is already a validated model, so build without validating again
    # (validation was most of this endpoint's CPU for 100 vehicles).
    return BatchPriceRead.model_construct(
        items=[
            VehiclePriceItem.model_construct(vehicle_id=vehicle_id, price=prices[key])
            for vehicle_id, key in wanted
            if key in prices
        ],
        unpriced=[vehicle_id for vehicle_id, key in wanted if key not in prices],
    )


async def resolve_prices(
    uow: AbstractUnitOfWork,
    keys: Collection[domain.PriceKey],
    *,
    now: datetime,
    tods: Mapping[str, Decimal],
    config: domain.PricingConfig,
) -> Resolved:
    """The rule in force and the rider's price for each key that has a rule (inside `uow`)."""
    rules = await uow.rules.in_force({key.city for key in keys}, now)
    zones = [zone for key in keys if (zone := key.zone) is not None]
    surges = await uow.surges.multipliers(zones)
    policy = config.surge
    resolved: Resolved = {}
    for key in keys:
        rule = domain.select_rule(rules, city=key.city, vehicle_type=key.vehicle_type, at=now)
        if rule is None:
            continue
        zone = key.zone
        zone_multiplier = surges.get(zone, policy.min_multiplier) if zone else policy.min_multiplier
        multiplier = domain.rider_multiplier(policy, zone_multiplier, tods[key.city])
        resolved[key] = (rule, domain.price_under(rule, multiplier))
    return resolved
