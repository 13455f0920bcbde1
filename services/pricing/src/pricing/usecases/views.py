"""Domain objects -> contracts models (the use cases' answers)."""

from __future__ import annotations

from contracts.api.common import PriceRead
from contracts.api.pricing import FareRead, PriceRuleRead, QuoteRead
from contracts.events.booking import FareBreakdown
from contracts.types import BookingId, Money

from pricing import domain


def money(amount: int, currency: str) -> Money:
    return Money(amount_minor=amount, currency=currency)


def price_read(price: domain.Price) -> PriceRead:
    return PriceRead(
        unlock_fee=money(price.unlock_fee, price.currency),
        per_minute=money(price.per_minute, price.currency),
        surge_multiplier=float(price.surge),
    )


def quote_read(quote: domain.Quote) -> QuoteRead:
    currency = quote.price.currency
    per_km = quote.price.per_km
    return QuoteRead(
        quote_id=quote.id,
        rider_id=quote.rider_id,
        vehicle_id=quote.vehicle_id,
        vehicle_type=quote.vehicle_type,
        price=price_read(quote.price),
        estimated_duration_min=quote.estimated_duration_min,
        estimated_amount=money(quote.estimated_amount, currency),
        authorized_amount=money(quote.authorized_amount, currency),
        booking_id=quote.booking_id,
        expires_at=quote.expires_at,
        per_km=None if per_km is None else money(per_km, currency),
    )


def fare_read(quote: domain.Quote, booking_id: BookingId, fare: domain.Fare) -> FareRead:
    c = fare.currency
    breakdown = FareBreakdown(
        unlock_fee=money(fare.unlock_fee, c),
        time_charge=money(fare.time_charge, c),
        distance_charge=None if fare.distance_charge is None else money(fare.distance_charge, c),
        surge_multiplier=float(fare.surge),
        minutes=fare.minutes,
        distance_m=fare.distance_m,
        total=money(fare.total, c),
        capped=fare.capped,
    )
    return FareRead(quote_id=quote.id, booking_id=booking_id, fare=breakdown)


def rule_read(rule: domain.PriceRule) -> PriceRuleRead:
    c = rule.currency
    return PriceRuleRead(
        rule_id=rule.id,
        city=rule.city,
        vehicle_type=rule.vehicle_type,
        unlock_fee=money(rule.unlock_fee, c),
        per_minute=money(rule.per_minute, c),
        per_km=None if rule.per_km is None else money(rule.per_km, c),
        valid_from=rule.valid_from,
    )
