"""Value objects a booking is made of: the hold, the price lock, the payment, the trip."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts.types import GeoPoint, Money, PaymentId, PaymentStatus, QuoteId


@dataclass(frozen=True)
class Reservation:
    """The vehicle hold fleet gave this booking."""

    hold_until: datetime
    city: str
    zone_id: str | None = None


@dataclass(frozen=True)
class Quote:
    """The price locked for this booking; `authorized_amount` is what payment authorises."""

    quote_id: QuoteId
    unlock_fee: Money
    per_minute: Money
    surge_multiplier: float
    estimated_amount: Money
    authorized_amount: Money
    expires_at: datetime


@dataclass(frozen=True)
class Payment:
    payment_id: PaymentId
    status: PaymentStatus
    amount: Money
    client_secret: str | None = None
    failure_code: str | None = None
    declines: int = 0
    next_action: str | None = None
    """Set while the rider must complete 3-D Secure in their app (outcome by webhook)."""


@dataclass(frozen=True)
class Fare:
    unlock_fee: Money
    time_charge: Money
    total: Money
    minutes: int
    distance_m: int
    distance_charge: Money | None = None
    surge_multiplier: float = 1.0
    capped: bool = False


@dataclass(frozen=True)
class Trip:
    started_at: datetime | None = None
    start_position: GeoPoint | None = None
    ended_at: datetime | None = None
    end_position: GeoPoint | None = None
    distance_m: int | None = None
    vehicle_flagged: bool = False
    fare: Fare | None = None
    captured_amount: Money | None = None


@dataclass(frozen=True)
class Receipt:
    """A signed document support can verify: `signature` is over the canonical `document`."""

    document: dict[str, Any]
    signature: str
    key_id: str


@dataclass(frozen=True)
class Compensation:
    """What must be undone at the peers after a booking ends early."""

    release_vehicle: bool
    void_payment: bool

    @property
    def needed(self) -> bool:
        return self.release_vehicle or self.void_payment
