"""Pricing service API: batch prices for search, quotes (price locks), fares at trip end.

Every `PriceRead` pricing returns carries the rates the rider actually pays: `per_minute` is
already multiplied by `surge_multiplier` (rounded half-up to a minor unit); the unlock fee is
never surged. `surge_multiplier` is informational: do not apply it again.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import Field, model_validator

from contracts.api.common import PriceRead
from contracts.base import ContractModel, RequestModel, UtcDatetime
from contracts.events.booking import FareBreakdown
from contracts.types import BookingId, Money, QuoteId, RiderId, VehicleId, VehicleType


class PriceRequestItem(RequestModel):
    vehicle_id: VehicleId
    vehicle_type: VehicleType
    city: str
    zone_id: str | None = None


class BatchPriceRequest(RequestModel):
    items: list[PriceRequestItem] = Field(min_length=1, max_length=500)


class VehiclePriceItem(ContractModel):
    vehicle_id: VehicleId
    price: PriceRead


class BatchPriceRead(ContractModel):
    items: list[VehiclePriceItem]
    unpriced: list[VehicleId] = Field(default_factory=list)
    """Requested vehicles with no price rule for their city and type (left out of `items`)."""


class QuoteCreate(RequestModel):
    """Ask for a price lock. On the rider route `rider_id` comes from the token, not the body."""

    vehicle_id: VehicleId
    vehicle_type: VehicleType
    city: str
    zone_id: str | None = None
    estimated_duration_min: int = Field(ge=1, le=24 * 60)


class InternalQuoteCreate(QuoteCreate):
    rider_id: RiderId


class QuoteLock(RequestModel):
    """Bind a quote to one booking; a quote can never serve another rider or booking."""

    booking_id: BookingId
    rider_id: RiderId
    vehicle_id: VehicleId


class QuoteRead(ContractModel):
    quote_id: QuoteId
    rider_id: RiderId
    vehicle_id: VehicleId
    vehicle_type: VehicleType
    price: PriceRead
    estimated_duration_min: int
    estimated_amount: Money
    authorized_amount: Money
    """The most the rider can be charged under this quote: what payment authorises."""
    booking_id: BookingId | None = None
    expires_at: UtcDatetime
    per_km: Money | None = None
    """Distance rate under this quote (surge applied), when the rule charges distance."""


class FareCreate(RequestModel):
    quote_id: QuoteId
    booking_id: BookingId
    started_at: UtcDatetime
    ended_at: UtcDatetime
    distance_m: int = Field(ge=0)


class FareRead(ContractModel):
    quote_id: QuoteId
    booking_id: BookingId
    fare: FareBreakdown


# --- internal: price rules and surge (ops) -------------------------------------------------


class PriceRuleCreate(RequestModel):
    """A new version of the rule for a city and vehicle type; quotes already given keep theirs."""

    city: str = Field(min_length=1, max_length=100)
    vehicle_type: VehicleType
    unlock_fee: Money
    per_minute: Money
    per_km: Money | None = None
    valid_from: UtcDatetime | None = None
    """When the new version takes effect (now when omitted; never in the past)."""

    @model_validator(mode="after")
    def _one_currency(self) -> PriceRuleCreate:
        amounts = [self.unlock_fee, self.per_minute, *([self.per_km] if self.per_km else [])]
        if len({money.currency for money in amounts}) != 1:
            raise ValueError("unlock_fee, per_minute and per_km must use one currency")
        return self


class PriceRuleRead(ContractModel):
    rule_id: UUID
    city: str
    vehicle_type: VehicleType
    unlock_fee: Money
    per_minute: Money
    per_km: Money | None = None
    valid_from: UtcDatetime


class PriceRulePage(ContractModel):
    """The rules in force (and scheduled ones) per city and vehicle type."""

    items: list[PriceRuleRead]


class ZoneSurgeItem(ContractModel):
    city: str
    zone_id: str
    vehicle_type: VehicleType
    multiplier: float = Field(ge=1.0)
    """The zone's smoothed demand/supply multiplier, before the time-of-day factor."""
    searches: int = Field(ge=0)
    quotes: int = Field(ge=0)
    bookings: int = Field(ge=0)
    supply: int | None = Field(default=None, ge=0)
    """Available vehicles fleet reported; None when fleet could not be asked."""
    updated_at: UtcDatetime


class ZoneSurgePage(ContractModel):
    items: list[ZoneSurgeItem]
    time_of_day_factor: float = Field(gt=0)
