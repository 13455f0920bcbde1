"""Quotes (price locks) and fares.

    estimated_amount  = unlock + per_minute * est_min + per_km * est_km(est_min)
    auth_minutes      = est_min + clamp(ceil(est_min * (buffer - 1)), min_extra, max_extra)
    authorized_amount = unlock + per_minute * auth_minutes + per_km * est_km(auth_minutes)
    est_km(m)         = m * assumed_speed_kmh(type) / 60        (only if the rule has per_km)

    fare minutes      = ceil(seconds / 60), at least 1           (every started minute counts)
    fare              = min(unlock + per_minute * minutes + per_km * distance_m / 1000,
                            authorized_amount)                   (capped = the min bit)

Rates are the quote's (surge locked in); each product is rounded half-up to a minor unit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from contracts.types import BookingId, QuoteId, RiderId, VehicleId, VehicleType

from pricing.domain.errors import (
    InvalidTripWindowError,
    QuoteAlreadyUsedError,
    QuoteExpiredError,
    QuoteNotLockedError,
    QuoteNotYoursError,
)
from pricing.domain.money import round_half_up
from pricing.domain.rules import Price

MINUTE_US = 60_000_000


@dataclass(frozen=True)
class AuthorizationPolicy:
    buffer_factor: Decimal = Decimal("1.5")
    min_extra_min: int = 10
    max_extra_min: int = 120
    assumed_speed_kmh: Mapping[VehicleType, int] | None = None

    def speed_kmh(self, vehicle_type: VehicleType) -> int:
        return (self.assumed_speed_kmh or {}).get(vehicle_type, 0)


def authorized_minutes(policy: AuthorizationPolicy, estimated_min: int) -> int:
    extra = math.ceil(estimated_min * (policy.buffer_factor - 1))
    return estimated_min + max(policy.min_extra_min, min(policy.max_extra_min, extra))


def distance_charge(price: Price, distance_m: int) -> int | None:
    """per_km pro rata to the metre, rounded half-up; None when the rule charges no distance."""
    if price.per_km is None:
        return None
    return round_half_up(Decimal(price.per_km) * distance_m / 1000)


def trip_amount(price: Price, *, minutes: int, distance_m: int) -> int:
    return price.unlock_fee + price.per_minute * minutes + (distance_charge(price, distance_m) or 0)


def estimated_distance_m(
    policy: AuthorizationPolicy, vehicle_type: VehicleType, minutes: int
) -> int:
    return minutes * policy.speed_kmh(vehicle_type) * 1000 // 60


def billable_minutes(started_at: datetime, ended_at: datetime) -> int:
    """Every started minute counts, and a trip is at least one minute."""
    if ended_at < started_at:
        raise InvalidTripWindowError("ended_at is before started_at.")
    elapsed_us = (ended_at - started_at) // timedelta(microseconds=1)
    return max(1, -(-elapsed_us // MINUTE_US))


@dataclass(frozen=True)
class Fare:
    currency: str
    unlock_fee: int
    time_charge: int
    distance_charge: int | None
    surge: Decimal
    minutes: int
    distance_m: int
    total: int
    capped: bool


@dataclass(frozen=True)
class Quote:
    id: QuoteId
    rider_id: RiderId
    vehicle_id: VehicleId
    vehicle_type: VehicleType
    city: str
    zone_id: str | None
    rule_id: UUID
    price: Price
    estimated_duration_min: int
    estimated_amount: int
    authorized_amount: int
    created_at: datetime
    expires_at: datetime
    booking_id: BookingId | None = None

    def lock(
        self, *, booking_id: BookingId, rider_id: RiderId, vehicle_id: VehicleId, now: datetime
    ) -> Quote:
        """Bind to one booking. Idempotent for that booking; nobody else can ever use it."""
        if rider_id != self.rider_id or vehicle_id != self.vehicle_id:
            raise QuoteNotYoursError("This quote was given to another rider or vehicle.")
        if self.booking_id is not None:
            if self.booking_id != booking_id:
                raise QuoteAlreadyUsedError("This quote is already bound to another booking.")
            return self
        if now >= self.expires_at:
            raise QuoteExpiredError("This quote has expired; ask for a new one.")
        return replace(self, booking_id=booking_id)

    def fare(
        self, *, booking_id: BookingId, started_at: datetime, ended_at: datetime, distance_m: int
    ) -> Fare:
        """The final amount of the trip, never above what was authorised."""
        if self.booking_id != booking_id:
            raise QuoteNotLockedError("This quote is not locked to that booking.")
        minutes = billable_minutes(started_at, ended_at)
        subtotal = trip_amount(self.price, minutes=minutes, distance_m=distance_m)
        return Fare(
            currency=self.price.currency,
            unlock_fee=self.price.unlock_fee,
            time_charge=self.price.per_minute * minutes,
            distance_charge=distance_charge(self.price, distance_m),
            surge=self.price.surge,
            minutes=minutes,
            distance_m=distance_m,
            total=min(subtotal, self.authorized_amount),
            capped=subtotal > self.authorized_amount,
        )


def new_quote(
    *,
    quote_id: QuoteId,
    rider_id: RiderId,
    vehicle_id: VehicleId,
    vehicle_type: VehicleType,
    city: str,
    zone_id: str | None,
    rule_id: UUID,
    price: Price,
    estimated_duration_min: int,
    policy: AuthorizationPolicy,
    now: datetime,
    ttl: timedelta,
) -> Quote:
    """Lock today's price for one rider and vehicle, with what payment should hold for it."""
    auth_min = authorized_minutes(policy, estimated_duration_min)
    return Quote(
        id=quote_id,
        rider_id=rider_id,
        vehicle_id=vehicle_id,
        vehicle_type=vehicle_type,
        city=city,
        zone_id=zone_id,
        rule_id=rule_id,
        price=price,
        estimated_duration_min=estimated_duration_min,
        estimated_amount=_amount(policy, price, vehicle_type, estimated_duration_min),
        authorized_amount=_amount(policy, price, vehicle_type, auth_min),
        created_at=now,
        expires_at=now + ttl,
    )


def _amount(
    policy: AuthorizationPolicy, price: Price, vehicle_type: VehicleType, minutes: int
) -> int:
    distance = estimated_distance_m(policy, vehicle_type, minutes) if price.per_km else 0
    return trip_amount(price, minutes=minutes, distance_m=distance)
