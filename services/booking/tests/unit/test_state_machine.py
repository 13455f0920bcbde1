"""The booking state machine: every allowed transition works, every other one is refused."""

from __future__ import annotations

from datetime import timedelta
from itertools import product
from uuid import uuid4

import pytest
from booking.domain import (
    TERMINAL,
    TRANSITIONS,
    Booking,
    InvalidBookingStateError,
    Payment,
    Quote,
    Reservation,
    TripNotActiveError,
)
from booking.domain.values import Fare
from booking_fakes import T0, eur
from contracts.types import (
    BookingId,
    BookingStatus,
    GeoPoint,
    PaymentId,
    PaymentStatus,
    QuoteId,
    RiderContact,
    RiderId,
    VehicleId,
    VehicleType,
)

S = BookingStatus
ALLOWED = {
    (S.SCHEDULED, S.PENDING_PAYMENT),
    (S.SCHEDULED, S.CANCELLED),
    (S.SCHEDULED, S.FAILED),
    (S.PENDING_PAYMENT, S.CONFIRMED),
    (S.PENDING_PAYMENT, S.CANCELLED),
    (S.PENDING_PAYMENT, S.EXPIRED),
    (S.CONFIRMED, S.ACTIVE),
    (S.CONFIRMED, S.CANCELLED),
    (S.CONFIRMED, S.EXPIRED),
    (S.ACTIVE, S.COMPLETED),
}


def pending(**changes: object) -> Booking:
    booking = Booking.pending(
        booking_id=BookingId(uuid4()),
        rider_id=RiderId(uuid4()),
        vehicle_id=VehicleId(uuid4()),
        vehicle_type=VehicleType.SCOOTER,
        estimated_duration_min=10,
        reservation=Reservation(hold_until=T0 + timedelta(minutes=5), city="berlin"),
        quote=Quote(
            quote_id=QuoteId(uuid4()),
            unlock_fee=eur(100),
            per_minute=eur(25),
            surge_multiplier=1.0,
            estimated_amount=eur(350),
            authorized_amount=eur(700),
            expires_at=T0 + timedelta(minutes=10),
        ),
        payment=Payment(
            payment_id=PaymentId(uuid4()),
            status=PaymentStatus.REQUIRES_PAYMENT_METHOD,
            amount=eur(700),
        ),
        rider_contact=RiderContact(email="a@example.com"),
        now=T0,
    )
    for name, value in changes.items():
        setattr(booking, name, value)
    return booking


def in_state(status: BookingStatus) -> Booking:
    return pending(status=status)


def confirmed() -> Booking:
    booking = pending()
    booking.record_authorization(T0)
    booking.confirm(unlock_deadline=T0 + timedelta(minutes=10), confirmation_code="ABC234", now=T0)
    return booking


def test_the_transition_table_is_exactly_the_documented_one() -> None:
    table = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    assert table == ALLOWED
    assert {S.COMPLETED, S.CANCELLED, S.EXPIRED, S.FAILED} == TERMINAL


@pytest.mark.parametrize(("source", "target"), sorted(product(S, S)))
def test_every_transition_is_allowed_or_refused_by_the_table(
    source: BookingStatus, target: BookingStatus
) -> None:
    booking = in_state(source)
    if (source, target) in ALLOWED:
        booking._move(target, T0 + timedelta(seconds=1))
        assert booking.status is target
        assert booking.updated_at == T0 + timedelta(seconds=1)
    else:
        with pytest.raises(InvalidBookingStateError):
            booking._move(target, T0)
        assert booking.status is source


def test_only_an_authorised_booking_can_be_confirmed() -> None:
    booking = pending()
    with pytest.raises(InvalidBookingStateError):
        booking.confirm(unlock_deadline=T0, confirmation_code="X", now=T0)
    booking.record_authorization(T0)
    booking.confirm(unlock_deadline=T0 + timedelta(minutes=10), confirmation_code="X", now=T0)
    assert booking.status is S.CONFIRMED
    assert booking.hold_until == booking.unlock_deadline == T0 + timedelta(minutes=10)


def test_a_decline_below_the_limit_keeps_the_booking_payable() -> None:
    booking = pending()
    compensation = booking.record_decline("card_declined", T0, max_attempts=2)
    assert booking.status is S.PENDING_PAYMENT
    assert not compensation.needed
    assert booking.payment is not None
    assert (booking.payment.status, booking.payment.declines) == (PaymentStatus.FAILED, 1)


def test_the_decline_at_the_limit_cancels_and_asks_for_release_and_void() -> None:
    booking = pending()
    compensation = booking.record_decline("card_declined", T0, max_attempts=1)
    assert booking.status is S.CANCELLED
    assert booking.status_reason == "payment_failed: card_declined"
    assert compensation.release_vehicle
    assert compensation.void_payment


