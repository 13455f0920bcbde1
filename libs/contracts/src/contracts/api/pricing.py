"""Pricing service API: batch prices for search, quotes (price locks), fares at trip end."""

from __future__ import annotations

from pydantic import Field

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
