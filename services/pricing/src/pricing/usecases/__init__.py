"""One async function per command or query; each owns its transaction."""

from pricing.usecases.ports import CachedPrices, PriceCache, SupplySource
from pricing.usecases.prices import price_batch
from pricing.usecases.quotes import calculate_fare, create_quote, get_quote, lock_quote
from pricing.usecases.rules import change_price_rule, list_price_rules, seed_price_rules
from pricing.usecases.surge import list_zone_surges, recalculate_surge, record_booking_demand

__all__ = [
    "CachedPrices",
    "PriceCache",
    "SupplySource",
    "calculate_fare",
    "change_price_rule",
    "create_quote",
    "get_quote",
    "list_price_rules",
    "list_zone_surges",
    "lock_quote",
    "price_batch",
    "recalculate_surge",
    "record_booking_demand",
    "seed_price_rules",
]
