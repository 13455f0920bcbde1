"""Quotes (price locks) and the fare at trip end."""

from __future__ import annotations

from uuid import uuid4

from contracts.api.pricing import FareCreate, FareRead, QuoteCreate, QuoteLock, QuoteRead
from contracts.types import QuoteId, RiderId

from pricing import domain
from pricing.uow import AbstractUnitOfWork
from pricing.usecases.prices import resolve_prices
from pricing.usecases.views import fare_read, quote_read


async def create_quote(
    uow: AbstractUnitOfWork,
    *,
    request: QuoteCreate,
    rider_id: RiderId,
    config: domain.PricingConfig,
) -> QuoteRead:
    """Lock the current price of a vehicle for one rider for `quote_ttl`."""
    now = uow.clock.now()
    key = domain.PriceKey(domain.city_key(request.city), request.zone_id, request.vehicle_type)
    tods = {key.city: config.time_of_day(key.city, now)}
    async with uow:
        resolved = await resolve_prices(uow, [key], now=now, tods=tods, config=config)
        if key not in resolved:
            raise domain.NoPriceRuleError(
                f"No price rule covers {request.vehicle_type.value} in {request.city!r}."
            )
        rule, price = resolved[key]
        quote = domain.new_quote(
            quote_id=QuoteId(uuid4()),
            rider_id=rider_id,
            vehicle_id=request.vehicle_id,
            vehicle_type=request.vehicle_type,
            city=request.city,
            zone_id=request.zone_id,
            rule_id=rule.id,
            price=price,
            estimated_duration_min=request.estimated_duration_min,
            policy=config.authorization,
            now=now,
            ttl=config.quote_ttl,
        )
        await uow.quotes.add(quote)
        await uow.commit()
    return quote_read(quote)


async def get_quote(uow: AbstractUnitOfWork, *, quote_id: QuoteId, rider_id: RiderId) -> QuoteRead:
    """A rider's own quote; somebody else's does not exist as far as they can tell."""
    async with uow:
        quote = await uow.quotes.get(quote_id)
    if quote is None or quote.rider_id != rider_id:
        raise domain.QuoteNotFoundError("No such quote.")
    return quote_read(quote)


async def lock_quote(
    uow: AbstractUnitOfWork, *, quote_id: QuoteId, request: QuoteLock
) -> QuoteRead:
    """Bind a quote to one booking (idempotent for that booking, refused for any other)."""
    async with uow:
        quote = await uow.quotes.get_for_update(quote_id)
        if quote is None:
            raise domain.QuoteNotFoundError("No such quote.")
        now = uow.clock.now()
        locked = quote.lock(
            booking_id=request.booking_id,
            rider_id=request.rider_id,
            vehicle_id=request.vehicle_id,
            now=now,
        )
        if locked is not quote:
            await uow.quotes.set_booking(locked, locked_at=now)
            await uow.commit()
    return quote_read(locked)


async def calculate_fare(uow: AbstractUnitOfWork, *, request: FareCreate) -> FareRead:
    """The trip's final amount under its locked quote, capped at the authorised amount."""
    async with uow:
        quote = await uow.quotes.get(request.quote_id)
    if quote is None:
        raise domain.QuoteNotFoundError("No such quote.")
    fare = quote.fare(
        booking_id=request.booking_id,
        started_at=request.started_at,
        ended_at=request.ended_at,
        distance_m=request.distance_m,
    )
    return fare_read(quote, request.booking_id, fare)
