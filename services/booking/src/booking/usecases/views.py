"""Domain -> contracts: the rider's view of a booking and the events booking publishes."""

from __future__ import annotations

from datetime import datetime

from contracts.api.booking import (
    BookingPaymentRead,
    BookingPriceRead,
    BookingRead,
    SignedReceipt,
    TripRead,
)
from contracts.api.common import PriceRead
from contracts.events.booking import (
    BookingCancelled,
    BookingConfirmed,
    BookingCreated,
    BookingExpired,
    BookingFailed,
    FareBreakdown,
    TripEnded,
    TripStarted,
)
from contracts.types import BookingStatus

from booking.domain import Booking, Fare, Quote, Receipt, Trip


def fare_breakdown(fare: Fare) -> FareBreakdown:
    return FareBreakdown(
        unlock_fee=fare.unlock_fee,
        time_charge=fare.time_charge,
        distance_charge=fare.distance_charge,
        surge_multiplier=fare.surge_multiplier,
        minutes=fare.minutes,
        distance_m=fare.distance_m,
        total=fare.total,
        capped=fare.capped,
    )


def _price(quote: Quote | None) -> BookingPriceRead | None:
    if quote is None:
        return None
    return BookingPriceRead(
        quote_id=quote.quote_id,
        price=PriceRead(
            unlock_fee=quote.unlock_fee,
            per_minute=quote.per_minute,
            surge_multiplier=quote.surge_multiplier,
        ),
        estimated_amount=quote.estimated_amount,
        authorized_amount=quote.authorized_amount,
        expires_at=quote.expires_at,
    )


def _payment(booking: Booking) -> BookingPaymentRead | None:
    payment = booking.payment
    if payment is None:
        return None
    payable = booking.status is BookingStatus.PENDING_PAYMENT
    return BookingPaymentRead(
        payment_id=payment.payment_id,
        status=payment.status,
        amount=payment.amount,
        client_secret=payment.client_secret if payable else None,
        failure_code=payment.failure_code,
        next_action=payment.next_action,
    )


def _trip(trip: Trip) -> TripRead | None:
    if trip.started_at is None:
        return None
    return TripRead(
        started_at=trip.started_at,
        ended_at=trip.ended_at,
        distance_m=trip.distance_m,
        fare=None if trip.fare is None else fare_breakdown(trip.fare),
        captured_amount=trip.captured_amount,
        vehicle_flagged=trip.vehicle_flagged,
    )


def _receipt(receipt: Receipt | None) -> SignedReceipt | None:
    if receipt is None:
        return None
    return SignedReceipt(
        receipt=receipt.document, signature=receipt.signature, key_id=receipt.key_id
    )


def booking_read(booking: Booking) -> BookingRead:
    return BookingRead(
        id=booking.id,
        rider_id=booking.rider_id,
        vehicle_id=booking.vehicle_id,
        vehicle_type=booking.vehicle_type,
        status=booking.status,
        estimated_duration_min=booking.estimated_duration_min,
        start_time=booking.start_time,
        hold_until=booking.hold_until,
        unlock_deadline=booking.unlock_deadline,
        price=_price(booking.quote),
        payment=_payment(booking),
        confirmation_code=booking.confirmation_code,
        receipt=_receipt(booking.receipt),
        trip=_trip(booking.trip),
        status_reason=booking.status_reason,
        created_at=booking.created_at,
        updated_at=booking.updated_at,
    )


def booking_created(booking: Booking) -> BookingCreated:
    return BookingCreated(
        booking_id=booking.id,
        rider_id=booking.rider_id,
        vehicle_id=booking.vehicle_id,
        vehicle_type=booking.vehicle_type,
        status=booking.status,
        quote_id=None if booking.quote is None else booking.quote.quote_id,
        estimated_amount=None if booking.quote is None else booking.quote.estimated_amount,
        start_time=booking.start_time,
        hold_until=booking.hold_until,
        rider_contact=booking.rider_contact,
        created_at=booking.created_at,
    )


def booking_confirmed(booking: Booking) -> BookingConfirmed:
    assert booking.payment is not None
    assert booking.unlock_deadline is not None
    assert booking.confirmation_code is not None
    return BookingConfirmed(
        booking_id=booking.id,
        rider_id=booking.rider_id,
        vehicle_id=booking.vehicle_id,
        vehicle_type=booking.vehicle_type,
        confirmation_code=booking.confirmation_code,
        authorized_amount=booking.payment.amount,
        unlock_deadline=booking.unlock_deadline,
        rider_contact=booking.rider_contact,
        confirmed_at=booking.updated_at,
    )


def booking_cancelled(booking: Booking) -> BookingCancelled:
    return BookingCancelled(
        booking_id=booking.id,
        rider_id=booking.rider_id,
        vehicle_id=booking.vehicle_id,
        reason=booking.status_reason or "cancelled",
        cancelled_at=booking.updated_at,
        rider_contact=booking.rider_contact,
    )


def booking_expired(booking: Booking, previous: BookingStatus) -> BookingExpired:
    return BookingExpired(
        booking_id=booking.id,
        rider_id=booking.rider_id,
        vehicle_id=booking.vehicle_id,
        previous_status=previous,
        expired_at=booking.updated_at,
        rider_contact=booking.rider_contact,
    )


def booking_failed(booking: Booking, attempts: int) -> BookingFailed:
    return BookingFailed(
        booking_id=booking.id,
        rider_id=booking.rider_id,
        vehicle_id=booking.vehicle_id,
        reason=booking.status_reason or "failed",
        attempts=attempts,
        failed_at=booking.updated_at,
        rider_contact=booking.rider_contact,
    )


def trip_started(booking: Booking) -> TripStarted:
    assert booking.trip.started_at is not None
    return TripStarted(
        booking_id=booking.id,
        rider_id=booking.rider_id,
        vehicle_id=booking.vehicle_id,
        started_at=booking.trip.started_at,
        start_position=booking.trip.start_position,
    )


def trip_ended(booking: Booking, now: datetime) -> TripEnded:
    trip = booking.trip
    assert trip.started_at is not None
    assert trip.fare is not None
    assert trip.captured_amount is not None
    return TripEnded(
        booking_id=booking.id,
        rider_id=booking.rider_id,
        vehicle_id=booking.vehicle_id,
        started_at=trip.started_at,
        ended_at=trip.ended_at or now,
        end_position=trip.end_position,
        fare=fare_breakdown(trip.fare),
        captured_amount=trip.captured_amount,
        rider_contact=booking.rider_contact,
    )
