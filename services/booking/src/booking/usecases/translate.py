"""Contracts (peer answers) -> domain values."""

from __future__ import annotations

from datetime import datetime

from contracts.api.fleet import ReservationRead
from contracts.api.payment import PaymentRead
from contracts.api.pricing import FareRead, QuoteRead

from booking.domain import Fare, Payment, Quote, Reservation


def reservation(read: ReservationRead, *, default_hold_until: datetime) -> Reservation:
    return Reservation(
        hold_until=read.hold_until or default_hold_until, city=read.city, zone_id=read.zone_id
    )


def quote(read: QuoteRead) -> Quote:
    return Quote(
        quote_id=read.quote_id,
        unlock_fee=read.price.unlock_fee,
        per_minute=read.price.per_minute,
        surge_multiplier=read.price.surge_multiplier,
        estimated_amount=read.estimated_amount,
        authorized_amount=read.authorized_amount,
        expires_at=read.expires_at,
    )


def payment(read: PaymentRead) -> Payment:
    return Payment(
        payment_id=read.payment_id,
        status=read.status,
        amount=read.amount,
        client_secret=read.client_secret,
        failure_code=read.failure_code,
        next_action=read.next_action,
    )


def fare(read: FareRead) -> Fare:
    f = read.fare
    return Fare(
        unlock_fee=f.unlock_fee,
        time_charge=f.time_charge,
        distance_charge=f.distance_charge,
        surge_multiplier=f.surge_multiplier,
        minutes=f.minutes,
        distance_m=f.distance_m,
        total=f.total,
        capped=f.capped,
    )
