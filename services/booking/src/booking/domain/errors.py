"""Every business rejection booking can answer with (rendered as RFC 9457 by the platform).

`stored` says whether an idempotent request that ends in this error keeps it as its final
response (Stripe's rule: once execution began the outcome is saved and replayed). Errors that
say "try again" (rate limit, a concurrent request, a lost race) are not stored, so the same key
can be retried. `retryable` tells the scheduled-booking executor to try again later.
"""

from __future__ import annotations

from typing import ClassVar

from contracts.errors import DomainError


class BookingError(DomainError):
    stored: ClassVar[bool] = True
    retryable: ClassVar[bool] = False


class BookingNotFoundError(BookingError):
    code = "booking_not_found"
    title = "Booking not found"


class VehicleNotFoundError(BookingError):
    code = "vehicle_not_found"
    title = "Vehicle not found"


class VehicleUnavailableError(BookingError):
    code = "vehicle_unavailable"
    title = "Vehicle unavailable"
    retryable = True


class InvalidBookingStateError(BookingError):
    code = "invalid_booking_state"
    title = "Not possible in the booking's current state"


class HoldExpiredError(BookingError):
    code = "hold_expired"
    title = "The vehicle is no longer held for this booking"


class TripNotActiveError(BookingError):
    code = "trip_not_active"
    title = "The trip is not active"


class InvalidStartTimeError(BookingError):
    code = "invalid_start_time"
    title = "Start time not allowed"


class QuoteNotFoundError(BookingError):
    code = "quote_not_found"
    title = "Quote not found"


class QuoteNotYoursError(BookingError):
    code = "quote_not_yours"
    title = "Quote belongs to another rider or vehicle"


class QuoteAlreadyUsedError(BookingError):
    code = "quote_already_used"
    title = "Quote already used by another booking"


class QuoteExpiredError(BookingError):
    code = "quote_expired"
    title = "Quote expired"


class NoPriceRuleError(BookingError):
    code = "no_price_rule"
    title = "No price for this vehicle"


class InvalidPaymentStateError(BookingError):
    code = "invalid_payment_state"
    title = "The payment cannot do that in its current state"


class RateLimitedError(BookingError):
    code = "rate_limited"
    title = "Too many booking requests"
    stored = False


class IdempotencyKeyReusedError(BookingError):
    code = "idempotency_key_reused"
    title = "Idempotency-Key already used for a different request"
    stored = False


class RequestInProgressError(BookingError):
    code = "request_in_progress"
    title = "A request with this Idempotency-Key is still in progress"
    stored = False


class ConcurrentUpdateError(BookingError):
    code = "concurrent_update"
    title = "The booking changed meanwhile; retry"
    stored = False
    retryable = True


class PeerContractError(Exception):
    """A peer answered in a way its documented contract does not allow (a bug, not a rule)."""
