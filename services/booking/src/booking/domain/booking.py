"""The booking aggregate and its state machine. Pure: no I/O, time comes in as arguments.

    scheduled ──> pending_payment ──> confirmed ──> active ──> completed
       │  │             │    │            │   │
       │  └> cancelled <┘    └> expired <─┘   └> cancelled
       └> failed             (and pending_payment -> cancelled)

Every transition goes through `_move`, which refuses anything not in TRANSITIONS.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from contracts.types import (
    BookingId,
    BookingStatus,
    GeoPoint,
    Money,
    PaymentStatus,
    RiderContact,
    RiderId,
    VehicleId,
    VehicleType,
)

from booking.domain.errors import InvalidBookingStateError, TripNotActiveError
from booking.domain.values import Compensation, Fare, Payment, Quote, Receipt, Reservation, Trip

S = BookingStatus

TRANSITIONS: dict[BookingStatus, frozenset[BookingStatus]] = {
    S.SCHEDULED: frozenset({S.PENDING_PAYMENT, S.CANCELLED, S.FAILED}),
    S.PENDING_PAYMENT: frozenset({S.CONFIRMED, S.CANCELLED, S.EXPIRED}),
    S.CONFIRMED: frozenset({S.ACTIVE, S.CANCELLED, S.EXPIRED}),
    S.ACTIVE: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
    S.FAILED: frozenset(),
}
TERMINAL = frozenset(s for s, targets in TRANSITIONS.items() if not targets)
HOLDING = frozenset({S.PENDING_PAYMENT, S.CONFIRMED})
"""States in which fleet holds the vehicle for this booking."""
_SETTLED_PAYMENT = frozenset({PaymentStatus.VOIDED, PaymentStatus.CAPTURED, PaymentStatus.REFUNDED})


@dataclass
class Booking:
    id: BookingId
    rider_id: RiderId
    vehicle_id: VehicleId
    vehicle_type: VehicleType
    status: BookingStatus
    estimated_duration_min: int
    created_at: datetime
    updated_at: datetime
    rider_contact: RiderContact = field(default_factory=RiderContact)
    start_time: datetime | None = None
    hold_until: datetime | None = None
    unlock_deadline: datetime | None = None
    reservation: Reservation | None = None
    quote: Quote | None = None
    payment: Payment | None = None
    confirmation_code: str | None = None
    receipt: Receipt | None = None
    trip: Trip = field(default_factory=Trip)
    status_reason: str | None = None
    promotion_attempts: int = 0
    version: int = 0

    # --- creation ------------------------------------------------------------------------

    @classmethod
    def pending(
        cls,
        *,
        booking_id: BookingId,
        rider_id: RiderId,
        vehicle_id: VehicleId,
        vehicle_type: VehicleType,
        estimated_duration_min: int,
        reservation: Reservation,
        quote: Quote,
        payment: Payment,
        rider_contact: RiderContact,
        now: datetime,
    ) -> Booking:
        """A booking whose vehicle is held and whose payment awaits the rider."""
        return cls(
            id=booking_id,
            rider_id=rider_id,
            vehicle_id=vehicle_id,
            vehicle_type=vehicle_type,
            status=S.PENDING_PAYMENT,
            estimated_duration_min=estimated_duration_min,
            created_at=now,
            updated_at=now,
            rider_contact=rider_contact,
            hold_until=reservation.hold_until,
            reservation=reservation,
            quote=quote,
            payment=payment,
        )

    @classmethod
    def scheduled(
        cls,
        *,
        booking_id: BookingId,
        rider_id: RiderId,
        vehicle_id: VehicleId,
        vehicle_type: VehicleType,
        estimated_duration_min: int,
        start_time: datetime,
        rider_contact: RiderContact,
        now: datetime,
    ) -> Booking:
        """An advance booking: nothing is held until the executor promotes it."""
        if start_time <= now:
            raise InvalidBookingStateError("A scheduled booking must start in the future.")
        return cls(
            id=booking_id,
            rider_id=rider_id,
            vehicle_id=vehicle_id,
            vehicle_type=vehicle_type,
            status=S.SCHEDULED,
            estimated_duration_min=estimated_duration_min,
            created_at=now,
            updated_at=now,
            rider_contact=rider_contact,
            start_time=start_time,
        )

    # --- the state machine ---------------------------------------------------------------

    def can_become(self, target: BookingStatus) -> bool:
        return target in TRANSITIONS[self.status]

    def _move(self, target: BookingStatus, now: datetime, reason: str | None = None) -> None:
        if not self.can_become(target):
            raise InvalidBookingStateError(
                f"A {self.status.value} booking cannot become {target.value}.",
                extensions={"booking_status": self.status.value},
            )
        self.status = target
        self.updated_at = now
        if reason is not None:
            self.status_reason = reason

    def _require(self, *allowed: BookingStatus) -> None:
        if self.status not in allowed:
            raise InvalidBookingStateError(
                f"Not possible for a {self.status.value} booking.",
                extensions={"booking_status": self.status.value},
            )

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    # --- scheduled promotion -------------------------------------------------------------

    def record_reservation(self, reservation: Reservation, now: datetime) -> None:
        self._require(S.SCHEDULED)
        self.reservation = reservation
        self.hold_until = reservation.hold_until
        self.updated_at = now

    def forget_reservation(self, now: datetime) -> None:
        """The hold was released (compensation between promotion attempts)."""
        self._require(S.SCHEDULED)
        self.reservation = None
        self.hold_until = None
        self.updated_at = now

    def record_quote(self, quote: Quote, now: datetime) -> None:
        self._require(S.SCHEDULED)
        self.quote = quote
        self.updated_at = now

    def record_payment(self, payment: Payment, now: datetime) -> None:
        self._require(S.SCHEDULED)
        self.payment = payment
        self.updated_at = now

    def promote(self, now: datetime) -> None:
        """Scheduled -> pending_payment, once the vehicle is held, priced and payable."""
        if self.reservation is None or self.quote is None or self.payment is None:
            raise InvalidBookingStateError("A booking is promoted only once held and priced.")
        self._move(S.PENDING_PAYMENT, now)

    def fail(self, reason: str, now: datetime) -> Compensation:
        compensation = self.compensation()
        self._move(S.FAILED, now, reason)
        return compensation

    # --- payment -------------------------------------------------------------------------

    @property
    def payment_authorized(self) -> bool:
        return self.payment is not None and self.payment.status is PaymentStatus.AUTHORIZED

    def record_authorization(self, now: datetime) -> None:
        self._require(S.PENDING_PAYMENT)
        assert self.payment is not None
        self.payment = replace(
            self.payment, status=PaymentStatus.AUTHORIZED, failure_code=None, next_action=None
        )
        self.updated_at = now

    def record_payment_action(self, next_action: str, now: datetime) -> None:
        """The card needs 3-D Secure: the rider completes it; the outcome comes by webhook."""
        self._require(S.PENDING_PAYMENT)
        assert self.payment is not None
        self.payment = replace(
            self.payment, status=PaymentStatus.REQUIRES_PAYMENT_METHOD, next_action=next_action
        )
        self.updated_at = now

    def record_decline(self, code: str, now: datetime, *, max_attempts: int) -> Compensation:
        """A declined card. Below `max_attempts` the rider may try again while the hold lives;
        at it the booking is cancelled (and the returned compensation must be carried out)."""
        self._require(S.PENDING_PAYMENT)
        assert self.payment is not None
        declines = self.payment.declines + 1
        self.payment = replace(
            self.payment,
            status=PaymentStatus.FAILED,
            failure_code=code,
            declines=declines,
            next_action=None,
        )
        self.updated_at = now
        if declines < max_attempts:
            return Compensation(release_vehicle=False, void_payment=False)
        return self.cancel(f"payment_failed: {code}", now)

    def record_payment_status(self, status: PaymentStatus, now: datetime) -> None:
        """Reflect a settled payment (voided, captured) after the fact; any state."""
        if self.payment is not None and self.payment.status is not status:
            self.payment = replace(self.payment, status=status)
            self.updated_at = now

    def confirm(self, *, unlock_deadline: datetime, confirmation_code: str, now: datetime) -> None:
        if not self.payment_authorized:
            raise InvalidBookingStateError("Only an authorised booking can be confirmed.")
        self._move(S.CONFIRMED, now)
        self.unlock_deadline = unlock_deadline
        self.hold_until = unlock_deadline
        self.confirmation_code = confirmation_code

    def attach_receipt(self, receipt: Receipt) -> None:
        self.receipt = receipt

    # --- ending early --------------------------------------------------------------------

    def compensation(self) -> Compensation:
        """What the peers still hold for this booking in its current state."""
        held = self.status in HOLDING or (
            self.status is S.SCHEDULED and self.reservation is not None
        )
        payable = self.payment is not None and self.payment.status not in _SETTLED_PAYMENT
        return Compensation(release_vehicle=held, void_payment=payable)

    def cancel(self, reason: str, now: datetime) -> Compensation:
        compensation = self.compensation()
        self._move(S.CANCELLED, now, reason)
        return compensation

    def is_overdue(self, now: datetime) -> bool:
        if self.status is S.PENDING_PAYMENT:
            return self.hold_until is not None and self.hold_until <= now
        if self.status is S.CONFIRMED:
            return self.unlock_deadline is not None and self.unlock_deadline <= now
        return False

    def expire(self, now: datetime, *, reason: str = "hold_expired") -> Compensation:
        compensation = self.compensation()
        self._move(S.EXPIRED, now, reason)
        return compensation

    # --- the trip ------------------------------------------------------------------------

    def start_trip(self, *, started_at: datetime, position: GeoPoint | None, now: datetime) -> bool:
        """Confirmed -> active. False (and no change) when the trip already started."""
        if self.status in (S.ACTIVE, S.COMPLETED):
            return False
        self._move(S.ACTIVE, now)
        self.trip = replace(self.trip, started_at=started_at, start_position=position)
        return True

    @property
    def trip_ended(self) -> bool:
        return self.trip.ended_at is not None

    def record_trip_end(
        self,
        *,
        ended_at: datetime,
        position: GeoPoint,
        distance_m: int,
        vehicle_flagged: bool,
        now: datetime,
    ) -> None:
        """The vehicle is locked: the trip is over, billing follows. Idempotent."""
        if self.status is not S.ACTIVE:
            raise TripNotActiveError(extensions={"booking_status": self.status.value})
        if self.trip_ended:
            return
        self.trip = replace(
            self.trip,
            ended_at=ended_at,
            end_position=position,
            distance_m=distance_m,
            vehicle_flagged=vehicle_flagged,
        )
        self.updated_at = now

    def record_fare(self, fare: Fare, now: datetime) -> None:
        if self.status is not S.ACTIVE or not self.trip_ended:
            raise TripNotActiveError(extensions={"booking_status": self.status.value})
        self.trip = replace(self.trip, fare=fare)
        self.updated_at = now

    def complete(self, *, captured: Money, now: datetime) -> None:
        if self.trip.fare is None:
            raise InvalidBookingStateError("A trip completes only once its fare is known.")
        self._move(S.COMPLETED, now)
        self.trip = replace(self.trip, captured_amount=captured)
        self.record_payment_status(PaymentStatus.CAPTURED, now)
