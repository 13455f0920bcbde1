"""Surge: demand signals in, one recalculation per interval across replicas, the ops view."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from contracts.api.pricing import ZoneSurgeItem, ZoneSurgePage
from contracts.events.booking import BookingCreated

from pricing import domain
from pricing.uow import AbstractUnitOfWork
from pricing.usecases.ports import PriceCache, SupplySource

logger = logging.getLogger(__name__)


async def recalculate_surge(
    uow: AbstractUnitOfWork,
    cache: PriceCache,
    supply: SupplySource,
    *,
    config: domain.PricingConfig,
) -> bool:
    """One surge step for every city, unless another replica just did it. True if it ran."""
    now = uow.clock.now()
    async with uow:
        previous = await uow.surges.last_run_for_update()
        if not domain.surge_run_due(previous, now=now, interval=config.recalc_interval):
            return False
        await uow.surges.mark_run(now)
        cities = await uow.rules.cities()
        await uow.commit()
    demand = await _demand(uow, cache, now=now, config=config)
    stale: set[str] = set()
    for city_key, name in cities.items():
        available = await supply.zone_supply(name)
        city_demand = {key: d for key, d in demand.items() if key.city == city_key}
        stale |= await _recalculate_city(uow, city_key, city_demand, available, now, config)
    await cache.invalidate(stale)
    return True


async def _recalculate_city(
    uow: AbstractUnitOfWork,
    city_key: str,
    demand: Mapping[domain.ZoneKey, domain.Demand],
    supply: Mapping[domain.ZoneKey, int] | None,
    now: datetime,
    config: domain.PricingConfig,
) -> set[str]:
    async with uow:
        previous = await uow.surges.for_city(city_key)
        zones = domain.recalculate_city(
            config.surge, previous=previous, demand=demand, supply=supply, now=now
        )
        await uow.surges.save(zones)
        await uow.commit()
    return domain.changed_cities(config.surge, previous, zones)


async def _demand(
    uow: AbstractUnitOfWork, cache: PriceCache, *, now: datetime, config: domain.PricingConfig
) -> dict[domain.ZoneKey, domain.Demand]:
    since = now - config.demand_window
    async with uow:
        quotes = await uow.quotes.counts_since(since)
        bookings = await uow.booking_demand.counts_since(since)
    searches = await cache.search_counts(since, now)
    return {
        key: domain.Demand(searches.get(key, 0), quotes.get(key, 0), bookings.get(key, 0))
        for key in searches.keys() | quotes.keys() | bookings.keys()
    }


async def list_zone_surges(
    uow: AbstractUnitOfWork, *, city: str, config: domain.PricingConfig
) -> ZoneSurgePage:
    """Each zone's surge in a city with the signals behind it, and the time-of-day factor now."""
    key = domain.city_key(city)
    async with uow:
        zones = await uow.surges.for_city(key)
    items = [
        ZoneSurgeItem(
            city=city,
            zone_id=zone.key.zone_id,
            vehicle_type=zone.key.vehicle_type,
            multiplier=float(zone.multiplier),
            searches=zone.demand.searches,
            quotes=zone.demand.quotes,
            bookings=zone.demand.bookings,
            supply=zone.supply,
            updated_at=zone.updated_at,
        )
        for zone in zones.values()
    ]
    tod = config.time_of_day(key, uow.clock.now())
    return ZoneSurgePage(items=items, time_of_day_factor=float(tod))


async def record_booking_demand(
    uow: AbstractUnitOfWork, *, event: BookingCreated, config: domain.PricingConfig
) -> None:
    """Count a booking as demand in the zone of its quote (once per booking)."""
    async with uow:
        quote = await uow.quotes.get(event.quote_id) if event.quote_id else None
        if quote is None:
            since = event.created_at - config.quote_ttl
            quote = await uow.quotes.latest_for_vehicle(event.vehicle_id, since)
        if quote is None or quote.zone_id is None:
            logger.info("booking %s: no zone known, not counted as demand", event.booking_id)
            return
        zone = domain.ZoneKey(domain.city_key(quote.city), quote.zone_id, event.vehicle_type)
        await uow.booking_demand.add(event.booking_id, zone, event.created_at)
        await uow.commit()
