"""The scheduled-booking executor: at its time a scheduled booking is promoted (reserve at
fleet, lock a quote, open the PaymentIntent -> pending_payment; the rider then pays as for
any booking). A failed attempt releases what it reserved and is retried with exponential
backoff; after `workers.promote_max_attempts` attempts, or on a permanent rejection, the
booking is `failed` and BookingFailed goes out (notification tells the rider).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from contracts.api.payment import PaymentCreate
from contracts.api.pricing import InternalQuoteCreate, QuoteLock
from contracts.types import BookingStatus, PaymentId

from booking.domain import Booking, BookingError, Compensation, InvalidBookingStateError
from booking.domain.rules import backoff_delay_s
from booking.domain.tasks import Task, release_task, void_task
from booking.usecases import translate, views
from booking.usecases.compensation import schedule_compensation
from booking.usecases.context import Services

logger = logging.getLogger(__name__)


@dataclass
class _Progress:
    """What this attempt obtained from the peers (to undo if the booking died meanwhile)."""

    reserved: bool = False
    payment_id: PaymentId | None = None


async def promote_scheduled(svc: Services, task: Task) -> datetime | None:
    """One promotion attempt. None when settled (promoted, failed, cancelled), else when
    to try again."""
    booking = await _load(svc, task.booking_id)
    if booking is None or booking.status is not BookingStatus.SCHEDULED:
        return None
    progress = _Progress()
    try:
        await _promote(svc, booking, progress)
    except Exception as exc:  # noqa: BLE001 - classified in _attempt_failed
        logger.warning("promotion of %s failed (attempt %s): %r", booking.id, task.attempts, exc)
        return await _attempt_failed(svc, task, progress, exc)
    return None


async def _load(svc: Services, booking_id: UUID) -> Booking | None:
    async with svc.uow() as uow:
        return await uow.bookings.get(booking_id)


async def _update(svc: Services, booking_id: UUID, change: Callable[[Booking], None]) -> Booking:
    async with svc.uow() as uow:
        booking = await uow.bookings.get_for_update(booking_id)
        if booking is None or booking.status is not BookingStatus.SCHEDULED:
            raise InvalidBookingStateError("The booking is no longer scheduled.")
        change(booking)
        await uow.bookings.save(booking)
        await uow.commit()
    return booking


async def _promote(svc: Services, booking: Booking, progress: _Progress) -> None:
    now = svc.clock.now()
    hold_until = now + timedelta(seconds=svc.rules.reservation_hold_s)
    read = await svc.fleet.reserve(
        vehicle_id=booking.vehicle_id,
        booking_id=booking.id,
        rider_id=booking.rider_id,
        hold_until=hold_until,
    )
    progress.reserved = True
    reservation = translate.reservation(read, default_hold_until=hold_until)
    booking = await _update(svc, booking.id, lambda b: b.record_reservation(reservation, now))
    if booking.quote is None or booking.quote.expires_at <= now:
        booking = await _price(svc, booking, city=read.city, zone_id=read.zone_id)
    if booking.payment is None:
        booking = await _open_payment(svc, booking, progress)
    await _finish_promotion(svc, booking.id)


async def _price(svc: Services, booking: Booking, *, city: str, zone_id: str | None) -> Booking:
    created = await svc.pricing.create_quote(
        InternalQuoteCreate(
            vehicle_id=booking.vehicle_id,
            vehicle_type=booking.vehicle_type,
            city=city,
            zone_id=zone_id,
            estimated_duration_min=booking.estimated_duration_min,
            rider_id=booking.rider_id,
        ),
        idempotency_key=f"booking-{booking.id}-quote-{svc.clock.now().timestamp():.0f}",
    )
    lock = QuoteLock(
        booking_id=booking.id, rider_id=booking.rider_id, vehicle_id=booking.vehicle_id
    )
    quote = translate.quote(await svc.pricing.lock_quote(created.quote_id, lock))
    return await _update(svc, booking.id, lambda b: b.record_quote(quote, svc.clock.now()))


async def _open_payment(svc: Services, booking: Booking, progress: _Progress) -> Booking:
    assert booking.quote is not None
    read = await svc.payment.create(
        PaymentCreate(
            booking_id=booking.id,
            rider_id=booking.rider_id,
            amount=booking.quote.authorized_amount,
            rider_email=booking.rider_contact.email,
            description=f"MobilityCorp {booking.vehicle_type.value} ride (advance booking)",
        )
    )
    progress.payment_id = read.payment_id
    payment = translate.payment(read)
    return await _update(svc, booking.id, lambda b: b.record_payment(payment, svc.clock.now()))


async def _finish_promotion(svc: Services, booking_id: UUID) -> None:
    await _update(svc, booking_id, lambda b: b.promote(svc.clock.now()))


async def _attempt_failed(
    svc: Services, task: Task, progress: _Progress, exc: Exception
) -> datetime | None:
    booking = await _load(svc, task.booking_id)
    if booking is None:
        return None
    if booking.status is not BookingStatus.SCHEDULED:
        await _undo_attempt(svc, booking, progress)
        return None
    retryable = not isinstance(exc, BookingError) or exc.retryable
    if retryable and task.attempts < svc.workers.promote_max_attempts:
        await _release_between_attempts(svc, booking)
        delay = backoff_delay_s(
            task.attempts, initial_s=svc.workers.backoff_initial_s, max_s=svc.workers.backoff_max_s
        )
        return svc.clock.now() + timedelta(seconds=delay)
    await _give_up(svc, booking.id, reason=str(getattr(exc, "code", "unavailable")), task=task)
    return None


async def _undo_attempt(svc: Services, booking: Booking, progress: _Progress) -> None:
    """The booking was cancelled while this attempt ran: undo what the attempt obtained."""
    now = svc.clock.now()
    async with svc.uow() as uow:
        if progress.reserved:
            await uow.tasks.ensure(
                release_task(booking.id, booking.vehicle_id, reason="cancelled", now=now)
            )
        if progress.payment_id is not None:
            await uow.tasks.ensure(
                void_task(booking.id, progress.payment_id, reason="cancelled", now=now)
            )
        await uow.commit()


async def _release_between_attempts(svc: Services, booking: Booking) -> None:
    """Do not sit on the vehicle while waiting to retry (the next attempt reserves again)."""
    if booking.reservation is None:
        return
    try:
        await svc.fleet.release(
            vehicle_id=booking.vehicle_id, booking_id=booking.id, reason="compensation"
        )
        await _update(svc, booking.id, lambda b: b.forget_reservation(svc.clock.now()))
    except Exception as exc:  # noqa: BLE001 - the hold also lapses at fleet; retried next time
        logger.warning("release between promotion attempts of %s failed: %r", booking.id, exc)


async def _give_up(svc: Services, booking_id: UUID, *, reason: str, task: Task) -> None:
    now = svc.clock.now()
    async with svc.uow() as uow:
        booking = await uow.bookings.get_for_update(booking_id)
        if booking is None or booking.status is not BookingStatus.SCHEDULED:
            return
        compensation: Compensation = booking.fail(reason, now)
        booking.promotion_attempts = task.attempts
        await schedule_compensation(uow, booking, compensation, reason="compensation", now=now)
        uow.outbox.add(views.booking_failed(booking, task.attempts))
        await uow.bookings.save(booking)
        await uow.commit()
