"""Booking service API (rider-facing) and the booking flow contracts.

Booking flow contracts: a request is validated when built; a result is either a success with
confirmation data or a failure with at least one error (code + message); result metadata is
JSON-serialisable and echoes the request.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, JsonValue, model_validator

from contracts.api.common import PriceRead
from contracts.base import ContractModel, RequestModel, UtcDatetime
from contracts.events.booking import FareBreakdown
from contracts.types import (
    BookingId,
    BookingStatus,
    Money,
    PaymentId,
    PaymentStatus,
    QuoteId,
    RiderId,
    VehicleId,
    VehicleType,
)


class BookingCreate(RequestModel):
    """Reserve a vehicle now, or at `start_time` (an advance booking)."""

    vehicle_id: VehicleId
    estimated_duration_min: int = Field(ge=1, le=24 * 60)
    start_time: UtcDatetime | None = None
    quote_id: QuoteId | None = None


class GroupBookingCreate(RequestModel):
    """One request for a party: each vehicle succeeds or fails on its own."""

    items: list[BookingCreate] = Field(min_length=1, max_length=10)

    @model_validator(mode="after")
    def _distinct_vehicles(self) -> GroupBookingCreate:
        ids = [item.vehicle_id for item in self.items]
        if len(ids) != len(set(ids)):
            raise ValueError("each vehicle may appear only once in a group booking")
        return self


class PaymentConfirmation(RequestModel):
    payment_method_id: str = Field(min_length=1, max_length=255)


class BookingPaymentRead(ContractModel):
    payment_id: PaymentId
    status: PaymentStatus
    amount: Money
    client_secret: str | None = None
    failure_code: str | None = None
    next_action: str | None = None
    """Set while the rider must complete 3-D Secure with `client_secret` (e.g.
    `use_stripe_sdk`); the booking is confirmed once payment reports the outcome."""


class BookingPriceRead(ContractModel):
    quote_id: QuoteId
    price: PriceRead
    estimated_amount: Money
    authorized_amount: Money
    expires_at: UtcDatetime


class TripRead(ContractModel):
    started_at: UtcDatetime | None = None
    ended_at: UtcDatetime | None = None
    distance_m: int | None = None
    fare: FareBreakdown | None = None
    captured_amount: Money | None = None
    vehicle_flagged: bool = False


class SignedReceipt(ContractModel):
    """Evidence for disputes: the receipt body and an Ed25519 signature support can verify."""

    receipt: dict[str, JsonValue]
    signature: str
    key_id: str


class BookingRead(ContractModel):
    id: BookingId
    rider_id: RiderId
    vehicle_id: VehicleId
    vehicle_type: VehicleType
    status: BookingStatus
    estimated_duration_min: int
    start_time: UtcDatetime | None = None
    hold_until: UtcDatetime | None = None
    unlock_deadline: UtcDatetime | None = None
    price: BookingPriceRead | None = None
    payment: BookingPaymentRead | None = None
    confirmation_code: str | None = None
    receipt: SignedReceipt | None = None
    trip: TripRead | None = None
    status_reason: str | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime


class BookingPage(ContractModel):
    items: list[BookingRead]
    total: int = Field(ge=0)
    limit: int
    offset: int


class ReceiptVerification(ContractModel):
    valid: bool
    booking_id: BookingId | None = None
    reason: str | None = None


class BookingError(ContractModel):
    code: str = Field(min_length=1)
    message: str = Field(min_length=1)


class BookingResult(ContractModel):
    """The outcome of one booking request (one item of a group booking, or a scheduled run)."""

    outcome: Literal["success", "failure"]
    booking: BookingRead | None = None
    errors: list[BookingError] = Field(default_factory=list)
    metadata: dict[str, JsonValue] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> BookingResult:
        if self.outcome == "success" and (self.booking is None or self.errors):
            raise ValueError("a success carries the booking and no errors")
        if self.outcome == "failure" and (not self.errors or self.booking is not None):
            raise ValueError("a failure carries at least one error and no booking")
        return self

    @classmethod
    def success(cls, booking: BookingRead, request: BookingCreate) -> BookingResult:
        return cls(outcome="success", booking=booking, metadata=_echo(request))

    @classmethod
    def failure(cls, request: BookingCreate, *, code: str, message: str) -> BookingResult:
        return cls(
            outcome="failure",
            errors=[BookingError(code=code, message=message)],
            metadata=_echo(request),
        )


def _echo(request: BookingCreate) -> dict[str, Any]:
    return {"request": request.model_dump(mode="json")}


class GroupBookingRead(ContractModel):
    items: list[BookingResult]
    succeeded: int
    failed: int