def test_cancelling_a_scheduled_booking_has_nothing_to_undo() -> None:
    booking = Booking.scheduled(
        booking_id=BookingId(uuid4()),
        rider_id=RiderId(uuid4()),
        vehicle_id=VehicleId(uuid4()),
        vehicle_type=VehicleType.EBIKE,
        estimated_duration_min=30,
        start_time=T0 + timedelta(hours=2),
        rider_contact=RiderContact(),
        now=T0,
    )
    assert not booking.cancel("rider_cancelled", T0).needed


def test_a_scheduled_booking_must_start_in_the_future() -> None:
    with pytest.raises(InvalidBookingStateError):
        Booking.scheduled(
            booking_id=BookingId(uuid4()),
            rider_id=RiderId(uuid4()),
            vehicle_id=VehicleId(uuid4()),
            vehicle_type=VehicleType.EBIKE,
            estimated_duration_min=30,
            start_time=T0,
            rider_contact=RiderContact(),
            now=T0,
        )


def test_a_settled_payment_is_not_voided_again() -> None:
    booking = pending()
    booking.record_payment_status(PaymentStatus.VOIDED, T0)
    compensation = booking.expire(T0)
    assert compensation.release_vehicle
    assert not compensation.void_payment


def test_overdue_means_past_the_hold_when_unpaid_and_past_the_deadline_when_confirmed() -> None:
    unpaid = pending()
    assert not unpaid.is_overdue(T0 + timedelta(minutes=4))
    assert unpaid.is_overdue(T0 + timedelta(minutes=5))
    paid = confirmed()
    assert not paid.is_overdue(T0 + timedelta(minutes=9))
    assert paid.is_overdue(T0 + timedelta(minutes=10))
    assert not in_state(S.ACTIVE).is_overdue(T0 + timedelta(days=1))


def test_starting_a_trip_twice_changes_nothing_the_second_time() -> None:
    booking = confirmed()
    assert booking.start_trip(started_at=T0, position=GeoPoint(lat=1, lon=2), now=T0)
    assert booking.status is S.ACTIVE
    assert not booking.start_trip(started_at=T0 + timedelta(minutes=1), position=None, now=T0)
    assert booking.trip.started_at == T0


def test_a_trip_ends_only_while_active_and_completes_only_with_its_fare() -> None:
    booking = confirmed()
    with pytest.raises(TripNotActiveError):
        booking.record_trip_end(
            ended_at=T0,
            position=GeoPoint(lat=1, lon=2),
            distance_m=1,
            vehicle_flagged=False,
            now=T0,
        )
    booking.start_trip(started_at=T0, position=None, now=T0)
    booking.record_trip_end(
        ended_at=T0 + timedelta(minutes=7),
        position=GeoPoint(lat=1, lon=2),
        distance_m=900,
        vehicle_flagged=True,
        now=T0,
    )
    with pytest.raises(InvalidBookingStateError):
        booking.complete(captured=eur(275), now=T0)
    fare = Fare(
        unlock_fee=eur(100), time_charge=eur(175), total=eur(275), minutes=7, distance_m=900
    )
    booking.record_fare(fare, T0)
    booking.complete(captured=eur(275), now=T0)
    assert booking.status is S.COMPLETED
    assert booking.trip.captured_amount == eur(275)
    assert booking.trip.vehicle_flagged
    assert booking.payment is not None
    assert booking.payment.status is PaymentStatus.CAPTURED


def test_recording_the_trip_end_twice_keeps_the_first() -> None:
    booking = confirmed()
    booking.start_trip(started_at=T0, position=None, now=T0)
    for minutes in (5, 9):
        booking.record_trip_end(
            ended_at=T0 + timedelta(minutes=minutes),
            position=GeoPoint(lat=1, lon=2),
            distance_m=minutes,
            vehicle_flagged=False,
            now=T0,
        )
    assert booking.trip.ended_at == T0 + timedelta(minutes=5)


def test_promotion_needs_the_hold_the_quote_and_the_payment() -> None:
    booking = Booking.scheduled(
        booking_id=BookingId(uuid4()),
        rider_id=RiderId(uuid4()),
        vehicle_id=VehicleId(uuid4()),
        vehicle_type=VehicleType.SCOOTER,
        estimated_duration_min=10,
        start_time=T0 + timedelta(hours=1),
        rider_contact=RiderContact(),
        now=T0,
    )
    with pytest.raises(InvalidBookingStateError):
        booking.promote(T0)
    template = pending()
    assert template.reservation is not None
    assert template.quote is not None
    assert template.payment is not None
    booking.record_reservation(template.reservation, T0)
    booking.record_quote(template.quote, T0)
    booking.record_payment(template.payment, T0)
    booking.promote(T0)
    assert booking.status is S.PENDING_PAYMENT
    assert booking.hold_until == template.reservation.hold_until
