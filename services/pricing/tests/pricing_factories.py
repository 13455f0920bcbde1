"""Plain builders for pricing's domain objects and requests (shared by unit and integration)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from contracts.types import BookingId, QuoteId, RiderId, VehicleId, VehicleType
from pricing import domain

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def a_rule(
    city: str = "Frankfurt",
    vehicle_type: VehicleType = VehicleType.SCOOTER,
    *,
    unlock_fee: int = 100,
    per_minute: int = 25,
    per_km: int | None = None,
    valid_from: datetime = T0 - timedelta(days=30),
    currency: str = "EUR",
) -> domain.PriceRule:
    return domain.PriceRule(
        id=uuid.uuid4(),
        city=city,
        vehicle_type=vehicle_type,
        currency=currency,
        unlock_fee=unlock_fee,
        per_minute=per_minute,
        per_km=per_km,
        valid_from=valid_from,
    )


def a_price(
    *, unlock_fee: int = 100, per_minute: int = 25, per_km: int | None = None, surge: str = "1.00"
) -> domain.Price:
    return domain.Price("EUR", unlock_fee, per_minute, per_km, Decimal(surge))


def a_quote(
    *,
    price: domain.Price | None = None,
    estimated_min: int = 15,
    policy: domain.AuthorizationPolicy | None = None,
    now: datetime = T0,
    **overrides: Any,
) -> domain.Quote:
    fields: dict[str, Any] = {
        "quote_id": QuoteId(uuid.uuid4()),
        "rider_id": RiderId(uuid.uuid4()),
        "vehicle_id": VehicleId(uuid.uuid4()),
        "vehicle_type": VehicleType.SCOOTER,
        "city": "Frankfurt",
        "zone_id": "ffm-center",
        "rule_id": uuid.uuid4(),
        "price": price or a_price(),
        "estimated_duration_min": estimated_min,
        "policy": policy or domain.AuthorizationPolicy(),
        "now": now,
        "ttl": timedelta(minutes=10),
    }
    fields.update(overrides)
    return domain.new_quote(**fields)


def booking_id() -> BookingId:
    return BookingId(uuid.uuid4())


def unique_city(label: str = "city") -> str:
    """A city no other test uses (integration tests share one database)."""
    return f"Test{label.capitalize()}-{uuid.uuid4().hex[:8]}"
