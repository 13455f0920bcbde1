"""Pure business rules: when things expire, how retries back off, codes, receipts, limits."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from contracts.types import BookingId, Money

from booking.domain.booking import Booking
from booking.domain.errors import InvalidStartTimeError

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""32 symbols without the look-alikes 0/O, 1/I: easy to read out over the phone."""
CODE_LENGTH = 6


def confirmation_code(booking_id: BookingId) -> str:
    """A short, human-readable code, derived from the booking id (so a resumed confirmation
    produces the same code). Support always pairs it with the booking id."""
    number = int.from_bytes(hashlib.sha256(booking_id.bytes).digest()[:8], "big")
    chars = []
    for _ in range(CODE_LENGTH):
        number, index = divmod(number, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[index])
    return "".join(chars)


def is_scheduled_start(
    start_time: datetime | None,
    *,
    now: datetime,
    min_advance_s: int,
    max_advance_days: int,
) -> bool:
    """True when `start_time` asks for an advance booking; False for an immediate one."""
    if start_time is None or start_time <= now + timedelta(seconds=min_advance_s):
        return False
    if start_time > now + timedelta(days=max_advance_days):
        raise InvalidStartTimeError(
            f"Bookings can be made at most {max_advance_days} days ahead.",
            extensions={"max_advance_days": max_advance_days},
        )
    return True


def promotion_time(start_time: datetime, *, lead_s: int) -> datetime:
    return start_time - timedelta(seconds=lead_s)


def backoff_delay_s(attempt: int, *, initial_s: float, max_s: float) -> float:
    """Exponential backoff: initial, 2x, 4x, ... capped at max_s (attempt counts from 1)."""
    exponent = max(0, attempt - 1)
    return min(max_s, initial_s * (2**exponent)) if exponent < 64 else max_s


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after_s: int = 0


def rate_decision(*, count: int, limit: int, window_remaining_s: float) -> RateDecision:
    """`count` requests (this one included) fell in the current window of `limit`."""
    if count <= limit:
        return RateDecision(allowed=True)
    return RateDecision(allowed=False, retry_after_s=max(1, int(window_remaining_s + 0.999)))


def rate_window(now: datetime, window_s: int) -> tuple[int, float]:
    """(window number, seconds left in it) for a fixed window of `window_s` seconds."""
    epoch = now.timestamp()
    number = int(epoch // window_s)
    return number, (number + 1) * window_s - epoch


def _money(value: Money | None) -> dict[str, Any] | None:
    return (
        None if value is None else {"amount_minor": value.amount_minor, "currency": value.currency}
    )


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def receipt_document(booking: Booking, *, issued_at: datetime) -> dict[str, Any]:
    """What the signed receipt says: booking, vehicle, rider, amounts and times."""
    quote, payment, trip = booking.quote, booking.payment, booking.trip
    return {
        "kind": "booking_receipt",
        "booking_id": str(booking.id),
        "confirmation_code": booking.confirmation_code,
        "status": booking.status.value,
        "rider_id": str(booking.rider_id),
        "vehicle_id": str(booking.vehicle_id),
        "vehicle_type": booking.vehicle_type.value,
        "quote_id": None if quote is None else str(quote.quote_id),
        "estimated_amount": _money(None if quote is None else quote.estimated_amount),
        "authorized_amount": _money(None if payment is None else payment.amount),
        "payment_id": None if payment is None else str(payment.payment_id),
        "created_at": _time(booking.created_at),
        "start_time": _time(booking.start_time),
        "unlock_deadline": _time(booking.unlock_deadline),
        "trip_started_at": _time(trip.started_at),
        "trip_ended_at": _time(trip.ended_at),
        "fare_total": _money(None if trip.fare is None else trip.fare.total),
        "captured_amount": _money(trip.captured_amount),
        "issued_at": issued_at.isoformat(),
    }
