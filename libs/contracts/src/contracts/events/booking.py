"""Events produced by the booking service on `booking.events.v1`, keyed by booking id."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from contracts import topics
from contracts.base import ContractModel, UtcDatetime
from contracts.envelope import Event
from contracts.types import (
    BookingId,
    BookingStatus,
    GeoPoint,
    Money,
    QuoteId,
    RiderContact,
    RiderId,
    VehicleId,
    VehicleType,
)


class BookingEvent(Event):
    abstract: ClassVar[bool] = True
    topic: ClassVar[str] = topics.BOOKING
    key_field: ClassVar[str] = "booking_id"

    booking_id: BookingId
    rider_id: RiderId
    vehicle_id: VehicleId


class BookingCreated(BookingEvent):
    vehicle_type: VehicleType
    status: BookingStatus
    quote_id: QuoteId | None = None
    estimated_amount: Money | None = None
    start_time: UtcDatetime | None = None
    hold_until: UtcDatetime | None = None
    rider_contact: RiderContact | None = None
    created_at: UtcDatetime


class BookingConfirmed(BookingEvent):
    vehicle_type: VehicleType
    confirmation_code: str
    authorized_amount: Money
    unlock_deadline: UtcDatetime
    rider_contact: RiderContact | None = None
    confirmed_at: UtcDatetime


class BookingCancelled(BookingEvent):
    reason: str
    cancelled_at: UtcDatetime
    rider_contact: RiderContact | None = None


class BookingExpired(BookingEvent):
    previous_status: BookingStatus
    expired_at: UtcDatetime
    rider_contact: RiderContact | None = None


class BookingFailed(BookingEvent):
    """A scheduled booking could not be fulfilled after its retries."""

    reason: str
    attempts: int = Field(ge=0)
    failed_at: UtcDatetime
    rider_contact: RiderContact | None = None


class TripStarted(BookingEvent):
    started_at: UtcDatetime
    start_position: GeoPoint | None = None


class FareBreakdown(ContractModel):
    unlock_fee: Money
    time_charge: Money
    distance_charge: Money | None = None
    surge_multiplier: float = 1.0
    minutes: int = Field(ge=0)
    distance_m: int = Field(ge=0)
    total: Money
    capped: bool = False


class TripEnded(BookingEvent):
    started_at: UtcDatetime
    ended_at: UtcDatetime
    end_position: GeoPoint | None = None
    fare: FareBreakdown
    captured_amount: Money
    rider_contact: RiderContact | None = None
